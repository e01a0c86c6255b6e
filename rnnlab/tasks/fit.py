"""What every task family's training shares: its params, seeds, optimizer, `tf.data` options
and the `fit` loop (EarlyStopping on validation loss, dvclive curves)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rnnlab.core.params import value

if TYPE_CHECKING:  # TensorFlow loads only once a stage's params are valid
    import keras
    import tensorflow as tf

PREFETCH = 2


@dataclasses.dataclass(frozen=True, kw_only=True)
class FitParams:
    """The optimisation settings of every `train*` section."""

    seed: int
    optimizer: Literal["adam", "rmsprop", "sgd"]
    learning_rate: float = value(gt=0)
    clipnorm: float | None = value(gt=0)  # clip each gradient's norm (None: no clipping)
    batch_size: int = value(ge=1)
    epochs: int = value(ge=1)
    patience: int = value(ge=0)  # EarlyStopping on val_loss, best weights restored
    deterministic: bool  # tf.config.experimental.enable_op_determinism()


def set_seeds(seed: int, deterministic: bool) -> None:
    """Seed Python, NumPy and TensorFlow; optionally make TF ops deterministic."""
    import keras
    import tensorflow as tf

    os.environ["PYTHONHASHSEED"] = str(seed)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def dataset_options() -> tf.data.Options:
    """Autotune off, a fixed order: its wake-ups cost more than they win on 2 cores."""
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    options.deterministic = True
    return options


def finish(dataset: tf.data.Dataset, batches: int | None = None) -> tf.data.Dataset:
    """Prefetch and the shared options; `batches` tells Keras how many there are per epoch,
    so a generator-backed dataset does not end its first epoch with "ran out of data"."""
    import tensorflow as tf

    if batches is not None:
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    return dataset.prefetch(PREFETCH).with_options(dataset_options())


def make_optimizer(params: FitParams) -> keras.optimizers.Optimizer:
    import keras

    optimizers = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
                  "sgd": keras.optimizers.SGD}
    return optimizers[params.optimizer](learning_rate=params.learning_rate,
                                        clipnorm=params.clipnorm)


def fit(model: keras.Model, train: tf.data.Dataset, val: tf.data.Dataset, params: FitParams,
        live_dir: Path, class_weight: dict[int, float] | None = None) -> keras.callbacks.History:
    """Train with EarlyStopping on val_loss (best weights kept); log each epoch with dvclive."""
    import keras
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


def history_summary(history: keras.callbacks.History, seconds: float) -> dict:
    """What a model folder's meta records of its training."""
    val_loss = history.history["val_loss"]
    best = min(range(len(val_loss)), key=val_loss.__getitem__)
    return {"epochs_run": len(val_loss), "best_epoch": best + 1,
            "best_val_loss": round(float(val_loss[best]), 6), "train_seconds": round(seconds, 1)}
