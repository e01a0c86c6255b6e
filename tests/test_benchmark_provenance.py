"""benchmarks/provenance.py: every result names the commit, params, machine and command it came
from, is written atomically, and is never merged into a file measured at another commit."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import provenance  # noqa: E402

OURS, THEIRS = "a" * 40, "b" * 40
FIELDS = {"commit", "dirty", "params_files", "params_sha256", "cpu_model", "cores", "python",
          "versions", "command", "date"}


@pytest.fixture
def at_commit(monkeypatch):
    """The repository's HEAD as `OURS`, the tree clean: no git repository needed."""
    monkeypatch.setattr(provenance, "git_commit", lambda: OURS)
    monkeypatch.setattr(provenance, "tree_dirty", lambda: False)


def written_at(path: Path, commit: str | None, results: dict) -> bytes:
    """A result file as an earlier run at `commit` left it (no provenance when None)."""
    data = results | ({"provenance": {"commit": commit}} if commit else {})
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path.read_bytes()


def test_provenance_has_every_field_from_this_checkout():
    record = provenance.provenance()
    assert set(record) == FIELDS
    assert len(record["commit"]) == 40 and int(record["commit"], 16) >= 0
    assert isinstance(record["dirty"], bool)
    assert record["params_files"] == ["params.yaml"]
    assert len(record["params_sha256"]) == 64
    assert record["cpu_model"] and record["cores"]["logical"] >= 1
    assert "numpy" in record["versions"] and "not-a-package" not in record["versions"]
    assert shlex.split(record["command"])[0] == sys.executable
    assert record["date"].endswith("+00:00")


def test_params_hash_is_sha256sum_of_one_file_and_of_sha256sums_lines(tmp_path):
    one, two = tmp_path / "one.yaml", tmp_path / "two.json"
    one.write_bytes(b"a: 1\n")
    two.write_bytes(b"{}\n")
    first, second = (hashlib.sha256(text).hexdigest() for text in (b"a: 1\n", b"{}\n"))
    assert provenance.params_sha256([one]) == first
    lines = f"{first}  {one}\n{second}  {two}\n"
    assert provenance.params_sha256([one, two]) == hashlib.sha256(lines.encode()).hexdigest()


def test_versions_skip_missing_libraries():
    assert provenance.versions(["numpy", "no-such-library-here"]).keys() == {"numpy"}


def test_write_result_carries_provenance_and_leaves_no_temporary_file(tmp_path, at_commit):
    path = tmp_path / "results" / "bench.json"
    provenance.write_result(path, {"median_s": 1.5, "ppl": float("inf")})
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["median_s"] == 1.5 and data["ppl"] == "Infinity"
    assert set(data["provenance"]) == FIELDS and data["provenance"]["commit"] == OURS
    assert os.listdir(path.parent) == ["bench.json"]


def test_a_failed_write_keeps_the_old_file_and_no_temporary_file(tmp_path, at_commit,
                                                                  monkeypatch):
    path = tmp_path / "bench.json"
    before = written_at(path, OURS, {"median_s": 1.0})

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(provenance.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        provenance.write_result(path, {"median_s": 2.0})
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["bench.json"]
    with pytest.raises(TypeError):  # not JSON: refused before any file is opened
        provenance.write_result(path, {"median_s": object()})
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["bench.json"]


def test_merge_into_a_file_from_another_commit_refuses(tmp_path, at_commit, capsys):
    path = tmp_path / "ablation.json"
    before = written_at(path, THEIRS, {"r8": {"accuracy": 0.9}})
    with pytest.raises(SystemExit) as refused:
        provenance.write_result(path, {"r52": {"accuracy": 0.8}}, merge=True)
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and OURS in err and THEIRS in err
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ablation.json"]


def test_merge_into_a_file_without_provenance_refuses(tmp_path, at_commit, capsys):
    path = tmp_path / "ablation.json"
    before = written_at(path, None, {"r8": {"accuracy": 0.9}})
    with pytest.raises(SystemExit) as refused:
        provenance.write_result(path, {"r52": {"accuracy": 0.8}}, merge=True)
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and OURS in err and "unknown" in err
    assert path.read_bytes() == before


def test_merge_under_the_same_commit_merges_and_keeps_each_runs_record(tmp_path, at_commit):
    path = tmp_path / "ablation.json"
    provenance.write_result(path, {"r8": {"accuracy": 0.9}, "r52": {"accuracy": 0.7}})
    first = json.loads(path.read_text(encoding="utf-8"))["provenance"]
    provenance.write_result(path, {"r52": {"accuracy": 0.8}}, merge=True)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["r8"] == {"accuracy": 0.9} and data["r52"] == {"accuracy": 0.8}
    assert data["provenance"]["commit"] == OURS
    assert data["provenance"]["earlier_runs"] == [first]


def test_merge_into_no_file_writes_it(tmp_path, at_commit):
    path = tmp_path / "new.json"
    provenance.write_result(path, {"r8": 1}, merge=True)
    assert json.loads(path.read_text(encoding="utf-8"))["r8"] == 1


def test_a_refused_merge_exits_2_with_one_line_and_no_tensorflow(tmp_path):
    """As a benchmark script runs it: the real commit, a real exit status, nothing imported
    beyond the standard library."""
    path = tmp_path / "old.json"
    before = written_at(path, THEIRS, {"median_s": 3.0})
    code = ("import sys, provenance; "
            f"provenance.write_result({str(path)!r}, {{'median_s': 2.0}}, merge=True)")
    env = os.environ | {"PYTHONPATH": str(BENCHMARKS)}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and str(path) in run.stderr and THEIRS in run.stderr
    assert path.read_bytes() == before
    code = ("import sys, provenance; provenance.provenance(); "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    assert subprocess.run([sys.executable, "-c", code], env=env, timeout=60).returncode == 0
