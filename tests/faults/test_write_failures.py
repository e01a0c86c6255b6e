"""A write the file system refuses (a full disk, a quota, a read-only or unwritable folder)
during any atomic write of rnnlab/core/files.py: one line naming the file and the reason (a
`WriteError`, which the stage runner and the CLI print as one line), no temporary file left
behind, and the file or folder that was there before kept whole."""

from __future__ import annotations

import errno
import os
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from faultkit import leftovers, one_line, snapshot

from rnnlab.core import files, stage
from rnnlab.core.errors import DataError
from rnnlab.core.files import WriteError

REASONS = {"ENOSPC": "no space left on the disk", "EDQUOT": "disk quota exceeded",
           "EACCES": "permission denied", "EROFS": "read-only file system"}


def refuse(code: str, filename: object = None):
    def fail(*_args, **_kwargs):
        raise OSError(getattr(errno, code), os.strerror(getattr(errno, code)), filename)
    return fail


WRITERS = {  # how each writer writes its target, and what it would write
    "write_text": lambda path: files.write_text(path, "new\n"),
    "write_json": lambda path: files.write_json(path, {"new": 1}),
    "save_npz": lambda path: files.save_npz(path, a=np.arange(3)),
}
STEPS = {  # where the file system says no: the write into the temp, or its rename into place
    "write_text": ("pathlib.Path.write_text", "os.replace"),
    "write_json": ("pathlib.Path.write_text", "os.replace"),
    "save_npz": ("zipfile.ZipFile.writestr", "os.replace"),
}
CASES = [(writer, code, step) for writer in WRITERS for code in REASONS for step in (0, 1)]


@pytest.mark.parametrize("writer, code, step", CASES,
                         ids=[f"{w}-{c}-{'write' if s == 0 else 'rename'}" for w, c, s in CASES])
def test_a_refused_write_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch, writer,
                                                              code, step):
    target = tmp_path / "out" / "table.bin"
    target.parent.mkdir()
    target.write_bytes(b"old")
    before = snapshot(tmp_path)
    monkeypatch.setattr(STEPS[writer][step], refuse(code))
    with pytest.raises(WriteError) as raised:
        WRITERS[writer](target)
    assert one_line(str(raised.value)).startswith(f"{target}: could not be written: "
                                                  f"{REASONS[code]} (nothing was replaced")
    assert isinstance(raised.value, DataError)  # printed as one line by the runner and the CLI
    monkeypatch.undo()
    assert snapshot(tmp_path) == before and leftovers(tmp_path) == []


@pytest.mark.parametrize("code", REASONS)
def test_an_unwritable_folder_is_named_when_not_even_the_temp_can_be_made(tmp_path,
                                                                         monkeypatch, code):
    target = tmp_path / "params.json"
    monkeypatch.setattr(os, "open", refuse(code, str(tmp_path / ".params.json.1.tmp")))
    with pytest.raises(WriteError, match=rf"^{target}: could not be written: {REASONS[code]} "
                                         rf"at {tmp_path}/\.params\.json\.1\.tmp \(nothing"):
        files.write_json(target, {})
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("code", REASONS)
@pytest.mark.parametrize("step", ["inside", "rename"])
def test_a_folder_written_whole_keeps_the_old_one(tmp_path, monkeypatch, code, step):
    target = tmp_path / "model"
    target.mkdir()
    (target / "weights").write_bytes(b"old")
    before = snapshot(tmp_path)
    real_replace = os.replace

    def replace(src, dst):  # the old folder goes aside, then the new one cannot come in
        if Path(src) == new:
            refuse(code)()
        real_replace(src, dst)

    with pytest.raises(WriteError, match=rf"^{target}: could not be written: {REASONS[code]}"):
        with files.atomic_dir(target) as new:
            (new / "weights").write_bytes(b"new")
            if step == "inside":
                refuse(code)()
            monkeypatch.setattr(os, "replace", replace)
    monkeypatch.undo()
    assert snapshot(tmp_path) == before and leftovers(tmp_path) == []


def test_other_os_errors_are_not_disguised_as_write_failures(tmp_path, monkeypatch):
    monkeypatch.setattr("pathlib.Path.write_text", refuse("EIO"))
    with pytest.raises(OSError) as raised:
        files.write_text(tmp_path / "a.txt", "x")
    assert not isinstance(raised.value, DataError) and leftovers(tmp_path) == []


def test_the_stage_runner_prints_a_full_disk_as_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["stages/vocab.py", "imdb"])
    monkeypatch.setattr(zipfile.ZipFile, "writestr", refuse("ENOSPC"))
    target = tmp_path / "ids.npz"
    with pytest.raises(SystemExit) as exit_:
        stage.run(lambda name: files.save_npz(target, ids=np.zeros(2)))
    assert exit_.value.code == (f"vocab imdb: error: {target}: could not be written: no space "
                                "left on the disk (nothing was replaced; free some space or fix "
                                "the folder's permissions, then run again)")
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------ rnnlab export


def tf_error(kind: str) -> Exception:
    import tensorflow as tf

    return {"tf-full": tf.errors.ResourceExhaustedError(None, None, "saved_model.pb; No space "
                                                                    "left on device"),
            "tf-denied": tf.errors.PermissionDeniedError(None, None, "variables; Permission "
                                                                     "denied"),
            "tf-read-only": tf.errors.UnknownError(None, None, "Read-only file system"),
            "os-full": OSError(errno.ENOSPC, "No space left on device")}[kind]


EXPORT_FAILURES = {"tf-full": "no space left on the disk", "tf-denied": "permission denied",
                   "tf-read-only": "read-only file system", "os-full": "no space left on the disk"}


@pytest.mark.parametrize("kind", EXPORT_FAILURES)
def test_rnnlab_export_on_a_full_disk_is_one_line_and_leaves_the_old_export(
        tmp_path, monkeypatch, kind):
    import keras
    from test_cli_batch_faults import run
    from test_export import CASES, model_folder

    labels, standardize, sequences, train = CASES["binary-pre-masked-concat"]
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    (tmp_path / "params.yaml").write_text("train: {imdb: {}}\n")
    model_folder(tmp_path / "models" / "imdb", labels, standardize, sequences, **train)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "exports" / "imdb"
    out.mkdir(parents=True)  # an empty folder: export's to fill, and kept as it is on failure
    before = snapshot(tmp_path)

    def write_out(*_args, **_kwargs):
        raise tf_error(kind)

    # ExportArchive() is an instance of the backend's subclass, which has its own write_out
    monkeypatch.setattr(type(keras.export.ExportArchive()), "write_out", write_out)
    code, output, err = run(["export", "--task", "imdb"])
    assert code == (f"rnnlab export: error: {out}: could not be written: {EXPORT_FAILURES[kind]} "
                    "(nothing was replaced; free some space or fix the folder's permissions, "
                    "then run again)") and (output, err) == ("", "")
    assert snapshot(tmp_path) == before and leftovers(tmp_path) == []
