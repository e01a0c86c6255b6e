"""Writers killed with `kill -9` (rnnlab/core/files.py's atomic_path and atomic_dir, and the
real download stage): the target is whole (old or new) or absent, never torn, and the next run
of the same writer removes what the killed one left beside it.

Each child stops at a named point (`PAUSE_AT`: a point of the writer below, or the n-th call of
`os.replace` / `shutil.copyfileobj`) and says so on stdout; the test kills it there. Stopping at
named points instead of after a guessed delay hits every point on every run, however loaded the
machine. A stopped child that is not killed goes on when it reads a line on stdin.
"""

from __future__ import annotations

import inspect
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT
from faultkit import leftovers, snapshot

from rnnlab.core.files import atomic_dir, atomic_path, remove_leftovers, write_json

CHUNKS, CHUNK_BYTES = 6, 1 << 18  # a 1.5 MB file, or a folder of six 256 kB files


def part(version: str, i: int) -> bytes:
    return (f"{version} part {i}\n".encode() * CHUNK_BYTES)[:CHUNK_BYTES]


HOOKS = '''
import os, shutil, sys

PAUSE_AT = os.environ.get("PAUSE_AT", "")


def checkpoint(name):
    if name == PAUSE_AT:
        print("PAUSED", flush=True)
        sys.stdin.readline()


def counted(function, label):
    calls = 0

    def wrapper(*args, **kwargs):
        nonlocal calls
        calls += 1
        checkpoint(f"before-{label}-{calls}")
        result = function(*args, **kwargs)
        checkpoint(f"after-{label}-{calls}")
        return result
    return wrapper


os.replace = counted(os.replace, "replace")
shutil.copyfileobj = counted(shutil.copyfileobj, "copy")
'''

WRITER = HOOKS + f'''
from pathlib import Path
from rnnlab.core.files import atomic_dir, atomic_path

CHUNKS, CHUNK_BYTES = {CHUNKS}, {CHUNK_BYTES}
{inspect.getsource(part)}
kind, target, version = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
if kind == "file":
    with atomic_path(target) as tmp, open(tmp, "wb") as out:
        checkpoint("in-block")
        for i in range(CHUNKS):
            out.write(part(version, i))
            out.flush()
            checkpoint(f"chunk-{{i}}")
        checkpoint("written")
else:
    with atomic_dir(target) as tmp:
        checkpoint("in-block")
        for i in range(CHUNKS):
            (tmp / f"part-{{i}}").write_bytes(part(version, i))
            checkpoint(f"chunk-{{i}}")
        checkpoint("written")
'''

STAGE = HOOKS + '''
import runpy
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
'''


def start(args: list[str], cwd: Path, pause_at: str = "", env: dict | None = None
          ) -> subprocess.Popen:
    env = (env or os.environ) | {"PYTHONPATH": str(ROOT), "PAUSE_AT": pause_at}
    return subprocess.Popen([sys.executable, *args], cwd=cwd, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_until_paused(process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], deadline - time.monotonic())
        line = process.stdout.readline() if ready else ""
        if line.strip() == "PAUSED":
            return
        if not line:
            break
    process.kill()
    out, err = process.communicate()
    pytest.fail(f"the child never reached its pause point (exit {process.returncode}):\n"
                f"{out[-2000:]}{err[-2000:]}")


def kill_9(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL


def finish(process: subprocess.Popen) -> None:
    out, err = process.communicate("\n")
    assert process.returncode == 0, out[-2000:] + err[-2000:]


def writer(kind: str, target: Path, version: str, pause_at: str = "") -> subprocess.Popen:
    return start(["-c", WRITER, kind, str(target), version], target.parent.parent, pause_at)


def written(kind: str, version: str) -> dict[str, bytes | None] | bytes:
    if kind == "file":
        return b"".join(part(version, i) for i in range(CHUNKS))
    return {f"part-{i}": part(version, i) for i in range(CHUNKS)}


def state(kind: str, target: Path) -> dict[str, bytes | None] | bytes | None:
    if not (target.exists() or target.is_symlink()):
        return None
    return target.read_bytes() if kind == "file" else snapshot(target)


def write_in_process(kind: str, target: Path, version: str) -> None:
    if kind == "file":
        with atomic_path(target) as tmp:
            tmp.write_bytes(written(kind, version))
        return
    with atomic_dir(target) as tmp:
        for name, data in written(kind, version).items():
            (tmp / name).write_bytes(data)


# Where the kill lands, and what it leaves: the target's state and how many temporaries.
# A folder's old version is renamed aside before the new one is renamed in, so between the two
# renames (after the first) the target is absent and both versions lie beside it as temps.
KILLS = {
    "file": {"in-block": ("old", 1), "chunk-2": ("old", 1), "written": ("old", 1),
             "after-replace-1": ("new", 0)},
    "folder": {"in-block": ("old", 1), "chunk-2": ("old", 1), "written": ("old", 1),
               "after-replace-1": (None, 2), "after-replace-2": ("new", 1)},
}


@pytest.mark.parametrize("kind, point", [(k, p) for k in KILLS for p in KILLS[k]])
def test_a_writer_killed_anywhere_leaves_the_target_whole_and_the_next_run_cleans_up(
        tmp_path, kind, point):
    target = tmp_path / "out" / ("big.bin" if kind == "file" else "big")
    write_in_process(kind, target, "old")
    process = writer(kind, target, "new", point)
    wait_until_paused(process)
    kill_9(process)
    expected, temps = KILLS[kind][point]
    assert state(kind, target) == (None if expected is None else written(kind, expected))
    assert len(leftovers(target.parent)) == temps  # what the kill left: the next run's work
    finish(writer(kind, target, "again"))
    assert state(kind, target) == written(kind, "again")
    assert leftovers(target.parent) == []


@pytest.mark.parametrize("kind", KILLS)
def test_a_first_write_killed_midway_leaves_no_target(tmp_path, kind):
    target = tmp_path / "out" / ("big.bin" if kind == "file" else "big")
    target.parent.mkdir()
    process = writer(kind, target, "new", "chunk-2")
    wait_until_paused(process)
    kill_9(process)
    assert state(kind, target) is None and len(leftovers(target.parent)) == 1
    finish(writer(kind, target, "new"))
    assert state(kind, target) == written(kind, "new") and leftovers(target.parent) == []


@pytest.mark.parametrize("kind", KILLS)
@pytest.mark.parametrize("other", ["big.v2", "bi", "big2", ".big"])
def test_a_writer_never_removes_the_temporaries_of_another_target(tmp_path, kind, other):
    """`big.v2`'s temps start with `.big.`, as `big`'s do; the match is on the whole name."""
    folder = tmp_path / "out"
    folder.mkdir()
    running = writer(kind, folder / other, "theirs", "chunk-2")
    wait_until_paused(running)
    theirs = leftovers(folder)
    write_in_process(kind, folder / "big", "ours")  # cleans up after `big` only
    assert leftovers(folder) == theirs
    finish(running)
    assert state(kind, folder / other) == written(kind, "theirs")
    assert state(kind, folder / "big") == written(kind, "ours") and leftovers(folder) == []


@pytest.mark.parametrize("kind", KILLS)
def test_a_live_writer_of_the_same_target_keeps_its_temporary(tmp_path, kind):
    """Two runs of one stage at once (one by hand beside DVC's): the one that ends last wins,
    and neither deletes the other's work in progress."""
    target = tmp_path / "out" / "big"
    target.parent.mkdir()
    running = writer(kind, target, "theirs", "chunk-2")
    wait_until_paused(running)
    write_in_process(kind, target, "ours")
    assert len(leftovers(target.parent)) == 1
    finish(running)
    assert state(kind, target) == written(kind, "theirs") and leftovers(target.parent) == []


def test_remove_leftovers_takes_only_dead_writers_temporaries_of_its_target(tmp_path):
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        names = {
            ".a.99999999.0123abcd.tmp": True,  # a pid above any pid_max: its writer is gone
            ".a.k3j_x9q2.tmp": True,  # tempfile's name for it before the pid was in it
            f".a.{live.pid}.0123abcd.tmp": False,  # its writer is running
            f".a.{os.getpid()}.0123abcd.tmp": False,  # this process's own
            ".ab.99999999.0123abcd.tmp": False, ".a.b.99999999.0123abcd.tmp": False,
            "a.99999999.0123abcd.tmp": False, ".a.99999999.0123abcd.tmp.keep": False,
            ".a.99999999.0123ABCD.tmp": False, ".a.tmp": False, "a": False,
        }
        for name in names:
            (tmp_path / name).mkdir() if name.endswith("tmp") else (tmp_path / name).touch()
        (tmp_path / ".a.99999999.0123abcd.tmp" / "inside").write_text("a half-written part")
        removed = remove_leftovers(tmp_path / "a")
        assert sorted(p.name for p in removed) == sorted(n for n, gone in names.items() if gone)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            n for n, gone in names.items() if not gone)
    finally:
        live.kill()
        live.wait()


def test_remove_leftovers_of_a_target_in_a_missing_folder_is_nothing(tmp_path):
    assert remove_leftovers(tmp_path / "nowhere" / "a") == []


# ------------------------------------------------------------------ the real download stage


@pytest.fixture
def repo(tmp_path, env) -> Path:
    """A folder the download stage runs in: its params entry, as the params stage writes it."""
    from rnnlab.core.params import resolved
    from rnnlab.sections import load_all_params

    entry = load_all_params(ROOT / "params.yaml")["download"]["reuters"]
    write_json(tmp_path / "data" / "params" / "download" / "reuters.json", resolved(entry))
    return tmp_path


def download(repo: Path, env: dict, pause_at: str = "") -> subprocess.Popen:
    return start(["-c", STAGE, str(ROOT / "stages" / "download.py"), "reuters"], repo,
                 pause_at, env)


@pytest.mark.parametrize("point, before, after", [
    ("after-copy-3", None, None),  # three members of the archive written into the temp folder
    ("before-replace-1", None, None),  # all written, not yet renamed into place
    ("after-copy-3", "old", "old"),
    ("after-replace-1", "old", None),  # the old folder renamed aside, the new one not yet in
], ids=["first-mid-extraction", "first-before-rename", "again-mid-extraction",
        "again-between-renames"])
def test_a_download_killed_midway_is_whole_or_absent_and_cleaned_up_on_the_next_run(
        repo, env, point, before, after):
    raw = repo / "data" / "raw"
    finish(download(repo, env))
    whole = snapshot(raw / "reuters")
    assert len(whole) > 3 and leftovers(repo) == []
    if before is None:
        shutil.rmtree(raw / "reuters")
    else:
        (raw / "reuters" / "README.txt").write_text("an older corpus")
    old = snapshot(raw / "reuters")
    process = download(repo, env, point)
    wait_until_paused(process)
    kill_9(process)
    if after is None:
        assert not (raw / "reuters").exists()
    else:
        assert snapshot(raw / "reuters") == old
    assert leftovers(raw) != []  # multi-file temp folders, as the issue reported
    finish(download(repo, env))
    assert snapshot(raw / "reuters") == whole
    assert leftovers(repo) == []
