"""Faults in where `rnnlab export` writes (rnnlab/tasks/classify/export.py, rnnlab/cli.py).

Export writes its folder whole, so it writes only where nothing of the user's can be lost: a
new or empty folder, or one it wrote before (marked by its `rnnlab-export.json`) that holds
nothing but what an export writes. A symbolic link, a folder of the user's (even one with a
saved_model.pb), a file, a path under a file, the model folder and an empty `--out` are each
refused in one line naming the path or the flag, before any model loads, leaving every folder
as it was. A refusal, a missing model or an unknown task comes before TensorFlow is imported.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from faultkit import leftovers, one_line, snapshot

from rnnlab import cli
from rnnlab.tasks.classify.export import EXPORT_FILES, MARKER

PARAMS = "train: {imdb: {}, r8: {}}\n"


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A repository with one small trained classifier, imdb."""
    from test_export import CASES, model_folder

    root = tmp_path_factory.mktemp("repo")
    (root / "dvc.yaml").write_text("stages: {}\n")
    (root / "params.yaml").write_text(PARAMS)
    labels, standardize, sequences, train = CASES["binary-pre-masked-concat"]
    model_folder(root / "models" / "imdb", labels, standardize, sequences, **train)
    return root


def export(repo: Path, *args: str) -> int | str | None:
    """`rnnlab export --task imdb *args` run in `repo`: its exit status or message."""
    cwd = Path.cwd()
    os.chdir(repo)
    try:
        cli.main(["export", "--task", "imdb", *args])
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    finally:
        os.chdir(cwd)
    return code


@pytest.fixture(scope="module")
def exported(repo) -> Path:
    """What `rnnlab export --task imdb` wrote into its default folder, a new one."""
    assert export(repo) == 0
    return repo / "exports" / "imdb"


def test_an_export_into_a_new_folder_is_marked_as_export_s_own(repo, exported):
    assert sorted(p.name for p in exported.iterdir()) == sorted(EXPORT_FILES)
    marker = json.loads((exported / MARKER).read_text())
    assert marker == {"written_by": "rnnlab export", "task": "imdb",
                      "model": str((repo / "models" / "imdb").resolve())}
    assert leftovers(exported.parent) == []


def test_an_empty_folder_is_written_into(repo, tmp_path, capsys):
    (tmp_path / "out").mkdir()
    assert export(repo, "--out", str(tmp_path / "out")) == 0
    assert capsys.readouterr().out == f"{tmp_path / 'out'}\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(EXPORT_FILES)
    assert leftovers(tmp_path) == []


def test_an_earlier_export_is_replaced(repo, exported, tmp_path):
    shutil.copytree(exported, tmp_path / "out")
    (tmp_path / "out" / "variables" / "stale.bin").write_bytes(b"old")
    assert export(repo, "--out", str(tmp_path / "out")) == 0
    assert not (tmp_path / "out" / "variables" / "stale.bin").exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(EXPORT_FILES)
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------ refused targets


def copy_export(exported: Path, folder: Path, marker: bool = True) -> Path:
    shutil.copytree(exported, folder)
    if not marker:
        (folder / MARKER).unlink()
    return folder


def target(kind: str, tmp: Path, repo: Path, exported: Path) -> tuple[str, str]:
    """(the --out value, the error after `rnnlab export: error: `) for each refused target."""
    out = tmp / "out"
    not_ours = (f"{out}: exists and is not a SavedModel that rnnlab export wrote (no {MARKER}); "
                "it would be replaced (expected a new or empty folder)")
    link = (f"{out}: a symbolic link; export neither follows nor replaces one (give the folder "
            "it points to, or a new folder)")
    if kind == "empty-out":
        return "", ("--out is empty (expected a folder; leave --out out for exports/imdb/ of "
                    "the repository)")
    if kind == "link-to-an-empty-folder":
        (tmp / "real").mkdir()
        out.symlink_to(tmp / "real", target_is_directory=True)
        return str(out), link
    if kind == "link-to-an-earlier-export":
        out.symlink_to(copy_export(exported, tmp / "real"), target_is_directory=True)
        return str(out), link
    if kind == "dangling-link":
        out.symlink_to(tmp / "nowhere")
        return str(out), link
    if kind == "a-user-folder":
        out.mkdir()
        (out / "notes.txt").write_text("mine")
        return str(out), not_ours
    if kind == "saved-model-and-user-files":  # the folder the old rule replaced whole
        out.mkdir()
        shutil.copy(exported / "saved_model.pb", out)
        (out / "notes.txt").write_text("mine")
        (out / "runs").mkdir()
        (out / "runs" / "log.csv").write_text("1,2\n")
        return str(out), not_ours
    if kind == "unmarked-saved-model":
        copy_export(exported, out, marker=False)
        return str(out), not_ours
    if kind in ("earlier-export-and-a-user-file", "earlier-export-and-a-user-folder"):
        copy_export(exported, out)
        name = "notes.txt" if kind.endswith("file") else "older"
        (out / name).mkdir() if name == "older" else (out / name).write_text("mine")
        return str(out), (f"{out}: holds {name!r}, which export did not write; replacing the "
                          "folder would lose it (move it away, or export elsewhere)")
    if kind == "a-file":
        out.write_text("mine")
        return str(out), (f"{out}: exists and is not a SavedModel folder but a file; it would be "
                          "replaced (expected a new or empty folder, or an earlier export)")
    if kind == "under-a-file":
        (tmp / "file").write_text("mine")
        return str(tmp / "file" / "out"), (f"{tmp / 'file'}: is a file, expected a folder "
                                           "(remove it, then run again)")
    model = repo / "models" / "imdb"
    inside = model / "serving" if kind == "inside-the-model-folder" else model
    return str(inside), f"{inside}: inside the model folder {model}; export somewhere else"


KINDS = ["empty-out", "link-to-an-empty-folder", "link-to-an-earlier-export", "dangling-link",
         "a-user-folder", "saved-model-and-user-files", "unmarked-saved-model",
         "earlier-export-and-a-user-file", "earlier-export-and-a-user-folder", "a-file",
         "under-a-file", "inside-the-model-folder", "the-model-folder"]


@pytest.mark.parametrize("kind", KINDS)
def test_an_unsafe_target_is_refused_and_nothing_changes(repo, exported, tmp_path, monkeypatch,
                                                         capsys, kind):
    def load(folder):
        raise AssertionError(f"loaded the Keras model of {folder}")

    monkeypatch.setattr("rnnlab.tasks.classify.predict.load_inference_model", load)
    out, expected = target(kind, tmp_path, repo, exported)
    before = snapshot(tmp_path), snapshot(repo)
    code = export(repo, "--out", out)
    assert code == f"rnnlab export: error: {expected}"
    assert one_line(code) and capsys.readouterr().out == ""
    assert (snapshot(tmp_path), snapshot(repo)) == before
    assert leftovers(tmp_path) == [] and leftovers(repo) == []


# ------------------------------------------------------------------ fast, before TensorFlow


CHILD = """import json, sys, time
del sys.path[0]
started = time.perf_counter()
from rnnlab.cli import main
try:
    main(sys.argv[1:])
    code = 0
except SystemExit as exit_:
    code = exit_.code
print(json.dumps({"code": code, "seconds": time.perf_counter() - started,
                  "imported": sorted({"tensorflow", "keras"} & set(sys.modules))}))
"""


@pytest.mark.parametrize("args, expected", [
    (["--task", "r8"], "{repo}/models/r8/model.keras: no trained model (run `dvc repro` or "
                       "`dvc pull` first)"),
    (["--task", "imbd"], "--task: unknown task 'imbd' (expected one of the classification "
                         "tasks: imdb, r8)"),
    (["--task", "imdb", "--out", "models"], "{repo}/models: exists and is not a SavedModel that "
                                            f"rnnlab export wrote (no {MARKER}); it would be "
                                            "replaced (expected a new or empty folder)"),
], ids=["no-model", "unknown-task", "occupied-target"])
def test_a_failing_export_ends_before_tensorflow_is_imported(repo, args, expected):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(ROOT)}
    before = snapshot(repo)
    result = subprocess.run([sys.executable, "-c", CHILD, "export", *args], cwd=repo, env=env,
                            capture_output=True, text=True, timeout=60)
    report = json.loads(one_line(result.stdout))
    assert report["code"] == f"rnnlab export: error: {expected.format(repo=repo)}"
    assert report["imported"] == [] and result.stderr == ""
    assert report["seconds"] < 2  # about 0.2 s on an idle machine; importing TensorFlow: 5-20 s
    assert snapshot(repo) == before
