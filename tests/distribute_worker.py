"""One process of tests/test_distribute.py: trains the tiny classifier with `distributed_fit`.

`python tests/distribute_worker.py STRATEGY OUT_DIR` writes `OUT_DIR/<name>.json` (the epoch logs)
and, on the chief, `OUT_DIR/<name>.keras`; a worker that is not the chief saves its model to a
temporary folder, as a train stage does. STRATEGY is a `make_strategy` name; for `multi_worker`
(TF_CONFIG set) <name> adds the task index. The test trains the single-process reference itself.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")  # CPU only, whatever the machine has
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

VOCAB, CLASSES, LENGTH, ROWS, TRAIN_ROWS, BATCH, EPOCHS = 20, 3, 6, 96, 64, 32, 4
CLASS_WEIGHT = {0: 1.0, 1: 2.0, 2: 0.5}
_EPOCH = [0]  # the epoch in progress, as `NoteEpoch` last saw it


def data() -> tuple:
    """Token rows whose class is the most frequent of three token groups."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.integers(1, VOCAB, size=(ROWS, LENGTH)).astype("int32")
    y = np.stack([np.isin(x, range(1 + c, VOCAB, CLASSES)).sum(1) for c in range(CLASSES)], 1)
    return x, y.argmax(1).astype("int32")


def note_epoch() -> Any:
    """A callback keeping `_EPOCH`: the train batches' order is drawn from it, as the train
    stages' `shuffled_batches` draws it from the epoch (not from how often data was read)."""
    import keras

    class NoteEpoch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            _EPOCH[0] = epoch

    return NoteEpoch()


def datasets() -> tuple:
    """Train batches in a new order each epoch, the same in every process; val in order."""
    import numpy as np
    import tensorflow as tf

    from rnnlab.tasks.fit import finish

    x, y = (tf.constant(a) for a in data())
    order = tf.data.Dataset.from_generator(
        lambda: np.random.default_rng([1, _EPOCH[0]]).permutation(TRAIN_ROWS),
        output_signature=tf.TensorSpec((), tf.int64))
    train = order.batch(BATCH).map(lambda i: (tf.gather(x, i), tf.gather(y, i)))
    val = tf.data.Dataset.from_tensor_slices((x[TRAIN_ROWS:], y[TRAIN_ROWS:])).batch(BATCH)
    return finish(train, TRAIN_ROWS // BATCH), finish(val)


def build_model(clipnorm: float | None = 0.05) -> Any:
    """Embedding -> GRU(8) -> softmax; clipnorm small enough to clip most steps."""
    import keras

    keras.utils.set_random_seed(0)
    tokens = keras.Input(shape=(None,), dtype="int32")
    h = keras.layers.Embedding(VOCAB, 8)(tokens)
    h = keras.layers.GRU(8)(h)
    model = keras.Model(tokens, keras.layers.Dense(CLASSES, activation="softmax")(h))
    model.compile(optimizer=keras.optimizers.Adam(0.02, clipnorm=clipnorm),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def early_stopping() -> Any:
    """Stops when val_loss gains less than 0.05 (after 3 epochs here), keeping the best weights."""
    import keras

    return keras.callbacks.EarlyStopping(monitor="val_loss", patience=1, min_delta=0.05,
                                         restore_best_weights=True)


def train(strategy: Any) -> tuple:
    """The run every process makes: (model, History)."""
    from rnnlab.tasks.distribute import distributed_fit

    with strategy.scope():
        model = build_model()
    train_data, val = datasets()
    history = distributed_fit(model, train_data, val, EPOCHS, [note_epoch(), early_stopping()],
                              strategy, class_weight=CLASS_WEIGHT)
    return model, history


def main(strategy_name: str, out_dir: Path) -> None:
    import tensorflow as tf

    from rnnlab.tasks.distribute import is_chief, make_strategy

    tf.config.threading.set_inter_op_parallelism_threads(1)  # light on a shared machine
    strategy = make_strategy(strategy_name)  # before any other TensorFlow work
    model, history = train(strategy)
    task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {})
    name = f"{strategy_name}{task.get('index', '')}"
    with tempfile.TemporaryDirectory() as scratch:  # every worker saves: saving may sync them
        model.save((out_dir if is_chief(strategy) else Path(scratch)) / f"{name}.keras")
    (out_dir / f"{name}.json").write_text(json.dumps(
        {"chief": is_chief(strategy), "replicas": strategy.num_replicas_in_sync,
         "history": history.history}))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
