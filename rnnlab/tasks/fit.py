"""What every task family's training shares: its params, seeds, optimizer, `tf.data` options
and the `fit` loop (EarlyStopping on validation loss, dvclive curves, resumable, optionally
with some layers frozen for the first epochs, optionally distributed)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rnnlab.tasks import resume
from rnnlab.tasks.fit_params import FitParams

if TYPE_CHECKING:  # TensorFlow loads only once a stage's params are valid
    import keras
    import tensorflow as tf

PREFETCH = 2


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


def shuffled_batches(arrays: object, batch_size: int, seed: int) -> tf.data.Dataset:
    """Batches of `arrays` (a nest of equally long NumPy arrays) in a new order each epoch, drawn
    from `resume.epoch_rng`: a resumed training replays the order of an uninterrupted one."""
    import tensorflow as tf

    tensors = tf.nest.map_structure(tf.constant, arrays)
    n = len(tf.nest.flatten(arrays)[0])
    order = tf.data.Dataset.from_generator(lambda: resume.epoch_rng(seed).permutation(n),
                                           output_signature=tf.TensorSpec((), tf.int64))
    dataset = order.batch(batch_size).map(
        lambda idx: tf.nest.map_structure(lambda t: tf.gather(t, idx), tensors))
    return finish(dataset, -(-n // batch_size))


def make_optimizer(params: FitParams) -> keras.optimizers.Optimizer:
    import keras

    optimizers = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
                  "sgd": keras.optimizers.SGD}
    return optimizers[params.optimizer](learning_rate=params.learning_rate,
                                        clipnorm=params.clipnorm)


def make_strategy(params: FitParams) -> tf.distribute.Strategy:
    """The `tf.distribute` strategy the params name. Make it before anything else TensorFlow
    runs (MultiWorkerMirroredStrategy must be), build the model in its `scope()`, and pass it to
    `fit`; only its chief writes outputs (`is_chief`)."""
    from rnnlab.tasks import distribute

    return distribute.make_strategy(params.strategy)


def is_chief(strategy: tf.distribute.Strategy | None) -> bool:
    from rnnlab.tasks import distribute

    return strategy is None or distribute.is_chief(strategy)


def fit(model: keras.Model, train: tf.data.Dataset, val: tf.data.Dataset, params: FitParams,
        live_dir: Path, backup_dir: Path, class_weight: dict[int, float] | None = None,
        frozen: Sequence[str] = (), freeze_epochs: int = 0,
        strategy: tf.distribute.Strategy | None = None) -> keras.callbacks.History:
    """Train with EarlyStopping on val_loss (best weights kept), log each epoch with dvclive and
    back up each epoch in `backup_dir`, so a killed run resumes where it stopped.

    With `freeze_epochs`, the `frozen` layers (pretrained ones) do not train for the first
    epochs; then everything trains, with a fresh optimizer, as Keras's transfer-learning guide
    does it. With a `strategy` other than the default, training runs on its devices or workers;
    a worker that is not the chief keeps its curves and backup in a temporary folder.
    """
    if not is_chief(strategy):
        with tempfile.TemporaryDirectory() as scratch:
            return _fit(model, train, val, params, Path(scratch) / "live",
                        Path(scratch) / "backup", class_weight, frozen, freeze_epochs, strategy)
    return _fit(model, train, val, params, live_dir, backup_dir, class_weight, frozen,
                freeze_epochs, strategy)


def _fit(model: keras.Model, train: tf.data.Dataset, val: tf.data.Dataset, params: FitParams,
         live_dir: Path, backup_dir: Path, class_weight: dict[int, float] | None,
         frozen: Sequence[str], freeze_epochs: int,
         strategy: tf.distribute.Strategy | None) -> keras.callbacks.History:
    from dvclive import Live

    model_print = resume.fingerprint(model, dataclasses.asdict(params))
    tuned_dir, frozen_dir = backup_dir / "all", backup_dir / "frozen"
    freeze = freeze_epochs > 0 and bool(frozen)
    done = resume.prepare(tuned_dir, model_print, live_dir)
    if done:
        freeze = False
    elif freeze:  # no epoch thawed yet: the frozen ones first, or what is left of them
        done = resume.prepare(frozen_dir, model_print, live_dir)
    start, earlier = 0, {}
    with Live(dir=str(live_dir), resume=True, save_dvc_exp=False, dvcyaml=None,
              report=None) as live:
        live.step = done  # dvclive would take one logged step (step 0) for none
        if freeze:
            _set_trainable(model, frozen, False, strategy)
            start = min(freeze_epochs, params.epochs)
            earlier = _fit_phase(model, train, val, params, live, live_dir, frozen_dir, 0, start,
                                 class_weight, {}, strategy).history
            _set_trainable(model, frozen, True, strategy)
        return _fit_phase(model, train, val, params, live, live_dir, tuned_dir, start,
                          params.epochs, class_weight, earlier, strategy)


def _set_trainable(model: keras.Model, names: Sequence[str], trainable: bool,
                   strategy: tf.distribute.Strategy | None) -> None:
    """Freeze or thaw layers, then compile again (a fresh optimizer over what now trains)."""
    for name in names:
        model.get_layer(name).trainable = trainable
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model.compile_from_config(model.get_compile_config())


def _fit_phase(model: keras.Model, train: tf.data.Dataset, val: tf.data.Dataset,
               params: FitParams, live: object, live_dir: Path, backup_dir: Path,
               first_epoch: int, last_epoch: int, class_weight: dict[int, float] | None,
               earlier: dict[str, list],
               strategy: tf.distribute.Strategy | None) -> keras.callbacks.History:
    import keras
    import tensorflow as tf
    from dvclive.keras import DVCLiveCallback

    from rnnlab.tasks import progress

    if first_epoch >= last_epoch:
        history = keras.callbacks.History()
        history.history = earlier
        return history
    stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=params.patience,
                                             restore_best_weights=True)
    backup = resume.resume_callback(backup_dir, live_dir, stopping, earlier)
    # a progress bar on a terminal; in a log one line per epoch, and within a long one a line
    # every progress.INTERVAL seconds
    callbacks = [stopping, DVCLiveCallback(live=live), backup, progress.EpochProgress()]
    verbose = progress.keras_verbose()
    if strategy is not None and params.strategy != "default":
        from rnnlab.tasks import distribute

        history = distribute.distributed_fit(model, train, val, last_epoch, callbacks, strategy,
                                             class_weight=class_weight,
                                             initial_epoch=first_epoch, verbose=verbose)
    else:
        # `shuffle` is Keras's for arrays: a tf.data dataset comes shuffled (shuffled_batches)
        # and Keras ignores it, warning when it is True, as it is by default
        history = model.fit(train, validation_data=val, epochs=last_epoch,
                            initial_epoch=first_epoch, callbacks=callbacks,
                            class_weight=class_weight, verbose=verbose,
                            shuffle=not isinstance(train, tf.data.Dataset))
    history.history = backup.history  # every epoch's logs, those before a resume included
    return history


def history_summary(history: keras.callbacks.History, seconds: float) -> dict:
    """What a model folder's meta records of its training."""
    val_loss = history.history["val_loss"]
    best = min(range(len(val_loss)), key=val_loss.__getitem__)
    return {"epochs_run": len(val_loss), "best_epoch": best + 1,
            "best_val_loss": round(float(val_loss[best]), 6), "train_seconds": round(seconds, 1)}
