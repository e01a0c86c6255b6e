"""What a benchmark result was measured on, and the one way results are written.

Why: a number in benchmarks/results/ is only worth keeping if anyone can tell which code, params,
machine and command gave it, and rerun it. Every benchmark takes `provenance()` when it starts
(so the record names the code that was imported and run, even if HEAD moves during a long run)
and writes through `write_result`, which stores that record under the result's `provenance` key.

`write_result(..., merge=True)` adds results to an existing file only when that file was measured
at the same commit: numbers from two commits side by side in one file would read as one
measurement. A file with no provenance came from an unknown commit, so it refuses too. A refusal
is one line on stderr naming the file and both commits, exit status 2, and nothing written.

A dirty tree (tracked files changed, see `tree_dirty`) is allowed but recorded: the commit alone
then does not pin the code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# The libraries a result depends on; the first two are alternatives (CPU or CUDA build).
LIBRARIES = ("tensorflow-cpu", "tensorflow", "keras", "numpy", "dvc", "scikit-learn", "nltk")
# Results written by benchmarks change tracked files without changing what is measured; counting
# them would make every benchmark after the first in a session report a dirty tree.
RESULTS = "benchmarks/results"


class MergeRefused(SystemExit):
    """A merge into a result file from another (or an unknown) commit: exit status 2."""

    def __init__(self, message: str) -> None:
        super().__init__(2)
        self.message = message


def git(*args: str) -> str:
    """Output of `git args` in the repository; a failure ends the run with git's reason (outside
    a git checkout, say: a result must name its commit, so there is nothing to measure)."""
    try:
        result = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                                check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        detail = (getattr(err, "stderr", None) or str(err)).strip().splitlines()[-1:]
        sys.exit(f"{REPO}: git {' '.join(args)} failed: {' '.join(detail)}")
    return result.stdout.strip()


def git_commit() -> str:
    return git("rev-parse", "HEAD")


def tree_dirty() -> bool:
    """Whether a tracked file differs from HEAD (staged or not). Untracked files are left out:
    data/, models/ and scratch files are untracked or ignored and are not the code measured;
    benchmarks/results/ is left out as it is the benchmarks' own output."""
    status = git("status", "--porcelain", "--untracked-files=no", "--", ".", f":!{RESULTS}")
    return bool(status)


def relative(path: Path) -> str:
    """`path` relative to the repository where it lies inside it: results stay portable."""
    path = path.resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def params_sha256(paths: Iterable[Path]) -> str:
    """One file: the sha256 of its bytes (`sha256sum FILE`). Several: the sha256 of the lines
    `sha256sum FILE...` prints, so `sha256sum a b | sha256sum` checks it by hand."""
    digests = [(hashlib.sha256(Path(p).read_bytes()).hexdigest(), relative(Path(p)))
               for p in paths]
    if len(digests) == 1:
        return digests[0][0]
    lines = "".join(f"{digest}  {name}\n" for digest, name in digests)
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def cpu_model() -> str:
    """The CPU's marketing name: /proc/cpuinfo on Linux, else what `platform` knows."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    return platform.processor() or platform.machine() or "unknown"


def cores() -> dict[str, float]:
    """The machine's logical CPUs, those this process may run on (affinity), and a container's
    CPU quota where cgroup v2 sets one: a timing means little without the cores it had."""
    counts: dict[str, float] = {"logical": os.cpu_count() or 0}
    if hasattr(os, "sched_getaffinity"):
        counts["usable"] = len(os.sched_getaffinity(0))
    with contextlib.suppress(OSError, ValueError):
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text(encoding="utf-8").split()
        if quota != "max":
            counts["cgroup_quota"] = round(int(quota) / int(period), 2)
    return counts


def versions(names: Iterable[str] = LIBRARIES) -> dict[str, str]:
    """Installed versions of `names`; those not installed are left out."""
    found = {}
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def command() -> str:
    """The command as run, interpreter first, quoted so that it can be pasted into a shell."""
    return shlex.join([sys.executable, *sys.argv])


def provenance(params_paths: Iterable[Path] | None = None) -> dict[str, Any]:
    """What a result was measured on. `params_paths` defaults to params.yaml."""
    params = [Path(p) for p in params_paths] if params_paths else [REPO / "params.yaml"]
    return {
        "commit": git_commit(),
        "dirty": tree_dirty(),
        "params_files": [relative(p) for p in params],
        "params_sha256": params_sha256(params),
        "cpu_model": cpu_model(),
        "cores": cores(),
        "python": platform.python_version(),
        "versions": versions(),
        "command": command(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def refuse(path: Path, message: str) -> MergeRefused:
    """Print the one-line reason and return the exit to raise."""
    line = f"{path}: {message}"
    print(line, file=sys.stderr)
    return MergeRefused(line)


def earlier_results(path: Path, record: Mapping[str, Any]) -> dict[str, Any]:
    """The results `path` holds, when they may be merged with a run described by `record`;
    refuses (exit 2) otherwise. A missing file holds nothing, so merging into it is writing it.
    Call it before a long run as well as at its end, so that a refusal costs nothing."""
    if not path.exists():
        return {}
    try:
        earlier = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise refuse(path, f"refusing to merge: not readable JSON ({err})") from None
    ours = record["commit"]
    if not isinstance(earlier, dict) or not isinstance(earlier.get("provenance"), dict):
        raise refuse(path, f"refusing to merge: it records no commit (results from an unknown "
                           f"commit), this run is commit {ours}")
    theirs = earlier["provenance"].get("commit")
    if theirs != ours:
        raise refuse(path, f"refusing to merge: it holds results from commit {theirs}, this run "
                           f"is commit {ours}; write another file, or move it away to start anew")
    return earlier


def merged_provenance(earlier: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """This run's record, the earlier runs' records (same commit) kept under `earlier_runs`: each
    run's command, date and dirty flag stay known."""
    before = dict(earlier["provenance"])
    runs = [*before.pop("earlier_runs", []), before]
    return {**record, "earlier_runs": runs}


def to_json(data: Any) -> str:
    """Indented JSON; inf and nan (a perplexity can be inf) become strings, as JSON has neither."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    clean = json.loads(text, parse_constant=str)
    return json.dumps(clean, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder, then rename: a reader or a crash sees the
    old file or the new one, never half of one, and no temporary file is left behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_result(path: str | os.PathLike, result: Mapping[str, Any], merge: bool = False,
                 record: Mapping[str, Any] | None = None) -> None:
    """Write `result` to `path` as JSON, with `record` (default: `provenance()` now) under the
    `provenance` key. With `merge`, `result`'s keys are added to (or replace) those of the file
    already there, which must come from the same commit (see `earlier_results`)."""
    path = Path(path)
    record = dict(record) if record is not None else provenance()
    data = {k: v for k, v in result.items() if k != "provenance"}
    if merge:
        earlier = earlier_results(path, record)
        if earlier:
            data = {k: v for k, v in earlier.items() if k != "provenance"} | data
            record = merged_provenance(earlier, record)
    write_atomically(path, to_json({**data, "provenance": record}))
