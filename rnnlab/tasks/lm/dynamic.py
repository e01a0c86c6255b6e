"""Dynamic evaluation of a windows language model (Krause et al. 2018, "Dynamic Evaluation of
Neural Sequence Models"): the held-out stream is read in order, and after each segment is
scored the weights take one gradient step on that segment, so later text is predicted by a model
adapted to the text just read.

The rule that keeps the number honest: every token is scored by weights that have not been
updated on it. Each segment's scores come from the same forward pass whose loss then gives the
update, computed before the weights change, and each update uses only tokens already scored.

The stream is cut exactly as the static score cuts it (`held_out_windows`: windows of
`eval_window` tokens, each starting from a zero state), so with a learning rate of 0 the number
is the static loss; inside a window the state is carried from segment to segment. The update is
plain SGD on the segment's mean loss, optionally pulled back toward the trained weights by
`decay` (Krause's "global prior", without the RMS normalisation, which needs gradient statistics
of the training text). `streams` windows far apart in the text are read side by side, one update
from all of them: much faster on a CPU, and with 1 the text is read strictly in order.

The model is never changed: the update runs on a copy of its layers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rnnlab.core.errors import DataError
from rnnlab.text.vocab import PAD_ID

if TYPE_CHECKING:
    import keras


class _Copy:
    """The model's layers as fresh copies with its weights, the recurrent ones returning their
    state so that a window can be fed one segment at a time. Dropout is left out (inference)."""

    def __init__(self, model: keras.Model) -> None:
        import keras

        self.layers: list[keras.layers.Layer] = []
        self.recurrent: list[keras.layers.RNN] = []
        for layer in model.layers:
            if isinstance(layer, keras.layers.InputLayer | keras.layers.Dropout):
                continue
            if isinstance(layer, keras.layers.Bidirectional):
                raise DataError(f"{model.name}: layer {layer.name} reads both ways; dynamic "
                                "evaluation needs a left-to-right (windows) model")
            config = layer.get_config()
            if isinstance(layer, keras.layers.RNN):
                config |= {"return_sequences": True, "return_state": True, "stateful": False}
            self.layers.append(type(layer).from_config(config))
            if isinstance(layer, keras.layers.RNN):
                self.recurrent.append(self.layers[-1])
        self.call(np.ones((1, 2), np.int32), self.zero_states(1))  # builds the copies
        sources = [layer for layer in model.layers if layer.weights]
        copies = [layer for layer in self.layers if layer.weights]
        if len(sources) != len(copies):
            raise DataError(f"{model.name}: not a chain of layers this evaluation can copy")
        for source, copy in zip(sources, copies, strict=True):
            copy.set_weights(source.get_weights())
        probe = np.arange(1, 9, dtype=np.int32)[None] % int(model.output_shape[-1])
        logits, _ = self.call(probe, self.zero_states(1))
        if not np.allclose(np.asarray(logits), np.asarray(model(probe)), atol=1e-4):
            raise DataError(f"{model.name}: its layer copy computes other logits; dynamic "
                            "evaluation supports a plain chain (embedding, recurrent, dense)")
        self.weights = [w for layer in self.layers for w in layer.trainable_weights]

    def zero_states(self, batch: int) -> list:
        import tensorflow as tf

        return [[tf.zeros((batch, size)) for size in np.atleast_1d(layer.cell.state_size)]
                for layer in self.recurrent]

    def call(self, x: object, states: list) -> tuple[object, list]:
        """Logits for every position of `x`, and each recurrent layer's state after it."""
        out, new_states, depth = x, [], 0
        for layer in self.layers:
            if layer in self.recurrent:
                out, *state = layer(out, initial_state=states[depth])
                new_states.append(state)
                depth += 1
            else:
                out = layer(out)
        return out, new_states


def dynamic_logprobs(model: keras.Model, x: np.ndarray, y: np.ndarray, learning_rate: float,
                     segment: int, decay: float = 0.0, streams: int = 1) -> np.ndarray:
    """Natural-log probability of every target of `y` that is not padding, in stream order (as
    `generate.token_logprobs` gives the static ones), each scored before any update on it.

    `x`, `y`: the held-out windows (`held_out_windows`), rows in stream order; `segment`:
    tokens scored per update; `streams`: windows read side by side (contiguous blocks of rows).
    """
    import tensorflow as tf

    copy = _Copy(model)
    trained = [tf.constant(w.numpy()) for w in copy.weights]
    rate, pull = tf.constant(learning_rate, tf.float32), tf.constant(decay, tf.float32)

    @tf.function(reduce_retracing=True)
    def score_then_step(xs: tf.Tensor, ys: tf.Tensor, states: list) -> tuple:
        with tf.GradientTape() as tape:
            logits, states = copy.call(xs, states)
            keep = tf.cast(ys != PAD_ID, tf.float32)
            nll = tf.nn.sparse_softmax_cross_entropy_with_logits(ys, logits)
            loss = tf.reduce_sum(nll * keep) / tf.maximum(tf.reduce_sum(keep), 1.0)
        # the scores, in float64 as the static score computes them, before any weight changes
        logp = tf.nn.log_softmax(tf.cast(logits, tf.float64))
        picked = tf.gather(logp, ys, batch_dims=2)
        for weight, grad, start in zip(copy.weights, tape.gradient(loss, copy.weights), trained,
                                       strict=True):
            step = rate * tf.convert_to_tensor(grad) + pull * (weight - start)
            weight.assign_sub(step)
        return picked, states

    rows, window = x.shape
    per_stream = -(-rows // streams)
    order = np.arange(per_stream * streams).reshape(streams, per_stream)  # block g: stream g
    padded = np.full((per_stream * streams, window), PAD_ID, np.int32)
    xp, yp, out = padded.copy(), padded.copy(), np.zeros(padded.shape)
    xp[:rows], yp[:rows] = x, y
    for t in range(per_stream):
        batch = order[:, t]
        states = copy.zero_states(streams)  # each window starts from a zero state, as statically
        for start in range(0, window, segment):
            cut = slice(start, start + segment)
            if not (yp[batch, cut] != PAD_ID).any():
                break  # only the last window's padding is left
            picked, states = score_then_step(tf.constant(xp[batch, cut]),
                                             tf.constant(yp[batch, cut]), states)
            out[batch, cut] = picked.numpy()
    return out[:rows][y != PAD_ID]
