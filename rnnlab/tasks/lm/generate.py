"""Using a trained language model: held-out loss, sampling, and text generation.

Kept apart from `model` and `data` (building and training) so that changing how text is sampled
does not re-run hours of training.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rnnlab.core.errors import DataError, UsageError
from rnnlab.core.model_folder import (
    check_model_against_meta,
    load_keras_model,
    read_model_meta,
)
from rnnlab.core.samples import markdown_blocks
from rnnlab.tasks.lm.params import EvaluateLMParams
from rnnlab.text.sequences import pad_sequences
from rnnlab.text.vocab import EOL, OOV_ID, PAD_ID, Vocab

if TYPE_CHECKING:  # TensorFlow loads only when a model does, so bad arguments fail fast
    import keras


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def token_logprobs(model: keras.Model, x: np.ndarray, y: np.ndarray,
                   batch_size: int) -> np.ndarray:
    """Natural-log probability of each target of `y` that is not padding, in the order of the
    rows (the held-out stream's order for windows and for line prefixes alike). Works for
    many-to-one (`y` 1-D) and many-to-many (`y` 2-D) models."""
    parts = []
    for i in range(0, len(x), batch_size):
        logp = log_softmax(np.asarray(model.predict_on_batch(x[i: i + batch_size]), np.float64))
        target = y[i: i + batch_size]
        picked = np.take_along_axis(logp, target[..., None], axis=-1)[..., 0]
        parts.append(picked[target != PAD_ID])
    return np.concatenate(parts)


def mean_nll(model: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int) -> tuple[float,
                                                                                      int]:
    """Mean negative log-likelihood (nats) of the targets `y` that are not padding, and how
    many there were."""
    logp = token_logprobs(model, x, y, batch_size)
    return float(-logp.sum()) / len(logp), len(logp)


# ---------------------------------------------------------------- generation


def prompt_ids(vocab: Vocab, prompt: str) -> list[int]:
    """The prompt as the model reads it: a line start, then its tokens; unknown words become
    `[UNK]`, as in training. A prompt with words but none the vocabulary knows is refused."""
    ids = vocab.encode(prompt)
    if ids and all(i == OOV_ID for i in ids):
        raise UsageError(f"no token of the prompt {prompt!r} is in the vocabulary")
    return [vocab.index[EOL], *ids]


def sample_next(logits: np.ndarray, temperature: float, top_k: int,
                rng: np.random.Generator) -> int:
    """Greedy when `temperature` is 0, else a draw from softmax(logits / temperature) over the
    `top_k` most likely tokens (0: all). Padding and `[UNK]` are never produced."""
    logits = np.asarray(logits, np.float64).copy()
    logits[[PAD_ID, OOV_ID]] = -np.inf
    if temperature == 0:
        return int(np.argmax(logits))
    if top_k:
        logits[np.argsort(logits)[:-top_k]] = -np.inf
    probs = np.exp(log_softmax(logits / temperature))
    return int(rng.choice(len(probs), p=probs / probs.sum()))


def model_context(history: list[int], recipe: str, context: int, eol: int) -> np.ndarray:
    """What the model is shown to predict the next token: the last `context` tokens (windows),
    or the current line after a line start, pre-padded to `context` (prefixes)."""
    if recipe == "windows":
        return np.asarray([history[-context:]], dtype=np.int32)
    start = len(history) - 1 - history[::-1].index(eol)
    return pad_sequences([history[start:]], context, padding="pre", truncating="pre")


def check_sampling(temperature: float, top_k: int, vocab_size: int) -> None:
    if temperature < 0:
        raise UsageError(f"temperature must be 0 (greedy) or positive, got {temperature}")
    if top_k < 0 or top_k > vocab_size - 2:
        raise UsageError(f"top-k must be between 0 (all) and {vocab_size - 2}, the tokens the "
                         f"model can produce; got {top_k}")


def generate(model: keras.Model, history: list[int], length: int, recipe: str, context: int,
             eol: int, temperature: float, top_k: int, seed: int) -> list[int]:
    """`length` new token ids after `history`; the same arguments give the same tokens."""
    return [*history, *generate_ids(model, history, length, recipe, context, eol, temperature,
                                    top_k, seed)]


def generate_ids(model: keras.Model, history: list[int], length: int, recipe: str,
                 context: int, eol: int, temperature: float, top_k: int,
                 seed: int) -> Iterator[int]:
    """The `length` new token ids after `history`, each yielded as soon as it is drawn. The
    arguments are checked on the first `next`, before any token."""
    vocab_size = int(model.output_shape[-1])
    check_sampling(temperature, top_k, vocab_size)
    import tensorflow as tf

    # One traced graph for every context length: eager calls would run the recurrent loop op
    # by op, about ten times slower per generated token.
    predict = tf.function(lambda x: model(x, training=False), reduce_retracing=True,
                          input_signature=[tf.TensorSpec((1, None), tf.int32)])
    rng = np.random.default_rng(seed)
    history = list(history)
    for _ in range(length):
        logits = np.asarray(predict(model_context(history, recipe, context, eol)))
        history.append(sample_next(logits.reshape(-1, vocab_size)[-1], temperature, top_k, rng))
        yield history[-1]


def detokenize(vocab: Vocab, ids: list[int]) -> str:
    """Tokens back to text: characters joined as they are, words with spaces (not around line
    ends)."""
    tokens = vocab.decode(ids)
    if vocab.level == "char":
        return "".join(tokens)
    return " ".join(tokens).replace(f" {EOL} ", EOL).replace(f" {EOL}", EOL).replace(
        f"{EOL} ", EOL)


class Generator:
    """Prompt in, continuation out, tokenized exactly as the training text was."""

    def __init__(self, model_dir: Path) -> None:
        self.meta = read_model_meta(model_dir, "lm", ("recipe", "context", "epochs_run"))
        self.folder = model_dir
        self.vocab = Vocab.load(model_dir / "vocab.json")
        if EOL not in self.vocab.index:  # every prompt starts from it
            raise DataError(f"{model_dir / 'vocab.json'}: no end-of-line token {EOL!r} (a "
                            "language model's vocabulary reserves it: vocab.<task>.end_of_line)")
        self.recipe: str = self.meta["recipe"]
        self._model: keras.Model | None = None

    @property
    def model(self) -> keras.Model:
        if self._model is None:
            model = load_keras_model(self.folder)
            check_model_against_meta(self.folder, model, self.meta, len(self.vocab))
            self._model = model
        return self._model

    def generate(self, prompt: str, length: int, temperature: float, top_k: int,
                 seed: int) -> str:
        """The prompt (as the vocabulary reads it) followed by `length` generated tokens."""
        return "".join(self.stream(prompt, length, temperature, top_k, seed))

    def stream(self, prompt: str, length: int, temperature: float, top_k: int,
               seed: int) -> Iterator[str]:
        """`generate`'s text in pieces, as it is produced: first the prompt (as the vocabulary
        reads it), then each token with the space before it, if any. Bad arguments are refused
        on the first `next`, before any piece."""
        if length < 1:
            raise UsageError(f"length must be at least 1, got {length}")
        check_sampling(temperature, top_k, len(self.vocab))
        start = prompt_ids(self.vocab, prompt)
        eol = self.vocab.index[EOL]
        tokens = generate_ids(self.model, start, length, self.recipe, self.meta["context"], eol,
                              temperature, top_k, seed)
        first = next(tokens)  # the model loads and the sampling is checked before the prompt
        text = detokenize(self.vocab, start[1:])
        if text:
            yield text
        before = start[-1]
        for token in itertools.chain([first], tokens):
            yield self._piece(before, token, eol)
            before = token

    def _piece(self, before: int, token: int, eol: int) -> str:
        """`token` as detokenized after `before`: words are spaced, but not around line ends."""
        text = self.vocab.decode([token])[0]
        if self.vocab.level == "char" or eol in (before, token):
            return text
        return " " + text


def samples_markdown(generator: Generator, params: EvaluateLMParams) -> str:
    """One generated text per prompt, each with its own fixed seed."""
    unit = "characters" if generator.vocab.level == "char" else "words"
    top_k = min(params.top_k, len(generator.vocab) - 2)  # a small vocabulary: all of it
    blocks = []
    for number, prompt in enumerate(params.prompts):
        seed = params.seed + number
        text = generator.generate(prompt, params.sample_length, params.temperature, top_k, seed)
        blocks.append((f"prompt {prompt!r}, seed {seed}", text))
    return markdown_blocks(f"Generated with temperature {params.temperature}, top-k "
                           f"{params.top_k}, {params.sample_length} {unit} per sample.", blocks)
