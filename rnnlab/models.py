"""Recurrent models built from params: one builder every task shares."""

from __future__ import annotations

import keras
import numpy as np

from rnnlab.config import TrainParams

CELLS = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def embedding_layer(
    params: TrainParams, vocab_size: int, glove: np.ndarray | None = None
) -> keras.layers.Embedding:
    """A learned embedding, or GloVe vectors kept frozen or fine-tuned."""
    if params.embedding == "learned":
        return keras.layers.Embedding(vocab_size, params.embedding_dim, mask_zero=params.mask_zero,
                                      name="embedding")
    if glove is None:
        raise ValueError(f"embedding={params.embedding} needs the GloVe matrix from the "
                         "embeddings stage")
    if glove.shape[0] != vocab_size:
        raise ValueError(f"GloVe matrix has {glove.shape[0]} rows, vocabulary has {vocab_size}")
    return keras.layers.Embedding(
        vocab_size, glove.shape[1], mask_zero=params.mask_zero,
        embeddings_initializer=keras.initializers.Constant(glove),
        trainable=params.embedding == "glove_finetune", name="embedding",
    )


def recurrent_stack(params: TrainParams, x: keras.KerasTensor,
                    return_sequences: bool = False) -> keras.KerasTensor:
    """`layers` recurrent layers, each optionally bidirectional and followed by dropout.

    `cell` is one cell type for every layer or a list with one per layer (LSTM then GRU, say);
    `between_dense` puts a dense layer on every step between recurrent layers.
    """
    cells = cell_types(params)
    for depth, name in enumerate(cells):
        last = depth == len(cells) - 1
        layer = CELLS[name](params.units, return_sequences=return_sequences or not last,
                            recurrent_dropout=params.recurrent_dropout, name=f"{name}_{depth}")
        if params.bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bi_{name}_{depth}")
        x = layer(x)
        if params.dropout:
            x = keras.layers.Dropout(params.dropout, name=f"dropout_{depth}")(x)
        if params.between_dense and not last:
            x = keras.layers.Dense(params.between_dense, activation="relu",
                                   name=f"between_dense_{depth}")(x)
    return x


def cell_types(params: TrainParams) -> list[str]:
    if isinstance(params.cell, str):
        return [params.cell] * params.layers
    if len(params.cell) != params.layers:
        raise ValueError(f"train.cell lists {len(params.cell)} cells but train.layers is "
                         f"{params.layers}")
    return list(params.cell)


def conv_front(params: TrainParams, x: keras.KerasTensor) -> keras.KerasTensor:
    """Conv1D + MaxPooling1D over the embeddings: shorter, feature-rich sequences for the RNN.

    Pooling changes the sequence length, so the padding mask cannot follow; it is dropped here.
    """
    x = keras.layers.Conv1D(params.conv_filters, params.conv_kernel, padding="same",
                            activation="relu", name="conv")(x)
    return keras.layers.MaxPooling1D(params.conv_pool, padding="same", name="conv_pool")(x)


@keras.saving.register_keras_serializable(package="rnnlab")
class MaskedGlobalMaxPooling1D(keras.layers.Layer):
    """Max over time that ignores masked (padding) steps, which GlobalMaxPooling1D does not."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            floor = keras.ops.full_like(inputs, -1e9)
            inputs = keras.ops.where(keras.ops.expand_dims(mask, -1), inputs, floor)
        return keras.ops.max(inputs, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


def pool_over_time(params: TrainParams, x: keras.KerasTensor) -> keras.KerasTensor:
    if params.pooling == "max":
        return MaskedGlobalMaxPooling1D(name="max_pool")(x)
    return keras.layers.GlobalAveragePooling1D(name="mean_pool")(x)


def build_classifier(
    params: TrainParams, vocab_size: int, num_classes: int, glove: np.ndarray | None = None
) -> keras.Model:
    """Embedding -> recurrent stack -> (pooling) -> optional dense -> sigmoid or softmax."""
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = embedding_layer(params, vocab_size, glove)(tokens)
    if params.embedding_dropout:
        x = keras.layers.SpatialDropout1D(params.embedding_dropout, name="embedding_dropout")(x)
    if params.conv_filters:
        x = conv_front(params, x)
    pooled = params.pooling != "last"
    x = recurrent_stack(params, x, return_sequences=pooled)
    if pooled:
        x = pool_over_time(params, x)
    if params.dense_units:
        x = keras.layers.Dense(params.dense_units, activation="relu", name="dense")(x)
        if params.dropout:
            x = keras.layers.Dropout(params.dropout, name="dropout_dense")(x)
    if num_classes == 2:
        outputs = keras.layers.Dense(1, activation="sigmoid", name="probability")(x)
        loss, metrics = "binary_crossentropy", ["accuracy"]
    else:
        outputs = keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    model = keras.Model(tokens, outputs, name="classifier")
    model.compile(optimizer=make_optimizer(params), loss=loss, metrics=metrics)
    return model


def make_optimizer(params: TrainParams) -> keras.optimizers.Optimizer:
    optimizers = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
                  "sgd": keras.optimizers.SGD}
    return optimizers[params.optimizer](learning_rate=params.learning_rate,
                                        clipnorm=params.clipnorm)
