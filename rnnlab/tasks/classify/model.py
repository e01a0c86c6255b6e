"""Recurrent classifiers built from `train.<task>` params."""

from __future__ import annotations

import keras
import numpy as np

from rnnlab.core.errors import DataError
from rnnlab.tasks.classify.adversarial import (
    PERTURBATION,
    EmbeddingPerturbation,
    use_adversarial_step,
)
from rnnlab.tasks.classify.params import TrainParams
from rnnlab.tasks.fit import make_optimizer
from rnnlab.tasks.layers import recurrent_stack


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
class FinalStates(keras.layers.Layer):
    """Each direction's state after reading the whole row, from a recurrent layer's sequence.

    The forward direction has read the whole row at the last real (unmasked) step, the backward
    direction at the first: inside `Bidirectional` Keras zeroes the outputs of masked steps, so
    step -1 of a post-padded row is all zeros, and step -1 of the backward half has read one
    token. The last `backward_units` features are the backward direction's (`Bidirectional`'s
    `concat` merge); 0 for a one-directional layer. Without a mask every step is real.
    """

    def __init__(self, backward_units: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.backward_units = backward_units
        self.supports_masking = True

    def call(self, inputs, mask=None):
        ops = keras.ops
        steps = ops.shape(inputs)[1]
        if mask is None:
            mask = ops.ones(ops.shape(inputs)[:2], dtype="bool")
        real = ops.cast(mask, "int32")
        first = ops.argmax(real, axis=1)
        last = steps - 1 - ops.argmax(ops.flip(real, axis=1), axis=1)
        forward = _pick_step(inputs, last)
        if not self.backward_units:
            return forward
        split = ops.shape(inputs)[2] - self.backward_units
        return ops.concatenate([forward[:, :split], _pick_step(inputs, first)[:, split:]], axis=1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self) -> dict:
        return super().get_config() | {"backward_units": self.backward_units}


def _pick_step(inputs, index):
    """`inputs[row, index[row], :]` for every row, exactly: a one-hot weighted sum adds zeros."""
    ops = keras.ops
    picks = ops.one_hot(index, ops.shape(inputs)[1], dtype=inputs.dtype)
    return ops.sum(inputs * ops.expand_dims(picks, -1), axis=1)


def pool_over_time(params: TrainParams, x: keras.KerasTensor,
                   backward_units: int) -> keras.KerasTensor:
    """Max or mean over the (unmasked) steps, or `concat`: each direction's final state, the max
    and the mean side by side (ULMFiT's concat pooling)."""
    if params.pooling == "max":
        return MaskedGlobalMaxPooling1D(name="max_pool")(x)
    if params.pooling == "mean":
        return keras.layers.GlobalAveragePooling1D(name="mean_pool")(x)
    return keras.layers.Concatenate(name="concat_pool")([
        FinalStates(backward_units, name="final_states")(x),
        MaskedGlobalMaxPooling1D(name="max_pool")(x),
        keras.layers.GlobalAveragePooling1D(name="mean_pool")(x)])


def build_classifier(params: TrainParams, vocab_size: int, num_classes: int,
                     glove: np.ndarray | None = None) -> keras.Model:
    """Embedding -> recurrent stack -> (pooling) -> optional dense -> sigmoid or softmax."""
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = embedding_layer(params, vocab_size, glove)(tokens)
    if params.adversarial_epsilon:
        x = EmbeddingPerturbation(name=PERTURBATION)(x)
    if params.embedding_dropout:
        x = keras.layers.SpatialDropout1D(params.embedding_dropout, name="embedding_dropout")(x)
    if params.conv_filters:
        x = conv_front(params, x)
    pooled = params.pooling != "last"
    specs = params.specs
    x = recurrent_stack(x, specs, pooled, params.recurrent_dropout, params.dropout,
                        params.between_dense or 0)
    if pooled:
        x = pool_over_time(params, x, specs[-1].units if specs[-1].bidirectional else 0)
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
    if params.adversarial_epsilon:
        use_adversarial_step(model, params.adversarial_epsilon)
    return model
