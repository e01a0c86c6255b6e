"""Recurrent classifiers built from `train.<task>` params."""

from __future__ import annotations

import keras
import numpy as np

from rnnlab.core.errors import DataError
from rnnlab.tasks.classify.params import TrainParams
from rnnlab.tasks.fit import make_optimizer
from rnnlab.tasks.layers import layer_specs, recurrent_stack


def embedding_layer(params: TrainParams, vocab_size: int,
                    glove: np.ndarray | None = None) -> keras.layers.Embedding:
    """A learned embedding, or GloVe vectors kept frozen or fine-tuned."""
    if params.embedding == "learned":
        return keras.layers.Embedding(vocab_size, params.embedding_dim, mask_zero=params.mask_zero,
                                      name="embedding")
    if glove is None:
        raise DataError(f"embedding={params.embedding} needs the GloVe matrix from the "
                        "embeddings stage")
    if glove.shape[0] != vocab_size:
        raise DataError(f"GloVe matrix has {glove.shape[0]} rows, vocabulary has {vocab_size}")
    return keras.layers.Embedding(
        vocab_size, glove.shape[1], mask_zero=params.mask_zero,
        embeddings_initializer=keras.initializers.Constant(glove),
        trainable=params.embedding == "glove_finetune", name="embedding",
    )


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


@keras.saving.register_keras_serializable(package="rnnlab")
class LastStep(keras.layers.Layer):
    """The last step's output. A masked recurrent layer carries its state over padding, so with
    either padding side this is the state after the last real token."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        return inputs[:, -1, :]

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


def pool_over_time(params: TrainParams, x: keras.KerasTensor) -> keras.KerasTensor:
    """Max or mean over the (unmasked) steps, or `concat`: the last state, the max and the mean
    side by side (ULMFiT's concat pooling)."""
    if params.pooling == "max":
        return MaskedGlobalMaxPooling1D(name="max_pool")(x)
    if params.pooling == "mean":
        return keras.layers.GlobalAveragePooling1D(name="mean_pool")(x)
    return keras.layers.Concatenate(name="concat_pool")([
        LastStep(name="last_step")(x), MaskedGlobalMaxPooling1D(name="max_pool")(x),
        keras.layers.GlobalAveragePooling1D(name="mean_pool")(x)])


def build_classifier(params: TrainParams, vocab_size: int, num_classes: int,
                     glove: np.ndarray | None = None) -> keras.Model:
    """Embedding -> recurrent stack -> (pooling) -> optional dense -> sigmoid or softmax."""
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = embedding_layer(params, vocab_size, glove)(tokens)
    if params.embedding_dropout:
        x = keras.layers.SpatialDropout1D(params.embedding_dropout, name="embedding_dropout")(x)
    if params.conv_filters:
        x = conv_front(params, x)
    pooled = params.pooling != "last"
    specs = layer_specs(params.cell, params.units, params.bidirectional, params.layers)
    x = recurrent_stack(x, specs, pooled, params.recurrent_dropout, params.dropout,
                        params.between_dense or 0)
    if pooled:
        x = pool_over_time(params, x)
    if params.dense_units:
        x = keras.layers.Dense(params.dense_units, activation="relu", name="dense")(x)
        if params.dropout:
            x = keras.layers.Dropout(params.dropout, name="dropout_dense")(x)
    if num_classes == 2:
        outputs = keras.layers.Dense(1, activation="sigmoid", name="probability")(x)
        loss = "binary_crossentropy"
    else:
        outputs = keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
        loss = "sparse_categorical_crossentropy"
    model = keras.Model(tokens, outputs, name="classifier")
    model.compile(optimizer=make_optimizer(params), loss=loss, metrics=["accuracy"])
    return model
