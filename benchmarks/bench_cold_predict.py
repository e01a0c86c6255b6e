"""Time a cold `rnnlab predict --task imdb "a fine film"`: a fresh process each run.

Why: a user's first (often only) call pays for the TensorFlow import, the model load and the
first trace; the issue's target is 4 s or less of wall time on an idle 2-core machine (it was
about 8 s).

    python benchmarks/bench_cold_predict.py [--runs 10] [--task imdb] [--text "a fine film"]
                                            [--against DIR] [--json PATH]

Each run is `python -c "from rnnlab.cli import main; main()" predict ...` (what the `rnnlab`
script runs) from the repository root, on its trained models/<task>. The first run is a warm-up
(file system caches), the next `--runs` are timed: wall clock, and the CPU seconds of the
process (user + system). `--against DIR` times the same command with the rnnlab package of
another checkout as well (e.g. `git archive HEAD | tar -x -C /tmp/before`), the two alternating
run by run so that both see the same load on a shared machine; both must print the same.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# `-c` puts the working folder (the repository root) first on sys.path; dropping it lets
# PYTHONPATH choose the checkout whose rnnlab runs
ENTRY = "import sys; del sys.path[0]; from rnnlab.cli import main; main()"


def timed_predict(source: Path, args: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds and standard output of one cold run with `source`'s rnnlab."""
    env = os.environ | {"PYTHONPATH": str(source)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", ENTRY, "predict", *args], cwd=REPO, env=env,
                            capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"{source}: rnnlab predict failed: {result.stderr.strip()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.stdout


def summary(walls: list[float], cpus: list[float]) -> dict:
    return {"median_s": round(statistics.median(walls), 2), "min_s": round(min(walls), 2),
            "max_s": round(max(walls), 2), "median_cpu_s": round(statistics.median(cpus), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--task", default="imdb")
    parser.add_argument("--text", default="a fine film")
    parser.add_argument("--against", type=Path, help="another checkout to time alongside")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    sources = {"this": REPO} | ({"against": args.against.resolve()} if args.against else {})
    command = ["--task", args.task, args.text]
    outputs = {name: timed_predict(source, command)[2] for name, source in sources.items()}
    if len(set(outputs.values())) > 1:
        sys.exit(f"the checkouts print different predictions: {outputs}")
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in sources}
    load_before = os.getloadavg()[0]
    for _ in range(args.runs):
        for name, source in sources.items():
            wall, cpu, _ = timed_predict(source, command)
            times[name][0].append(wall)
            times[name][1].append(cpu)
    result = {
        "command": f"rnnlab predict --task {args.task} {args.text!r}",
        "output": outputs["this"].strip(),
        "runs": args.runs,
        **{("" if name == "this" else "against_") + key: value
           for name, (walls, cpus) in times.items() for key, value in summary(walls, cpus).items()},
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    if args.against:
        result["against"] = str(args.against)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
