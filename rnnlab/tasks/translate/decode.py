"""Decoding a trained translator: greedy and beam search, every sentence advanced at once.

`Translator` rebuilds an encoder model and a one-step decoder model from the trained model's
layers, so greedy and beam search advance every sentence (and every beam) one step per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import log_softmax

from rnnlab.core.errors import DataError, UsageError
from rnnlab.core.model_folder import check_vocab_size, load_keras_model, read_model_meta
from rnnlab.core.params import from_mapping
from rnnlab.tasks.translate.data import END, START
from rnnlab.tasks.translate.model import state_count
from rnnlab.tasks.translate.params import FinetuneTranslationParams, TranslationTrainParams
from rnnlab.text.sequences import pad_sequences
from rnnlab.text.tokenize import normalize_sentence
from rnnlab.text.vocab import OOV_ID, PAD_ID, Vocab

if TYPE_CHECKING:  # Keras loads on first use, so `rnnlab translate` refuses bad input at once
    import keras


class TranslationInputError(UsageError):
    """A sentence that cannot be translated (empty, unknown words only, too long, not UTF-8)."""


class Translator:
    """A trained model from models/<task>/ with an encoder and a one-step decoder built from it."""

    def __init__(self, model_dir: Path) -> None:
        self.meta = read_model_meta(model_dir, "translate", ("params", "max_source_words",
                                                                "epochs_run"))
        self.folder = model_dir
        self.source = Vocab.load(model_dir / "source_vocab.json")
        self.target = Vocab.load(model_dir / "target_vocab.json")
        for side, vocab in (("source", self.source), ("target", self.target)):
            check_vocab_size(model_dir, self.meta, f"{side}_vocab_size", f"{side}_vocab.json",
                             len(vocab))
        trained = self.meta["params"]
        schema = (FinetuneTranslationParams if isinstance(trained, dict) and "pretrained" in trained
                  else TranslationTrainParams)  # which training section the model came from
        self.params = from_mapping(schema, trained, f"{model_dir / 'meta.json'}: params")
        missing = [token for token in (START, END) if token not in self.target.index]
        if missing:
            raise DataError(f"{model_dir / 'target_vocab.json'}: no {missing[0]} token (a "
                            f"translator's target vocabulary has {START} and {END})")
        self.start_id, self.end_id = self.target.index[START], self.target.index[END]
        self._models: tuple[keras.Model, keras.Model, keras.Model] | None = None

    @property
    def model(self) -> keras.Model:
        """The teacher-forced model as trained; loaded on first use."""
        return self._load()[0]

    @property
    def encoder(self) -> keras.Model:
        return self._load()[1]

    @property
    def step(self) -> keras.Model:
        return self._load()[2]

    def _load(self) -> tuple[keras.Model, keras.Model, keras.Model]:
        if self._models is None:
            model = load_keras_model(self.folder)
            self._models = (model, *self._decoding_models(model))
        return self._models

    def _decoding_models(self, model: keras.Model) -> tuple[keras.Model, keras.Model]:
        """An encoder model and a one-step decoder model that share `model`'s layers."""
        import keras

        get = model.get_layer
        n = state_count(self.params.cell)
        states = [get(f"encoder_state_{i}").output for i in range(n)]
        encoded = get("encoder" if self.params.bidirectional else "encoder_rnn").output[0]
        encoder = keras.Model(model.inputs[0], [encoded, *states])

        units = self.params.units * (2 if self.params.bidirectional else 1)
        previous = keras.Input((1,), dtype="int32", name="previous")
        state_in = [keras.Input((units,), name=f"state_{i}") for i in range(n)]
        encoded_in = keras.Input((None, encoded.shape[-1]), name="encoded")
        mask_in = keras.Input((None,), dtype="bool", name="source_mask")
        y = get("target_embedding")(previous)
        decoded, *state_out = get("decoder_rnn")(y, initial_state=state_in)
        if self.params.architecture == "attention":
            layers = [get("attention")] + ([] if self.params.attention == "luong" else
                                           [get("attention_query"), get("attention_key")])
            context = (layers[0]([decoded, encoded_in], mask=[None, mask_in]) if len(layers) == 1
                       else layers[0]([layers[1](decoded), encoded_in, layers[2](encoded_in)],
                                      mask=[None, mask_in]))
            decoded = get("attention_combine")(get("attention_concat")([decoded, context]))
        logits = get("logits")(decoded)
        step = keras.Model([previous, *state_in, encoded_in, mask_in], [logits, *state_out])
        return encoder, step

    # inputs

    def encode_texts(self, texts: Sequence[str], max_words: int,
                     names: Sequence[str] | None = None) -> np.ndarray:
        """Normalise and encode raw sentences; refuse the first that cannot be translated,
        naming it by `names` (default: its position, "text 1", "text 2", ...)."""
        rows = []
        for number, text in enumerate(texts, 1):
            name = names[number - 1] if names is not None else f"text {number}"
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise TranslationInputError(f"{name}: not UTF-8 text") from None
            words = normalize_sentence(text).split()
            if not words:
                raise TranslationInputError(f"{name} is empty after normalisation "
                                            "(expected at least one word)")
            if len(words) > max_words:
                raise TranslationInputError(
                    f"{name} has {len(words)} words, more than max_input_words "
                    f"({max_words}); the model learned from sentences of at most "
                    f"{self.meta['max_source_words']} words")
            ids = [self.source.index.get(w, OOV_ID) for w in words]
            if all(i == OOV_ID for i in ids):
                raise TranslationInputError(f"{name}: no word of it is in the training "
                                            f"vocabulary ({' '.join(words[:5])!s})")
            rows.append(ids)
        if not rows:
            raise TranslationInputError("no sentence given (expected at least one)")
        return pad_sequences(rows, max(len(r) for r in rows), "post", "post")

    def translate(self, texts: Sequence[str], beam_width: int, length_penalty: float,
                  max_output_len: int, max_input_words: int, batch_size: int = 512) -> list[str]:
        """Raw sentences in, translations out (greedy when `beam_width` is 1)."""
        return self.translate_ids(self.encode_texts(texts, max_input_words), beam_width,
                                  length_penalty, max_output_len, batch_size)

    def translate_ids(self, x: np.ndarray, beam_width: int, length_penalty: float,
                      max_output_len: int, batch_size: int = 512) -> list[str]:
        if beam_width < 1 or max_output_len < 1:
            raise UsageError(f"beam width and max output length must be positive, got "
                             f"{beam_width} and {max_output_len}")
        out = []
        rows = max(1, batch_size // beam_width)
        for i in range(0, len(x), rows):
            batch = x[i: i + rows]
            batch = batch[:, : max(1, int((batch != PAD_ID).sum(axis=1).max()))]
            ids = (self._greedy(batch, max_output_len) if beam_width == 1 else
                   self._beam(batch, beam_width, length_penalty, max_output_len))
            out.extend(" ".join(self.target.decode(row)) for row in ids)
        return out

    def _step(self, previous: np.ndarray, states: list[np.ndarray], encoded: np.ndarray,
              mask: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        logits, *states = self.step.predict_on_batch([previous[:, None], *states, encoded, mask])
        logits = np.asarray(logits, dtype=np.float64)[:, 0]
        # padding, out-of-vocabulary and START are never a right next word
        logits[:, [PAD_ID, OOV_ID, self.start_id]] = -np.inf
        return logits, [np.asarray(s) for s in states]

    def _greedy(self, x: np.ndarray, max_len: int) -> list[list[int]]:
        encoded, *states = self.encoder.predict_on_batch(x)
        mask = x != PAD_ID
        previous = np.full(len(x), self.start_id, dtype=np.int32)
        done = np.zeros(len(x), dtype=bool)
        out = np.zeros((len(x), max_len), dtype=np.int32)
        for t in range(max_len):  # bounded: no endless loop whatever the model does
            logits, states = self._step(previous, states, encoded, mask)
            previous = logits.argmax(axis=1).astype(np.int32)
            done |= previous == self.end_id
            out[:, t] = np.where(done, PAD_ID, previous)
            if done.all():
                break
        return [row[row != PAD_ID].tolist() for row in out]

    def _beam(self, x: np.ndarray, k: int, alpha: float, max_len: int) -> list[list[int]]:
        """Beam search over every sentence of `x` at once: `k` live beams each, run as one batch
        of len(x) * k rows. A hypothesis that emits END is set aside with its score divided by
        length ** alpha; a sentence is done once it has `k` finished ones."""
        n = len(x)
        encoded, *states = self.encoder.predict_on_batch(x)
        encoded = np.repeat(np.asarray(encoded), k, axis=0)
        states = [np.repeat(np.asarray(s), k, axis=0) for s in states]
        mask = np.repeat(x != PAD_ID, k, axis=0)
        scores = np.full((n, k), -np.inf)
        scores[:, 0] = 0.0  # one live beam at first, so the k beams do not start as copies
        tokens = np.zeros((n, k, 0), dtype=np.int32)
        previous = np.full(n * k, self.start_id, dtype=np.int32)
        finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(n)]
        done = np.zeros(n, dtype=bool)
        for t in range(1, max_len + 1):
            logits, states = self._step(previous, states, encoded, mask)
            log_probs = log_softmax(logits, axis=1)
            vocab_size = log_probs.shape[1]
            total = (scores.reshape(-1, 1) + log_probs).reshape(n, k * vocab_size)
            top = np.argsort(-total, axis=1, kind="stable")[:, : 2 * k]
            new_scores = np.full((n, k), -np.inf)
            new_tokens = np.zeros((n, k, t), dtype=np.int32)
            parents = np.zeros((n, k), dtype=np.int64)
            chosen = np.full((n, k), self.end_id, dtype=np.int32)
            for s in np.flatnonzero(~done):
                live = 0
                for flat in top[s]:
                    score = total[s, flat]
                    if not np.isfinite(score) or live == k:
                        break
                    beam, token = divmod(int(flat), vocab_size)
                    if token == self.end_id:
                        if len(finished[s]) < k:
                            finished[s].append((score / t ** alpha, tokens[s, beam].tolist()))
                        continue
                    new_scores[s, live] = score
                    new_tokens[s, live, :-1] = tokens[s, beam]
                    new_tokens[s, live, -1] = token
                    parents[s, live], chosen[s, live] = beam, token
                    live += 1
                done[s] = len(finished[s]) >= k or live == 0
            if done.all():
                break
            rows = (np.arange(n)[:, None] * k + parents).reshape(-1)
            states = [state[rows] for state in states]
            scores, tokens, previous = new_scores, new_tokens, chosen.reshape(-1)
        for s in np.flatnonzero(~done):  # cut off at max_len: the live beams compete as they are
            for beam in range(k):
                if np.isfinite(scores[s, beam]):
                    finished[s].append((scores[s, beam] / max(tokens.shape[2], 1) ** alpha,
                                        tokens[s, beam].tolist()))
        return [max(hyps, key=lambda h: h[0])[1] if hyps else [] for hyps in finished]
