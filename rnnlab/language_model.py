"""Recurrent language models: building them and their training input pipelines.

Two recipes from the course, both predicting exactly the tokens of the held-out stream (each
word or character and each end of line), so their losses compare with the n-gram baseline's:

* `windows`: windows of `sentence_size` tokens over the whole text, trained many-to-many (every
  position predicts the next token). Character models use this.
* `prefixes`: every prefix of every line, pre-padded, predicting the token after it (many-to-one);
  the course's sonnets model. A line's context is its own earlier words only.
"""

from __future__ import annotations

from collections.abc import Iterator

import keras
import numpy as np
import tensorflow as tf

from rnnlab.config import LMSequencesParams, TrainLMParams
from rnnlab.models import CELLS, make_optimizer
from rnnlab.sequences import next_token_windows
from rnnlab.vocab import PAD_ID

PREFETCH = 2


def per_layer(value: object, layers: int, name: str) -> list:
    """A params value given once for all layers, or as a list with one entry per layer."""
    if not isinstance(value, list):
        return [value] * layers
    if len(value) != layers:
        raise ValueError(f"train_lm.{name} lists {len(value)} values for {layers} layers")
    return list(value)


def build_language_model(params: TrainLMParams, vocab_size: int,
                         many_to_many: bool) -> keras.Model:
    """Embedding -> recurrent layers (dropout after each) -> optional dense -> logits over the
    vocabulary, at every step (`many_to_many`) or after the last one."""
    lists = [v for v in (params.cell, params.units, params.bidirectional) if isinstance(v, list)]
    layers = len(lists[0]) if lists else 1
    cells = per_layer(params.cell, layers, "cell")
    units = per_layer(params.units, layers, "units")
    bidirectional = per_layer(params.bidirectional, layers, "bidirectional")
    if many_to_many and any(bidirectional):
        raise ValueError("train_lm.bidirectional: a windows (many-to-many) model would see the "
                         "tokens it must predict; use it with the prefixes recipe only")
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(vocab_size, params.embedding_dim, mask_zero=params.mask_zero,
                               name="embedding")(tokens)
    for depth, (cell, size, both) in enumerate(zip(cells, units, bidirectional, strict=True)):
        last = depth == layers - 1
        layer = CELLS[cell](size, return_sequences=many_to_many or not last,
                            recurrent_dropout=params.recurrent_dropout, name=f"{cell}_{depth}")
        x = (keras.layers.Bidirectional(layer, name=f"bi_{cell}_{depth}") if both else layer)(x)
        if params.dropout:
            x = keras.layers.Dropout(params.dropout, name=f"dropout_{depth}")(x)
    if params.dense_units:
        x = keras.layers.Dense(params.dense_units, activation="relu", name="dense",
                               kernel_regularizer=keras.regularizers.L2(params.l2))(x)
    logits = keras.layers.Dense(vocab_size, name="logits")(x)
    model = keras.Model(tokens, logits, name="language_model")
    model.compile(optimizer=make_optimizer(params),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


# ---------------------------------------------------------------- input pipelines


def _options() -> tf.data.Options:
    options = tf.data.Options()
    options.autotune.enabled = False  # its wake-ups cost more than they win on 2 cores
    options.deterministic = True
    return options


def window_count(stream_length: int, size: int, step: int) -> int:
    """Windows per epoch: the same for every start offset in [0, step)."""
    return max((stream_length - size - step) // step + 1, 0)


def windows_dataset(stream: np.ndarray, seq: LMSequencesParams, batch_size: int,
                    seed: int) -> tf.data.Dataset:
    """Shuffled many-to-many windows; each epoch starts them at a new random offset, so over
    epochs the model sees every split point of the text."""
    count = window_count(len(stream), seq.sentence_size, seq.step)
    if count == 0:
        raise ValueError(f"the training text has {len(stream)} tokens, fewer than "
                         f"sentence_size + step = {seq.sentence_size + seq.step}")
    rng = np.random.default_rng(seed)

    def batches() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        starts = rng.integers(seq.step) + seq.step * rng.permutation(count)
        for i in range(0, count, batch_size):
            yield next_token_windows(stream, seq.sentence_size, starts[i: i + batch_size])

    spec = tf.TensorSpec((None, seq.sentence_size), tf.int32)
    dataset = tf.data.Dataset.from_generator(batches, output_signature=(spec, spec))
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(-(-count // batch_size)))
    return dataset.prefetch(PREFETCH).with_options(_options())


def arrays_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int | None,
                   ) -> tf.data.Dataset:
    """Batches of fixed arrays, shuffled each epoch when `seed` is given."""
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if seed is not None:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(PREFETCH).with_options(_options())


def held_out_windows(stream: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """The whole stream as consecutive windows (inputs, next-token targets); the last window is
    padded, and padding targets are PAD so they can be left out of the loss."""
    n = len(stream) - 1
    rows = -(-n // window)
    x = np.full(rows * window, PAD_ID, dtype=np.int32)
    y = np.full(rows * window, PAD_ID, dtype=np.int32)
    x[:n], y[:n] = stream[:-1], stream[1:]
    return x.reshape(rows, window), y.reshape(rows, window)
