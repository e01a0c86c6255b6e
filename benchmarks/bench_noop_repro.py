"""Time a second `dvc repro` with nothing changed: every stage checked, none run.

Why: `dvc repro` is the command users type all day; when nothing changed it should answer at
once (issue target: 3 s or less). DVC's cost grows with the stage entries and with how many of
them list `params:`, since it re-reads the whole params file for each of those.

    python benchmarks/bench_noop_repro.py [--runs 10] [--json PATH]

Run from a checkout whose pipeline is up to date (`dvc status` clean). The first run is a warm-up
(file system caches); the next `--runs` are timed, wall clock, with analytics off as in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml
from provenance import provenance, write_result

REPO = Path(__file__).resolve().parents[1]
DVC = str(Path(sys.executable).parent / "dvc")
ENV = os.environ | {"DVC_NO_ANALYTICS": "1"}


def dvc(*args: str) -> str:
    result = subprocess.run([DVC, *args], cwd=REPO, env=ENV, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"dvc {' '.join(args)} failed: {result.stderr.strip().splitlines()[-1:]}")
    return result.stdout


def timed_noop_repro() -> float:
    start = time.perf_counter()
    output = dvc("repro")
    seconds = time.perf_counter() - start
    if "Running stage" in output:
        sys.exit("dvc repro ran a stage: bring the pipeline up to date first")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    record = provenance()  # params.yaml: what each stage entry's `params:` reads
    if dvc("status").strip() != "Data and pipelines are up to date.":
        sys.exit("dvc status is not clean: run `dvc repro` first")
    lock = yaml.safe_load((REPO / "dvc.lock").read_text(encoding="utf-8"))["stages"]
    timed_noop_repro()
    times = [timed_noop_repro() for _ in range(args.runs)]
    result = {
        "stage_entries": len(lock),
        "entries_listing_params": sum("params" in stage for stage in lock.values()),
        "runs": args.runs,
        "median_s": round(statistics.median(times), 2),
        "min_s": round(min(times), 2),
        "max_s": round(max(times), 2),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        write_result(args.json, result, record=record)


if __name__ == "__main__":
    main()
