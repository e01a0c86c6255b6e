"""Language-model input pipelines: shuffled stream windows, fixed arrays, held-out windows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from rnnlab.core.errors import DataError
from rnnlab.tasks.fit import finish, shuffled_batches
from rnnlab.tasks.lm.params import LMSequencesParams
from rnnlab.tasks.resume import epoch_rng
from rnnlab.text.sequences import next_token_windows
from rnnlab.text.vocab import PAD_ID

if TYPE_CHECKING:
    import tensorflow as tf

def window_count(stream_length: int, size: int, step: int) -> int:
    """Windows per epoch: the same for every start offset in [0, step)."""
    return max((stream_length - size - step) // step + 1, 0)


def windows_dataset(stream: np.ndarray, seq: LMSequencesParams, batch_size: int,
                    seed: int, max_windows: int | None = None) -> tf.data.Dataset:
    """Shuffled many-to-many windows; each epoch starts them at a new random offset, so over
    epochs the model sees every split point of the text. `max_windows` caps an epoch (a random
    share of the windows, new each epoch) where the text is too long for whole epochs."""
    import tensorflow as tf

    count = window_count(len(stream), seq.sentence_size, seq.step)
    if count == 0:
        raise DataError(f"the training text has {len(stream)} tokens, fewer than "
                         f"sentence_size + step = {seq.sentence_size + seq.step}")
    per_epoch = min(count, max_windows or count)

    def batches() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        rng = epoch_rng(seed)
        starts = rng.integers(seq.step) + seq.step * rng.permutation(count)[:per_epoch]
        for i in range(0, per_epoch, batch_size):
            yield next_token_windows(stream, seq.sentence_size, starts[i: i + batch_size])

    spec = tf.TensorSpec((None, seq.sentence_size), tf.int32)
    dataset = tf.data.Dataset.from_generator(batches, output_signature=(spec, spec))
    return finish(dataset, -(-per_epoch // batch_size))


def arrays_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int | None,
                   ) -> tf.data.Dataset:
    """Batches of fixed arrays, shuffled each epoch when `seed` is given."""
    import tensorflow as tf

    if seed is not None:
        return shuffled_batches((x, y), batch_size, seed)
    return finish(tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size))


def held_out_windows(stream: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """The whole stream as consecutive windows (inputs, next-token targets); the last window is
    padded, and padding targets are PAD so they can be left out of the loss."""
    n = len(stream) - 1
    rows = -(-n // window)
    x = np.full(rows * window, PAD_ID, dtype=np.int32)
    y = np.full(rows * window, PAD_ID, dtype=np.int32)
    x[:n], y[:n] = stream[:-1], stream[1:]
    return x.reshape(rows, window), y.reshape(rows, window)
