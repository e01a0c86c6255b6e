"""Resumable training: a killed `train*` stage run again goes on from its last whole epoch.

Keras's `BackupAndRestore` keeps the weights, the optimizer's state and the epoch. `Resume` adds
what it does not keep: EarlyStopping's state (its best weights too), the dropout layers' random
seed states, the history so far, and the dvclive curves written so far, which DVC deletes with
the stage's outputs before it runs the stage again. Training data
shuffles with `epoch_rng`, seeded by the epoch, so a resumed run sees the batches an
uninterrupted one would have seen and ends with the same weights.

The backup lives in `.rnnlab/backup/<section>/<entry>/`, outside every DVC output, and is
removed when training ends; a backup made with other params or another model is thrown away.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rnnlab.core.files import load_npz, save_npz, write_json

if TYPE_CHECKING:
    import keras

_EPOCH = [0]  # the epoch training is in; set by `Resume` (or by `note_epoch`)
STATE, CURVES, FINGERPRINT = "early_stopping.json", "curves", "fingerprint.txt"
BEST_WEIGHTS, SEEDS = "best_weights.npz", "seed_states.npz"


def note_epoch(epoch: int) -> None:
    _EPOCH[0] = epoch


def epoch_rng(seed: int) -> np.random.Generator:
    """This epoch's shuffle: the same for epoch k whether or not training was resumed."""
    return np.random.default_rng([seed, _EPOCH[0]])


def fingerprint(model: keras.Model, params: object) -> str:
    """What a backup must have been made with: the model's architecture and its params."""
    text = model.to_json() + json.dumps(params, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def backed_up_epoch(backup_dir: Path) -> int:
    """Epochs a usable backup holds (0: none), its early-stopping state agreeing with it."""
    try:
        meta = json.loads((backup_dir / "training_metadata.json").read_text())
        state = json.loads((backup_dir / STATE).read_text())
    except (OSError, ValueError):
        return 0
    return meta["epoch"] if state.get("epoch") == meta["epoch"] else 0


def prepare(backup_dir: Path, print_: str, live_dir: Path) -> int:
    """Keep a backup made by this model and params and put its curves back; else remove it.
    Returns the epochs already done."""
    same = (backup_dir / FINGERPRINT).is_file() and (
        (backup_dir / FINGERPRINT).read_text() == print_)
    done = backed_up_epoch(backup_dir) if same else 0
    if not done:  # a fresh start: no curves of an earlier run either
        shutil.rmtree(live_dir, ignore_errors=True)
        shutil.rmtree(backup_dir, ignore_errors=True)
        backup_dir.mkdir(parents=True)
        (backup_dir / FINGERPRINT).write_text(print_)
        return 0
    shutil.rmtree(live_dir, ignore_errors=True)
    if (backup_dir / CURVES).is_dir():
        shutil.copytree(backup_dir / CURVES, live_dir)
    print(f"resuming from the backup in {backup_dir}: {done} epochs done")
    return done


def _seed_states(model: keras.Model) -> list:
    """The random-seed variables (dropout's): in `model.variables` but not in `weights`."""
    weights = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weights]


def resume_callback(backup_dir: Path, live_dir: Path, early_stopping: keras.callbacks.EarlyStopping,
                    history: dict[str, list] | None = None) -> keras.callbacks.Callback:
    """A `BackupAndRestore` that also saves `early_stopping` and the curves in `live_dir`; put
    it after both in the callback list, so it saves what they hold at the end of an epoch.
    Its `history` is every epoch's logs: `history` (earlier epochs), then this training's."""
    import keras

    class Resume(keras.callbacks.BackupAndRestore):
        def on_train_begin(self, logs=None):
            super().on_train_begin(logs)
            self.history = {key: list(values) for key, values in (history or {}).items()}
            if backed_up_epoch(backup_dir):
                state = json.loads((backup_dir / STATE).read_text())
                for key in ("wait", "best", "best_epoch", "stopped_epoch"):
                    setattr(early_stopping, key, state[key])
                self.history = state["history"]
                if (backup_dir / BEST_WEIGHTS).is_file():
                    weights = load_npz(backup_dir / BEST_WEIGHTS)
                    early_stopping.best_weights = [weights[f"w{i}"] for i in range(len(weights))]
                seeds = load_npz(backup_dir / SEEDS)
                for i, variable in enumerate(_seed_states(self.model)):
                    variable.assign(seeds[f"s{i}"])

        def on_epoch_begin(self, epoch, logs=None):
            note_epoch(epoch)
            super().on_epoch_begin(epoch, logs)

        def on_epoch_end(self, epoch, logs=None):
            if early_stopping.best_weights is not None:
                save_npz(backup_dir / BEST_WEIGHTS, **{
                    f"w{i}": w for i, w in enumerate(early_stopping.best_weights)})
            save_npz(backup_dir / SEEDS, **{
                f"s{i}": v.numpy() for i, v in enumerate(_seed_states(self.model))})
            for key, value in (logs or {}).items():
                self.history.setdefault(key, []).append(float(value))
            shutil.rmtree(backup_dir / CURVES, ignore_errors=True)
            if live_dir.is_dir():
                shutil.copytree(live_dir, backup_dir / CURVES)
            write_json(backup_dir / STATE, {
                "epoch": epoch + 1, "wait": early_stopping.wait,
                "best": float(early_stopping.best), "best_epoch": early_stopping.best_epoch,
                "stopped_epoch": early_stopping.stopped_epoch, "history": self.history})
            super().on_epoch_end(epoch, logs)  # the epoch count last: it makes the rest valid

    return Resume(str(backup_dir))
