"""Recurrent language models built from `train_lm.<task>` params.

Two recipes from the course, both predicting exactly the tokens of the held-out stream (each
word or character and each end of line), so their losses compare with the n-gram baseline's:

* `windows`: windows of `sentence_size` tokens over the whole text, trained many-to-many (every
  position predicts the next token). Character models use this.
* `prefixes`: every prefix of every line, pre-padded, predicting the token after it (many-to-one);
  the course's sonnets model. A line's context is its own earlier words only.
"""

from __future__ import annotations

import keras

from rnnlab.core.errors import ParamsError
from rnnlab.tasks.fit import make_optimizer
from rnnlab.tasks.layers import recurrent_stack
from rnnlab.tasks.lm.params import TrainLMParams


def build_language_model(params: TrainLMParams, vocab_size: int,
                         many_to_many: bool) -> keras.Model:
    """Embedding -> recurrent layers (dropout after each) -> optional dense -> logits over the
    vocabulary, at every step (`many_to_many`) or after the last one."""
    specs = params.specs
    if many_to_many and any(spec.bidirectional for spec in specs):
        raise ParamsError("train_lm.bidirectional: a windows (many-to-many) model would see the "
                          "tokens it must predict; use it with the prefixes recipe only")
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(vocab_size, params.embedding_dim, mask_zero=params.mask_zero,
                               name="embedding")(tokens)
    x = recurrent_stack(x, specs, many_to_many, params.recurrent_dropout, params.dropout)
    if params.dense_units:
        x = keras.layers.Dense(params.dense_units, activation="relu", name="dense",
                               kernel_regularizer=keras.regularizers.L2(params.l2))(x)
    logits = keras.layers.Dense(vocab_size, name="logits")(x)
    model = keras.Model(tokens, logits, name="language_model")
    model.compile(optimizer=make_optimizer(params),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model
