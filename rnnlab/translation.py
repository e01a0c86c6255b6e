"""Sequence-to-sequence translation: vocabularies, encoder–decoder models, decoding, scoring.

Two architectures from `train_translation` params: `basic`, the course's encoder–decoder (the
encoder's final state starts the decoder, which is fed the reference with teacher forcing), and
`attention`, where each decoder step also attends over every encoder output (dot-product
"luong" or additive "bahdanau" scores). Training runs the whole model on whole sentences; for
decoding, `Translator` rebuilds an encoder model and a one-step decoder model from the same
layers, so greedy and beam search advance every sentence (and every beam) one step per call.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rnnlab.config import TranslationEvalParams, TranslationTrainParams
from rnnlab.fileio import read_json
from rnnlab.por_eng import normalize_sentence
from rnnlab.sequences import pad_sequences
from rnnlab.vocab import OOV_ID, PAD_ID, Vocab, build_vocab

if TYPE_CHECKING:  # Keras loads on first use, so `rnnlab translate` refuses bad input at once
    import keras

START, END = "<start>", "<end>"  # normalize_sentence deletes "<" and ">": never a real word


class TranslationInputError(ValueError):
    """A sentence that cannot be translated (empty, unknown words only, too long, not UTF-8)."""


# -- vocabularies and arrays ------------------------------------------------------------------

def build_vocabs(train: pd.DataFrame, params: TranslationTrainParams) -> tuple[Vocab, Vocab]:
    """Source and target vocabularies from the training pairs; the target's has START and END."""
    source = build_vocab(train["text"], "word", "none", params.max_tokens_source, params.min_freq)
    target = build_vocab((f"{START} {t} {END}" for t in train["target"]), "word", "none",
                         params.max_tokens_target, params.min_freq)
    return source, target


def encode_sources(texts: Sequence[str], vocab: Vocab) -> np.ndarray:
    """Post-padded source ids, as wide as the longest sentence."""
    ids = [vocab.encode(text) for text in texts]
    return pad_sequences(ids, max((len(i) for i in ids), default=1) or 1, "post", "post")


def encode_targets(texts: Sequence[str], vocab: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """Decoder inputs (START + sentence) and outputs (sentence + END), post-padded."""
    ids = [vocab.encode(text) for text in texts]
    start, end = vocab.index[START], vocab.index[END]
    width = max(len(i) for i in ids) + 1
    return (pad_sequences([[start] + i for i in ids], width, "post", "post"),
            pad_sequences([i + [end] for i in ids], width, "post", "post"))


def arrays(pairs: pd.DataFrame, source: Vocab, target: Vocab) -> tuple[tuple[np.ndarray, ...],
                                                                       np.ndarray, np.ndarray]:
    """((source, decoder input), decoder output, weights): weight 0 on padding, 1 elsewhere."""
    x = encode_sources(pairs["text"].tolist(), source)
    t_in, t_out = encode_targets(pairs["target"].tolist(), target)
    return (x, t_in), t_out, (t_out != PAD_ID).astype("float32")


# -- models -----------------------------------------------------------------------------------

def _cell(params: TranslationTrainParams, units: int, name: str) -> keras.layers.Layer:
    from rnnlab.models import CELLS

    return CELLS[params.cell](units, return_sequences=True, return_state=True, name=name)


def _state_count(cell: str) -> int:
    return 2 if cell == "lstm" else 1


def build_translator(params: TranslationTrainParams, source_size: int,
                     target_size: int) -> keras.Model:
    """The teacher-forced training model: (source ids, decoder input ids) -> next-word logits.

    Layer names are fixed: `Translator` finds the layers by name to build its decoding models.
    """
    import keras

    from rnnlab.models import make_optimizer

    source = keras.Input((None,), dtype="int32", name="source")
    target_in = keras.Input((None,), dtype="int32", name="target_in")
    x = keras.layers.Embedding(source_size, params.embedding_dim, mask_zero=True,
                               name="source_embedding")(source)
    x = keras.layers.Dropout(params.dropout, name="source_dropout")(x)
    encoder = _cell(params, params.units, "encoder_rnn")
    if params.bidirectional:
        encoder = keras.layers.Bidirectional(encoder, name="encoder")
    encoded, *states = encoder(x)
    n = _state_count(params.cell)
    if params.bidirectional:  # forward and backward states side by side: the decoder is wider
        states = [keras.layers.Concatenate(name=f"encoder_state_{i}")([states[i], states[n + i]])
                  for i in range(n)]
    else:
        states = [keras.layers.Identity(name=f"encoder_state_{i}")(s) for i, s in
                  enumerate(states)]
    decoder_units = params.units * (2 if params.bidirectional else 1)

    y = keras.layers.Embedding(target_size, params.embedding_dim, mask_zero=True,
                               name="target_embedding")(target_in)
    y = keras.layers.Dropout(params.dropout, name="target_dropout")(y)
    decoded, *_ = _cell(params, decoder_units, "decoder_rnn")(y, initial_state=states)
    if params.architecture == "attention":
        decoded = _attend(params, decoder_units, decoded, encoded)
    decoded = keras.layers.Dropout(params.dropout, name="output_dropout")(decoded)
    logits = keras.layers.Dense(target_size, name="logits")(decoded)
    model = keras.Model([source, target_in], logits, name=f"translator_{params.architecture}")
    model.compile(optimizer=make_optimizer(params),  # reads optimizer, learning_rate, clipnorm
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  weighted_metrics=["accuracy"])
    return model


def _attention_layers(params: TranslationTrainParams, units: int) -> list[keras.layers.Layer]:
    """[attention, query projection, key projection] (projections: additive scores only)."""
    import keras

    if params.attention == "luong":
        return [keras.layers.Attention(use_scale=True, name="attention")]
    return [keras.layers.AdditiveAttention(name="attention"),
            keras.layers.Dense(units, use_bias=False, name="attention_query"),
            keras.layers.Dense(units, use_bias=False, name="attention_key")]


def _attend(params: TranslationTrainParams, units: int, decoded, encoded, source_mask=None,
            layers: list[keras.layers.Layer] | None = None):
    """Luong's attentional hidden state: tanh(W [decoder output; context over the encoder]).

    Additive attention as Keras ships it has no projections of its own, so query and key get one
    each (Bahdanau's W_a and U_a).
    """
    import keras

    layers = layers or _attention_layers(params, units)
    mask = None if source_mask is None else [None, source_mask]
    if len(layers) == 1:
        context = layers[0]([decoded, encoded], mask=mask)
    else:
        context = layers[0]([layers[1](decoded), encoded, layers[2](encoded)], mask=mask)
    combine = keras.layers.Concatenate(name="attention_concat")
    joined = combine([decoded, context])
    return keras.layers.Dense(units, activation="tanh", name="attention_combine")(joined)


# -- training ---------------------------------------------------------------------------------

def dataset(x: tuple[np.ndarray, ...], y: np.ndarray, w: np.ndarray, batch_size: int,
            seed: int | None):
    """Batches of (inputs, outputs, weights); shuffled each epoch when a seed is given."""
    import tensorflow as tf

    from rnnlab.training import PREFETCH

    data = tf.data.Dataset.from_tensor_slices((x, y, w))
    if seed is not None:
        data = data.shuffle(len(y), seed=seed, reshuffle_each_iteration=True)
    options = tf.data.Options()
    options.autotune.enabled = False
    options.deterministic = True
    return data.batch(batch_size).prefetch(PREFETCH).with_options(options)


def train_translator(pairs: pd.DataFrame, params: TranslationTrainParams,
                     live_dir: Path) -> tuple[keras.Model, Vocab, Vocab, dict]:
    """Vocabularies from the training split, the model fit with early stopping on val loss."""
    from rnnlab.training import fit

    train, val = pairs[pairs["split"] == "train"], pairs[pairs["split"] == "val"]
    if train.empty or val.empty:
        raise ValueError(f"data/prepared/{params.data}.parquet: needs train and val pairs")
    source, target = build_vocabs(train, params)
    model = build_translator(params, len(source), len(target))
    model.summary(print_fn=print)
    start = time.perf_counter()
    history = fit(model, dataset(*arrays(train, source, target), params.batch_size, params.seed),
                  dataset(*arrays(val, source, target), 4 * params.batch_size, None),
                  params, live_dir)
    val_loss = history.history["val_loss"]
    info = {"train_seconds": round(time.perf_counter() - start, 1), "epochs_run": len(val_loss),
            "best_epoch": int(np.argmin(val_loss)) + 1,
            "best_val_loss": round(float(min(val_loss)), 6)}
    return model, source, target, info


# -- decoding ---------------------------------------------------------------------------------

class Translator:
    """A trained model from models/<task>/ with an encoder and a one-step decoder built from it."""

    def __init__(self, model_dir: Path) -> None:
        if not (model_dir / "model.keras").is_file():
            raise FileNotFoundError(f"{model_dir / 'model.keras'}: no trained model "
                                    "(run `dvc repro` or `dvc pull` first)")
        self.path = model_dir / "model.keras"
        self.source = Vocab.load(model_dir / "source_vocab.json")
        self.target = Vocab.load(model_dir / "target_vocab.json")
        self.meta = read_json(model_dir / "meta.json")
        self.params = TranslationTrainParams(**self.meta["params"])
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
            import keras

            model = keras.saving.load_model(self.path)
            self._models = (model, *self._decoding_models(model))
        return self._models

    def _decoding_models(self, model: keras.Model) -> tuple[keras.Model, keras.Model]:
        """An encoder model and a one-step decoder model that share `model`'s layers."""
        import keras

        get = model.get_layer
        n = _state_count(self.params.cell)
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

    def encode_texts(self, texts: Sequence[str], max_words: int) -> np.ndarray:
        """Normalise and encode raw sentences; refuse ones that cannot be translated."""
        rows = []
        for number, text in enumerate(texts, 1):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise TranslationInputError(f"text {number}: not UTF-8 text") from None
            words = normalize_sentence(text).split()
            if not words:
                raise TranslationInputError(f"text {number} is empty after normalisation "
                                            "(expected at least one word)")
            if len(words) > max_words:
                raise TranslationInputError(
                    f"text {number} has {len(words)} words, more than max_input_words "
                    f"({max_words}); the model learned from sentences of at most "
                    f"{self.meta['max_source_words']} words")
            ids = [self.source.index.get(w, OOV_ID) for w in words]
            if all(i == OOV_ID for i in ids):
                raise TranslationInputError(f"text {number}: no word of it is in the training "
                                            f"vocabulary ({' '.join(words[:5])!s})")
            rows.append(ids)
        return pad_sequences(rows, max(len(r) for r in rows), "post", "post")

    def translate(self, texts: Sequence[str], beam_width: int, length_penalty: float,
                  max_output_len: int, max_input_words: int, batch_size: int = 512) -> list[str]:
        """Raw sentences in, translations out (greedy when `beam_width` is 1)."""
        return self.translate_ids(self.encode_texts(texts, max_input_words), beam_width,
                                  length_penalty, max_output_len, batch_size)

    def translate_ids(self, x: np.ndarray, beam_width: int, length_penalty: float,
                      max_output_len: int, batch_size: int = 512) -> list[str]:
        if beam_width < 1 or max_output_len < 1:
            raise ValueError(f"beam width and max output length must be positive, got "
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
            log_probs = logits - _logsumexp(logits)
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


def _logsumexp(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=1, keepdims=True)
    return top + np.log(np.exp(logits - top).sum(axis=1, keepdims=True))


# -- scoring ----------------------------------------------------------------------------------

def references_by_source(pairs: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Each distinct source sentence (first-seen order) and every target given for it."""
    grouped = pairs.groupby("text", sort=False)["target"].agg(list)
    return grouped.index.tolist(), grouped.tolist()


def corpus_scores(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> dict:
    """Corpus BLEU and chrF (sacrebleu); a sentence's missing extra references are None."""
    import sacrebleu

    depth = max(len(r) for r in references)
    streams = [[r[i] if i < len(r) else None for r in references] for i in range(depth)]
    return {"bleu": round(sacrebleu.corpus_bleu(list(hypotheses), streams).score, 4),
            "chrf": round(sacrebleu.corpus_chrf(list(hypotheses), streams).score, 4)}


def retrieval_baseline(train: pd.DataFrame, sources: Sequence[str]) -> list[str]:
    """For each source, the target of the training pair whose source shares the most words.

    Ties go to the training sentence with the fewest other words (the closest match), then to
    the first in table order.
    """
    train_words = [set(text.split()) for text in train["text"]]
    targets = train["target"].tolist()
    out = []
    for source in sources:
        words = set(source.split())
        best = max(range(len(train_words)), key=lambda i: (len(words & train_words[i]),
                                                           -len(train_words[i] - words), -i))
        out.append(targets[best])
    return out


def token_accuracy(model: keras.Model, pairs: pd.DataFrame, source: Vocab, target: Vocab,
                   batch_size: int) -> dict:
    """Teacher-forced next-word accuracy and cross-entropy, padding masked."""
    (x, t_in), t_out, weights = arrays(pairs, source, target)
    logits = np.concatenate([np.asarray(model.predict_on_batch([x[i: i + batch_size],
                                                                t_in[i: i + batch_size]]))
                             for i in range(0, len(x), batch_size)]).astype(np.float64)
    log_probs = logits - _logsumexp(logits.reshape(-1, logits.shape[-1])).reshape(
        logits.shape[:-1] + (1,))
    picked = np.take_along_axis(log_probs, t_out[..., None], axis=-1)[..., 0]
    mask = weights > 0
    return {"token_accuracy": round(float((logits.argmax(-1) == t_out)[mask].mean()), 6),
            "loss": round(float(-picked[mask].mean()), 6)}


def samples_markdown(sources: Sequence[str], hypotheses: Sequence[str],
                     references: Sequence[Sequence[str]], count: int) -> str:
    """`count` test sentences evenly spaced through the split: a fixed sample, not a chosen one."""
    lines = ["| Portuguese | model | references |", "|---|---|---|"]
    for i in np.linspace(0, len(sources) - 1, min(count, len(sources))).astype(int):
        lines.append(f"| {sources[i]} | {hypotheses[i]} | {' / '.join(references[i])} |")
    return "\n".join(lines) + "\n"


def check_eval_params(params: TranslationEvalParams, meta: dict) -> None:
    if params.data != meta["params"]["data"]:
        raise ValueError(f"evaluate_translation.data is {params.data!r} but the model was "
                         f"trained on {meta['params']['data']!r}")
