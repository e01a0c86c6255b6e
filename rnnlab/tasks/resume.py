"""Resumable training: a killed `train*` stage run again goes on from its last whole epoch.

Keras's `BackupAndRestore` keeps the weights, the optimizer's state and the epoch. `Resume` adds
what it does not keep: EarlyStopping's state (its best weights too), the dropout layers' random
seed states, the history so far, and the dvclive curves written so far, which DVC deletes with
the stage's outputs before it runs the stage again. Training data
shuffles with `epoch_rng`, seeded by the epoch, so a resumed run sees the batches an
uninterrupted one would have seen and ends with the same weights.

The backup lives in `.rnnlab/backup/<section>/<entry>/`, outside every DVC output, and is
removed when training ends; a backup made with other params or another model is thrown away.

A backup is checked before it is trusted (`check_backup`): every file readable, the epoch count a
whole number within the params' epochs, early stopping's state agreeing with it, the fingerprint
this model's and params', and every saved array (weights, best weights, seed states) of the
model's shapes. One that fails is discarded with a one-line warning naming the folder and why,
and training starts over: a damaged or forged backup never crashes a run and is never used.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rnnlab.core.errors import RnnlabError
from rnnlab.core.files import load_npz, read_json, save_npz, write_json

if TYPE_CHECKING:
    import keras

_EPOCH = [0]  # the epoch training is in; set by `Resume` (or by `note_epoch`)
STATE, CURVES, FINGERPRINT = "early_stopping.json", "curves", "fingerprint.txt"
BEST_WEIGHTS, SEEDS = "best_weights.npz", "seed_states.npz"
METADATA, WEIGHTS = "training_metadata.json", "latest.weights.h5"  # Keras's BackupAndRestore's
# What each fingerprint was made from (the params' epochs, the model's weight and seed shapes):
# what a backup with that fingerprint may hold. `fingerprint` fills it in.
_MADE_FROM: dict[str, dict] = {}


def note_epoch(epoch: int) -> None:
    _EPOCH[0] = epoch


def epoch_rng(seed: int) -> np.random.Generator:
    """This epoch's shuffle: the same for epoch k whether or not training was resumed."""
    return np.random.default_rng([seed, _EPOCH[0]])


def fingerprint(model: keras.Model, params: object) -> str:
    """What a backup must have been made with: the model's architecture and its params."""
    text = model.to_json() + json.dumps(params, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()
    epochs = params.get("epochs") if isinstance(params, dict) else None
    _MADE_FROM[digest] = {
        "epochs": epochs if isinstance(epochs, int) and not isinstance(epochs, bool) else None,
        "weights": [tuple(w.shape) for w in model.weights],
        "seeds": [tuple(v.shape) for v in _seed_states(model)]}
    return digest


def backed_up_epoch(backup_dir: Path) -> int:
    """Epochs a backup holds (0: none), its early-stopping state agreeing with it."""
    try:
        meta = json.loads((backup_dir / METADATA).read_text())
        state = json.loads((backup_dir / STATE).read_text())
        epoch = meta["epoch"]
        agree = isinstance(state, dict) and state.get("epoch") == epoch
    except (OSError, ValueError, TypeError, KeyError, IndexError):
        return 0
    return epoch if agree and isinstance(epoch, int) and not isinstance(epoch, bool) else 0


class UnusableBackup(Exception):
    """Why a backup cannot be resumed from (one line); never shown as an error."""


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _read(path: Path, reader) -> object:
    """`reader(path)`, any failure to read it an `UnusableBackup` naming the file."""
    if not path.exists():
        raise UnusableBackup(f"{path.name}: missing")
    if not path.is_file():
        raise UnusableBackup(f"{path.name}: not a file")
    try:
        return reader(path)
    except RnnlabError as err:  # the message names the whole path: keep the file's name only
        reason = str(err).splitlines()[0].replace(str(path), path.name)
        raise UnusableBackup(reason) from None
    except (OSError, UnicodeError, ValueError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise UnusableBackup(f"{path.name}: not readable ({first})") from None


def _shapes(name: str, got: list[tuple], expected: list[tuple] | None, what: str) -> None:
    if expected is not None and got != expected:
        raise UnusableBackup(f"{name}: {len(got)} {what} of shapes {_brief(got)}, but the model "
                             f"has {len(expected)} of shapes {_brief(expected)}")


def _brief(shapes: list[tuple]) -> str:
    text = ", ".join(str(list(s)) for s in shapes)
    return text if len(text) <= 120 else text[:117] + "..."


def _arrays(backup_dir: Path, name: str, prefix: str, expected: list[tuple] | None,
            what: str) -> None:
    """An .npz of the backup holds `prefix`0.. `prefix`n-1 of the `expected` shapes."""
    arrays = _read(backup_dir / name, load_npz)
    keys = [f"{prefix}{i}" for i in range(len(arrays))]
    if sorted(arrays) != sorted(keys):
        raise UnusableBackup(f"{name}: members {sorted(arrays)}, expected {prefix}0.."
                             f"{prefix}{len(arrays) - 1}")
    _shapes(name, [tuple(arrays[k].shape) for k in keys], expected, what)


def _h5_weight_shapes(path: Path) -> list[tuple]:
    """The shapes of the layers' variables in a Keras `.weights.h5`, in no particular order."""
    import h5py

    shapes: list[tuple] = []
    with h5py.File(path, "r") as weights:
        layers = weights.get("layers")
        if not isinstance(layers, h5py.Group):
            raise ValueError("no `layers` group: not a Keras weights file")
        layers.visititems(lambda _, item: shapes.append(tuple(item.shape))
                          if isinstance(item, h5py.Dataset) else None)
    return shapes


def check_backup(backup_dir: Path, print_: str) -> int:
    """The epochs a backup in `backup_dir` holds (0: nothing to resume), after checking all of
    it against what `print_` was made from; `UnusableBackup` (one line) if any of it is off."""
    if not (backup_dir / METADATA).exists() and not (backup_dir / STATE).exists():
        return 0  # no epoch was ever completed: nothing to resume, nothing to warn about
    made_from = _MADE_FROM.get(print_, {})
    if _read(backup_dir / FINGERPRINT, Path.read_text) != print_:
        raise UnusableBackup(f"{FINGERPRINT}: made with another model or other params")
    meta = _read(backup_dir / METADATA, read_json)
    if not isinstance(meta, dict) or "epoch" not in meta:
        raise UnusableBackup(f"{METADATA}: no epoch count (expected {{\"epoch\": n, ...}})")
    epoch, epochs = meta["epoch"], made_from.get("epochs")
    if not _whole(epoch):
        raise UnusableBackup(f"{METADATA}: epoch {epoch!r} is not a whole number")
    if epoch < 1 or (epochs is not None and epoch > epochs):
        bound = f"1..{epochs} (params epochs)" if epochs is not None else "at least 1"
        raise UnusableBackup(f"{METADATA}: epoch {epoch} is out of range, expected {bound}")
    state = _read(backup_dir / STATE, read_json)
    if not isinstance(state, dict):
        raise UnusableBackup(f"{STATE}: not a mapping of early stopping's state")
    if state.get("epoch") != epoch:
        raise UnusableBackup(f"{STATE}: epoch {state.get('epoch')!r}, but {METADATA} has "
                             f"{epoch} (killed while saving)")
    for key, valid in (("wait", _whole), ("best_epoch", _whole), ("stopped_epoch", _whole),
                       ("best", _number)):
        if not valid(state.get(key)):
            raise UnusableBackup(f"{STATE}: {key} is {state.get(key)!r}, expected a "
                                 f"{'whole number' if valid is _whole else 'number'}")
    history = state.get("history")
    if not isinstance(history, dict) or not all(
            isinstance(v, list) and len(v) == epoch and all(map(_number, v))
            for v in history.values()):
        raise UnusableBackup(f"{STATE}: history is not {epoch} numbers per metric")
    _shapes(WEIGHTS, sorted(_read(backup_dir / WEIGHTS, _h5_weight_shapes)),
            sorted(made_from["weights"]) if made_from else None, "weights")
    if (backup_dir / BEST_WEIGHTS).exists():
        _arrays(backup_dir, BEST_WEIGHTS, "w", made_from.get("weights"), "weights")
    _arrays(backup_dir, SEEDS, "s", made_from.get("seeds"), "seed states")
    return epoch


def prepare(backup_dir: Path, print_: str, live_dir: Path) -> int:
    """Keep a backup made by this model and params and put its curves back; else remove it
    (with a one-line warning on stderr when there was one to resume from, naming why).
    Returns the epochs already done."""
    try:
        done = check_backup(backup_dir, print_) if backup_dir.is_dir() else 0
    except UnusableBackup as why:
        print(f"warning: discarding the backup in {backup_dir}: {why}; training starts over",
              file=sys.stderr)
        done = 0
    if not done:  # a fresh start: no curves of an earlier run either
        shutil.rmtree(live_dir, ignore_errors=True)
        if backup_dir.is_symlink() or (backup_dir.exists() and not backup_dir.is_dir()):
            backup_dir.unlink()
        shutil.rmtree(backup_dir, ignore_errors=True)
        backup_dir.mkdir(parents=True, exist_ok=True)
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
