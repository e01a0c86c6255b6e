"""Input pipelines and the training loop every task shares.

Speed on CPU comes from three things measured on IMDB: `tf.data` with autotune off and a fixed
prefetch (autotune's wake-ups cost more than they win on 2 cores); length bucketing, so a batch
of short reviews is not padded to `maxlen`; and masking, so padding never reaches the loss.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from rnnlab.config import TrainParams

PREFETCH = 2


def set_seeds(seed: int, deterministic: bool) -> None:
    """Seed Python, NumPy and TensorFlow; optionally make TF ops deterministic."""
    os.environ["PYTHONHASHSEED"] = str(seed)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def trim_batch(x: np.ndarray, lengths: np.ndarray, padding: str) -> np.ndarray:
    """Cut a padded batch down to its longest row, keeping the side the tokens are on."""
    width = max(int(lengths.max()), 1)
    return x[:, :width] if padding == "post" else x[:, x.shape[1] - width:]


def bucketed_order(lengths: np.ndarray, batch_size: int, span: int,
                   rng: np.random.Generator) -> list[np.ndarray]:
    """Batches of similar lengths in random order: shuffle, sort within spans, shuffle batches.

    Sorting only within spans of `span` batches keeps batches varied from epoch to epoch while
    padding stays small.
    """
    order = rng.permutation(len(lengths))
    chunk = batch_size * span
    batches = []
    for start in range(0, len(order), chunk):
        part = order[start: start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i: i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def _options() -> tf.data.Options:
    options = tf.data.Options()
    options.autotune.enabled = False
    options.deterministic = True
    return options


def train_dataset(
    x: np.ndarray, y: np.ndarray, lengths: np.ndarray, params: TrainParams, padding: str
) -> tf.data.Dataset:
    """Shuffled training batches, reshuffled each epoch from the params seed."""
    if not params.bucketing:
        dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(
            len(x), seed=params.seed, reshuffle_each_iteration=True).batch(params.batch_size)
        return dataset.prefetch(PREFETCH).with_options(_options())
    rng = np.random.default_rng(params.seed)

    def batches() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for idx in bucketed_order(lengths, params.batch_size, params.bucket_span, rng):
            yield trim_batch(x[idx], lengths[idx], padding), y[idx]

    signature = (tf.TensorSpec((None, None), tf.int32),
                 tf.TensorSpec((None,) + y.shape[1:], tf.as_dtype(y.dtype)))
    dataset = tf.data.Dataset.from_generator(batches, output_signature=signature)
    return dataset.prefetch(PREFETCH).with_options(_options())


def eval_batches(x: np.ndarray, lengths: np.ndarray, batch_size: int,
                 padding: str) -> tuple[list[np.ndarray], np.ndarray]:
    """Batches sorted by length (least padding) and the order that maps results back."""
    order = np.argsort(lengths, kind="stable")
    batches = [trim_batch(x[order[i: i + batch_size]], lengths[order[i: i + batch_size]], padding)
               for i in range(0, len(order), batch_size)]
    return batches, order


def eval_dataset(x: np.ndarray, y: np.ndarray, lengths: np.ndarray, batch_size: int,
                 padding: str) -> tf.data.Dataset:
    """Validation batches, length-sorted and fixed, for `fit(validation_data=...)`."""
    batches, order = eval_batches(x, lengths, batch_size, padding)
    ys = [y[order[i: i + batch_size]] for i in range(0, len(order), batch_size)]
    signature = (tf.TensorSpec((None, None), tf.int32),
                 tf.TensorSpec((None,) + y.shape[1:], tf.as_dtype(y.dtype)))
    dataset = tf.data.Dataset.from_generator(lambda: zip(batches, ys, strict=True),
                                             output_signature=signature)
    return dataset.prefetch(PREFETCH).with_options(_options())


def predict(model: keras.Model, x: np.ndarray, lengths: np.ndarray, batch_size: int,
            padding: str) -> np.ndarray:
    """Model outputs for every row of `x`, in the original row order."""
    batches, order = eval_batches(x, lengths, batch_size, padding)
    outputs = np.concatenate([model.predict_on_batch(batch) for batch in batches])
    result = np.empty_like(outputs)
    result[order] = outputs
    return result


def class_weights(y: np.ndarray, num_classes: int) -> dict[int, float]:
    """`n / (classes_present * count)` per class, as scikit-learn's "balanced"; absent: 1."""
    counts = np.bincount(y, minlength=num_classes)
    present = counts > 0
    weights = np.ones(num_classes)
    weights[present] = len(y) / (present.sum() * counts[present])
    return {i: float(w) for i, w in enumerate(weights)}


def fit(
    model: keras.Model,
    train: tf.data.Dataset,
    val: tf.data.Dataset,
    params: TrainParams,
    live_dir: Path,
    class_weight: dict[int, float] | None = None,
) -> keras.callbacks.History:
    """Train with EarlyStopping on val_loss (best weights kept); log each epoch with dvclive."""
    from dvclive import Live
    from dvclive.keras import DVCLiveCallback

    with Live(dir=str(live_dir), save_dvc_exp=False, dvcyaml=None, report=None) as live:
        callbacks = [
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=params.patience,
                                          restore_best_weights=True),
            DVCLiveCallback(live=live),
        ]
        return model.fit(train, validation_data=val, epochs=params.epochs, callbacks=callbacks,
                         class_weight=class_weight, verbose=2)
