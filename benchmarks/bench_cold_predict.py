"""Time a cold `rnnlab predict --task imdb "a fine film"`: a fresh process each run.

Why: a user's first (often only) call pays for the TensorFlow import, the model load and the
first trace; the issue's target is 4 s or less of wall time on an idle 2-core machine (it was
about 8 s).

    python benchmarks/bench_cold_predict.py [--runs 10] [--task imdb] [--text "a fine film"]
                                            [--budget 4] [--against REV] [--json PATH]

Each run is `python -c "from rnnlab.cli import main; main()" predict ...` (what the `rnnlab`
script runs) from the repository root, on its trained models/<task>. One untimed warm-up run
(file system caches), then `--runs` timed ones: wall clock, and the CPU seconds of the process
(user + system). The result is the median against the budget (`--budget`, 4 s): `within_budget`.

`--against REV` times the rnnlab package of git revision REV as well (e.g. `HEAD~3`), checked out
by this script into a temporary worktree (`git worktree add --detach`, removed at the end) and
recorded as a commit, so anyone can rerun the comparison; it runs on this checkout's models/.
Each arm has its warm-up run, then the timed runs alternate A B B A A B ..., so that neither arm
always runs first on a shared machine; the exact order is recorded. Both must print the same.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from provenance import git, provenance, write_result

REPO = Path(__file__).resolve().parents[1]
# `-c` puts the working folder (the repository root) first on sys.path; dropping it lets
# PYTHONPATH choose the checkout whose rnnlab runs
ENTRY = "import sys; del sys.path[0]; from rnnlab.cli import main; main()"
WHERE = "import sys; del sys.path[0]; import rnnlab; print(rnnlab.__file__)"


def run_rnnlab(source: Path, code: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PYTHONPATH": str(source)}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, env=env,
                          capture_output=True, text=True)


def check_imports_from(source: Path) -> None:
    """An arm running the installed (editable) rnnlab instead would compare this tree to itself."""
    found = Path(run_rnnlab(source, WHERE, []).stdout.strip()).resolve()
    if not found.is_relative_to(source):
        sys.exit(f"{source}: PYTHONPATH does not choose its rnnlab (imported {found})")


def timed_predict(source: Path, args: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds and standard output of one cold run with `source`'s rnnlab."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = run_rnnlab(source, ENTRY, ["predict", *args])
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"{source}: rnnlab predict failed: {result.stderr.strip()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.stdout


@contextlib.contextmanager
def worktree(commit: str) -> Iterator[Path]:
    """`commit` checked out in a temporary git worktree, removed (and unregistered) afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-cold-predict-") as tmp:
        tree = Path(tmp) / "tree"
        git("worktree", "add", "--quiet", "--detach", str(tree), commit)
        try:
            yield tree.resolve()
        finally:
            git("worktree", "remove", "--force", str(tree))


def abba(arms: list[str], rounds: int) -> list[str]:
    """Arm names in run order: A B, then B A, and so on, one pair a round."""
    return [arm for i in range(rounds) for arm in (arms if i % 2 == 0 else arms[::-1])]


def summary(walls: list[float], cpus: list[float]) -> dict:
    return {"median_s": round(statistics.median(walls), 2), "min_s": round(min(walls), 2),
            "max_s": round(max(walls), 2), "median_cpu_s": round(statistics.median(cpus), 2)}


def measure(sources: dict[str, Path], command: list[str], runs: int) -> dict:
    """Warm-up run of each arm (its output checked), then `runs` timed runs of each, ABBA."""
    for source in sources.values():
        check_imports_from(source)
    outputs = {name: timed_predict(source, command)[2] for name, source in sources.items()}
    if len(set(outputs.values())) > 1:
        sys.exit(f"the checkouts print different predictions: {outputs}")
    order = abba(list(sources), runs)
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in sources}
    load_before = os.getloadavg()[0]
    for name in order:
        wall, cpu, _ = timed_predict(sources[name], command)
        times[name][0].append(wall)
        times[name][1].append(cpu)
    return {
        "output": outputs["this"].strip(),
        "runs": runs,
        **{("" if name == "this" else "against_") + key: value
           for name, (walls, cpus) in times.items() for key, value in summary(walls, cpus).items()},
        "warmup": list(sources),
        "order": order,
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--task", default="imdb")
    parser.add_argument("--text", default="a fine film")
    parser.add_argument("--budget", type=float, default=4.0, help="target median wall seconds")
    parser.add_argument("--against", metavar="REV", help="a git revision to time alongside")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    record = provenance()
    command = ["--task", args.task, args.text]
    result = {"command": f"rnnlab predict --task {args.task} {args.text!r}"}
    if args.against:
        against = git("rev-parse", "--verify", f"{args.against}^{{commit}}")
        with worktree(against) as tree:
            result |= measure({"this": REPO, "against": tree}, command, args.runs)
        result |= {"against": args.against, "against_commit": against}
    else:
        result |= measure({"this": REPO}, command, args.runs)
    result |= {"budget_s": args.budget, "within_budget": result["median_s"] <= args.budget}
    print(json.dumps(result, indent=2))
    if args.json:
        write_result(args.json, result, record=record)


if __name__ == "__main__":
    main()
