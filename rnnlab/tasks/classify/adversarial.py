"""Adversarial training on the word embeddings (Miyato, Dai & Goodfellow 2016).

Each training step also fits the batch with its embeddings pushed, by a perturbation of norm
`epsilon` per text, in the direction that raises the loss most: r = epsilon * g / ||g||, g the
gradient of the loss with respect to the text's embedded steps. The loss trained is the clean
one plus the perturbed one. The perturbation acts on the embeddings rather than the words, so
it is a smoothness penalty around every training text: on IMDB it added 1.2 points to the same
LSTM in the paper.

The model gains one layer, `EmbeddingPerturbation`, after the embedding: the identity outside an
adversarial step, so the saved model predicts exactly as one without it. The step itself is the
model's `train_step`, set on the instance (Keras calls `model.train_step`), so nothing of it is
saved with the model.
"""

from __future__ import annotations

from collections.abc import Callable

import keras

PERTURBATION = "embedding_perturbation"  # the layer's name


@keras.saving.register_keras_serializable(package="rnnlab")
class EmbeddingPerturbation(keras.layers.Layer):
    """The identity, except inside an adversarial step, which sets `perturb` while it runs."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.perturb: Callable | None = None

    def call(self, inputs):
        return inputs if self.perturb is None else self.perturb(inputs)

    def compute_mask(self, inputs, mask=None):
        return mask


def use_adversarial_step(model: keras.Model, epsilon: float) -> None:
    """Make `model.fit` train on the clean and the adversarially perturbed batch."""
    model.train_step = adversarial_train_step(model, epsilon)


def adversarial_train_step(model: keras.Model, epsilon: float) -> Callable:
    """Keras's TensorFlow `train_step`, with the adversarial loss added to the clean one."""
    import tensorflow as tf

    layer = model.get_layer(PERTURBATION)

    def train_step(data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        weights = model.trainable_weights
        embedded = {}

        def watch(inputs):
            tape.watch(inputs)  # frozen embeddings come from no trainable variable
            embedded["steps"] = inputs
            return inputs

        # one backward pass of the clean loss gives the weights' gradients and the embeddings'
        with tf.GradientTape() as tape:
            layer.perturb = watch
            y_pred = model(x, training=True)
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                      training=True)
            scaled = model.optimizer.scale_loss(loss)
        *clean, toward = tape.gradient(scaled, [*weights, embedded["steps"]])
        push = epsilon * unit_per_text(toward)
        with tf.GradientTape() as tape:
            layer.perturb = lambda inputs: inputs + push
            y_adversarial = model(x, training=True)
            adversarial = model.optimizer.scale_loss(model.compute_loss(
                x=x, y=y, y_pred=y_adversarial, sample_weight=sample_weight, training=True))
        layer.perturb = None
        pushed = tape.gradient(adversarial, weights)
        model.optimizer.apply_gradients(zip(map(added, clean, pushed), weights, strict=True))
        for metric in model.metrics:  # the clean loss, comparable with val_loss
            if metric.name == "loss":
                metric.update_state(loss, sample_weight=tf.shape(x)[0])
        return model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    return train_step


def added(first, second):
    """The sum of two gradients of one weight (an embedding's come as IndexedSlices)."""
    import tensorflow as tf

    return tf.convert_to_tensor(first) + tf.convert_to_tensor(second)


def unit_per_text(gradient):
    """Each text's gradient over all its steps and features scaled to norm 1 (zero stays)."""
    import tensorflow as tf

    gradient = tf.stop_gradient(gradient)
    norm = tf.sqrt(tf.reduce_sum(tf.square(gradient), axis=[1, 2], keepdims=True))
    return gradient / tf.maximum(norm, 1e-12)
