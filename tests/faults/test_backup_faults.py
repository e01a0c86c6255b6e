"""Faults in a training backup (`.rnnlab/backup/<section>/<entry>/`): files that are missing,
unreadable or damaged, a forged or out-of-range epoch count, early stopping's state disagreeing
with it, a fingerprint of another model or params, and saved arrays of the wrong shapes.

Each is discarded by `resume.prepare` with a one-line warning on stderr naming the folder and
why; training starts over (0 epochs done, the folder holding this run's fingerprint alone, no
curves kept). Nothing outside the backup and the curves folder changes, and nothing crashes.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from faultkit import one_line, snapshot

from rnnlab.core.files import save_npz, write_json
from rnnlab.tasks import resume

EPOCHS, DONE = 3, 2  # the params' epochs; the epochs the good backup holds


def tiny_model(units: int = 4):
    import keras

    model = keras.Sequential([keras.Input((6,), dtype="int32"), keras.layers.Embedding(20, 3),
                              keras.layers.Dropout(0.2, seed=1), keras.layers.GRU(units),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.optimizer.build(model.trainable_variables)
    return model


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A backup as `Resume` leaves it after DONE epochs, its fingerprint, and the model's
    weights and seed states (to forge the faulty ones from)."""
    model = tiny_model()
    print_ = resume.fingerprint(model, {"epochs": EPOCHS, "seed": 1})
    folder = tmp_path_factory.mktemp("good") / "backup"
    folder.mkdir()
    (folder / resume.FINGERPRINT).write_text(print_)
    model.save_weights(folder / resume.WEIGHTS)
    weights = [np.asarray(w) for w in model.get_weights()]
    seeds = [v.numpy() for v in resume._seed_states(model)]
    assert seeds, "the model needs a seed state to check"
    save_npz(folder / resume.BEST_WEIGHTS, **{f"w{i}": w for i, w in enumerate(weights)})
    save_npz(folder / resume.SEEDS, **{f"s{i}": s for i, s in enumerate(seeds)})
    write_json(folder / resume.STATE, STATE)
    (folder / resume.METADATA).write_text(json.dumps({"epoch": DONE, "batch": -1}))
    (folder / resume.CURVES).mkdir()
    (folder / resume.CURVES / "loss.tsv").write_text("step\tloss\n0\t1.0\n1\t0.5\n")
    other = tmp_path_factory.mktemp("other") / resume.WEIGHTS
    tiny_model(units=5).save_weights(other)
    return {"folder": folder, "print": print_, "weights": weights, "seeds": seeds,
            "other_weights": other}


STATE = {"epoch": DONE, "wait": 0, "best": 0.5, "best_epoch": 1, "stopped_epoch": 0,
         "history": {"loss": [1.0, 0.5], "val_loss": [1.1, 0.6]}}


def copy_of(good: dict, root: Path) -> tuple[Path, Path]:
    """The good backup under root/.rnnlab/backup/train/imdb, and a curves folder beside it."""
    backup = root / ".rnnlab" / "backup" / "train" / "imdb" / "all"
    shutil.copytree(good["folder"], backup)
    live = root / "dvclive" / "imdb"
    live.mkdir(parents=True)
    (live / "stale.tsv").write_text("a curve of the run that was killed")
    (root / "params.yaml").write_text("train: {}\n")  # stands for everything else there
    return backup, live


def test_a_good_backup_is_resumed_with_its_curves(good, tmp_path, capsys):
    backup, live = copy_of(good, tmp_path)
    assert resume.prepare(backup, good["print"], live) == DONE
    out = capsys.readouterr()
    assert out.err == "" and f"{DONE} epochs done" in out.out
    assert sorted(p.name for p in live.iterdir()) == ["loss.tsv"]
    assert (backup / resume.WEIGHTS).exists()


def test_a_folder_with_no_epoch_done_starts_over_without_a_warning(good, tmp_path, capsys):
    backup, live = tmp_path / "backup", tmp_path / "live"
    backup.mkdir()
    (backup / resume.FINGERPRINT).write_text(good["print"])  # killed during the first epoch
    assert resume.prepare(backup, good["print"], live) == 0
    assert capsys.readouterr().err == ""
    assert resume.prepare(tmp_path / "none", good["print"], live) == 0  # no folder at all
    assert capsys.readouterr().err == ""


def _npz(path: Path, **arrays) -> None:
    save_npz(path, **arrays)


def forge(fault: str, backup: Path, good: dict) -> None:
    meta, state = backup / resume.METADATA, backup / resume.STATE
    weights, seeds = good["weights"], good["seeds"]
    best = {f"w{i}": w for i, w in enumerate(weights)}

    def meta_epoch(value):
        meta.write_text(json.dumps({"epoch": value, "batch": -1}))

    def state_with(**changes):
        write_json(state, STATE | changes)

    def both_epochs(value):
        meta_epoch(value)
        state_with(epoch=value)

    actions = {
        "meta-not-json": lambda: meta.write_text("{epoch: 2}"),
        "meta-empty": lambda: meta.write_text(""),
        "meta-truncated": lambda: meta.write_text('{"epoch": 2, "ba'),
        "meta-a-list": lambda: meta.write_text("[2]"),
        "meta-no-epoch": lambda: meta.write_text('{"batch": -1}'),
        "meta-missing": lambda: meta.unlink(),
        "meta-a-folder": lambda: (meta.unlink(), meta.mkdir()),
        "meta-not-utf8": lambda: meta.write_bytes(b'{"epoch": 2, "x": "\xff\xfe"}'),
        "epoch-negative": lambda: both_epochs(-1),
        "epoch-zero": lambda: both_epochs(0),
        "epoch-past-params": lambda: both_epochs(EPOCHS + 1),
        "epoch-huge": lambda: both_epochs(10**12),
        "epoch-a-string": lambda: both_epochs("2"),
        "epoch-a-float": lambda: both_epochs(2.0),
        "epoch-a-bool": lambda: both_epochs(True),
        "epoch-null": lambda: both_epochs(None),
        "state-missing": lambda: state.unlink(),
        "state-not-json": lambda: state.write_text("wait: 0"),
        "state-a-list": lambda: state.write_text("[]"),
        "state-epoch-behind": lambda: state_with(epoch=DONE - 1),
        "state-epoch-ahead": lambda: state_with(epoch=DONE + 1),  # killed between the writes
        "state-wait-a-string": lambda: state_with(wait="0"),
        "state-best-null": lambda: state_with(best=None),
        "state-no-best-epoch": lambda: write_json(state, {k: v for k, v in STATE.items()
                                                         if k != "best_epoch"}),
        "state-history-short": lambda: state_with(history={"loss": [1.0]}),
        "state-history-text": lambda: state_with(history={"loss": ["a", "b"]}),
        "fingerprint-other": lambda: (backup / resume.FINGERPRINT).write_text("0" * 64),
        "fingerprint-missing": lambda: (backup / resume.FINGERPRINT).unlink(),
        "fingerprint-not-utf8": lambda: (backup / resume.FINGERPRINT).write_bytes(b"\xff" * 64),
        "weights-missing": lambda: (backup / resume.WEIGHTS).unlink(),
        "weights-not-hdf5": lambda: (backup / resume.WEIGHTS).write_text("weights"),
        "weights-truncated": lambda: (backup / resume.WEIGHTS).write_bytes(
            (backup / resume.WEIGHTS).read_bytes()[:900]),
        "weights-of-another-model": lambda: shutil.copy(good["other_weights"],
                                                        backup / resume.WEIGHTS),
        "best-truncated": lambda: (backup / resume.BEST_WEIGHTS).write_bytes(
            (backup / resume.BEST_WEIGHTS).read_bytes()[:100]),
        "best-transposed": lambda: _npz(backup / resume.BEST_WEIGHTS,
                                        **best | {"w0": weights[0].T}),
        "best-one-missing": lambda: _npz(backup / resume.BEST_WEIGHTS,
                                         **{k: v for k, v in best.items() if k != "w1"}),
        "best-one-extra": lambda: _npz(backup / resume.BEST_WEIGHTS,
                                       **best | {f"w{len(best)}": np.zeros(3)}),
        "best-a-pickle": lambda: np.savez(backup / resume.BEST_WEIGHTS,
                                          w0=np.asarray([{"a": 1}], dtype=object)),
        "seeds-missing": lambda: (backup / resume.SEEDS).unlink(),
        "seeds-wrong-shape": lambda: _npz(backup / resume.SEEDS,
                                          **{f"s{i}": np.zeros((7,), s.dtype)
                                             for i, s in enumerate(seeds)}),
        "seeds-renamed": lambda: _npz(backup / resume.SEEDS,
                                      **{f"seed{i}": s for i, s in enumerate(seeds)}),
    }
    actions[fault]()


META, ST, FP, W = (re.escape(n) for n in (resume.METADATA, resume.STATE, resume.FINGERPRINT,
                                          resume.WEIGHTS))
BEST, SEEDS = re.escape(resume.BEST_WEIGHTS), re.escape(resume.SEEDS)
FAULTS = {
    "meta-not-json": rf"{META}: not valid JSON \(Expecting property name",
    "meta-empty": rf"{META}: not valid JSON \(Expecting value at line 1\)",
    "meta-truncated": rf"{META}: not valid JSON \(",
    "meta-a-list": rf"{META}: no epoch count",
    "meta-no-epoch": rf"{META}: no epoch count",
    "meta-missing": rf"{META}: missing",
    "meta-a-folder": rf"{META}: not a file",
    "meta-not-utf8": rf"{META}: ",
    "epoch-negative": rf"{META}: epoch -1 is out of range, expected 1\.\.{EPOCHS} \(params "
                      r"epochs\)",
    "epoch-zero": rf"{META}: epoch 0 is out of range",
    "epoch-past-params": rf"{META}: epoch {EPOCHS + 1} is out of range, expected 1\.\.{EPOCHS}",
    "epoch-huge": rf"{META}: epoch {10**12} is out of range",
    "epoch-a-string": rf"{META}: epoch '2' is not a whole number",
    "epoch-a-float": rf"{META}: epoch 2\.0 is not a whole number",
    "epoch-a-bool": rf"{META}: epoch True is not a whole number",
    "epoch-null": rf"{META}: epoch None is not a whole number",
    "state-missing": rf"{ST}: missing",
    "state-not-json": rf"{ST}: not valid JSON",
    "state-a-list": rf"{ST}: not a mapping",
    "state-epoch-behind": rf"{ST}: epoch {DONE - 1}, but {META} has {DONE}",
    "state-epoch-ahead": rf"{ST}: epoch {DONE + 1}, but {META} has {DONE} \(killed while saving\)",
    "state-wait-a-string": rf"{ST}: wait is '0', expected a whole number",
    "state-best-null": rf"{ST}: best is None, expected a number",
    "state-no-best-epoch": rf"{ST}: best_epoch is None, expected a whole number",
    "state-history-short": rf"{ST}: history is not {DONE} numbers per metric",
    "state-history-text": rf"{ST}: history is not {DONE} numbers per metric",
    "fingerprint-other": rf"{FP}: made with another model or other params",
    "fingerprint-missing": rf"{FP}: missing",
    "fingerprint-not-utf8": rf"{FP}: ",
    "weights-missing": rf"{W}: missing",
    "weights-not-hdf5": rf"{W}: not readable \(",
    "weights-truncated": rf"{W}: not readable \(",
    "weights-of-another-model": rf"{W}: 6 weights of shapes .*, but the model has 6 of shapes",
    "best-truncated": rf"{BEST}: not a readable \.npz file",
    "best-transposed": rf"{BEST}: 6 weights of shapes \[3, 20\], .*but the model has 6 of "
                       r"shapes \[20, 3\]",
    "best-one-missing": rf"{BEST}: members \[.*\], expected w0\.\.w4",
    "best-one-extra": rf"{BEST}: 7 weights of shapes .*, but the model has 6",
    "best-a-pickle": rf"{BEST}: not a readable \.npz file \(Object arrays cannot be loaded",
    "seeds-missing": rf"{SEEDS}: missing",
    "seeds-wrong-shape": rf"{SEEDS}: \d+ seed states of shapes \[7\].*, but the model has",
    "seeds-renamed": rf"{SEEDS}: members \[.*\], expected s0\.\.s",
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_faulty_backup_is_discarded_with_a_warning(good, tmp_path, capsys, fault):
    backup, live = copy_of(good, tmp_path)
    forge(fault, backup, good)
    others = {k: v for k, v in snapshot(tmp_path).items()
              if not k.startswith((".rnnlab/backup/train/imdb/all", "dvclive/imdb"))}
    assert resume.prepare(backup, good["print"], live) == 0
    captured = capsys.readouterr()
    warning = one_line(captured.err)
    assert re.fullmatch(rf"warning: discarding the backup in {re.escape(str(backup))}: "
                        rf"{FAULTS[fault]}.*; training starts over", warning), warning
    assert "epochs done" not in captured.out
    # started over: this run's fingerprint alone, no curves; nothing else touched
    assert [p.name for p in backup.iterdir()] == [resume.FINGERPRINT]
    assert (backup / resume.FINGERPRINT).read_text() == good["print"]
    assert not live.exists()
    assert {k: v for k, v in snapshot(tmp_path).items()
            if not k.startswith((".rnnlab/backup/train/imdb/all", "dvclive/imdb"))} == others


@pytest.mark.parametrize("kind", ["a-file", "a-symlink-to-a-file"])
def test_a_backup_path_that_is_not_a_folder_is_replaced(good, tmp_path, capsys, kind):
    backup, live = tmp_path / "backup", tmp_path / "live"
    if kind == "a-file":
        backup.write_text("not a folder")
    else:
        (tmp_path / "target").write_text("kept")
        backup.symlink_to(tmp_path / "target")
    assert resume.prepare(backup, good["print"], live) == 0
    assert backup.is_dir() and not backup.is_symlink()
    assert [p.name for p in backup.iterdir()] == [resume.FINGERPRINT]
    if kind != "a-file":
        assert (tmp_path / "target").read_text() == "kept"
