"""Time `rnnlab score` on one 2 MB line: a fresh process each run, on the real n-gram model.

Why: scoring was one Python call per token, and a 2 MB line ran for minutes (9 minutes in the
issue, before the context copy was bounded; 8 minutes after, with the 5-gram character model);
the issue's target is 10 s or less.

    python benchmarks/bench_score_long_line.py [--task shakespeare_char] [--mb 2] [--runs 3]
                                               [--json PATH]

The line is the task's raw corpus (data/raw/shakespeare/input.txt for the Shakespeare tasks)
with its line breaks made spaces, repeated to `--mb` megabytes; without it, tokens drawn from
the model's vocabulary (seeded). Each run is `rnnlab score --task <task> --file <line>` with
its output written to a file, as a user would redirect it, and checked: a header, then one row
per token and one for the line end. Wall clock and the process's CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from provenance import provenance, write_result

REPO = Path(__file__).resolve().parents[1]
ENTRY = "import sys; del sys.path[0]; from rnnlab.cli import main; main()"
CORPORA = {"shakespeare_char": "shakespeare/input.txt", "shakespeare_word": "shakespeare/input.txt",
           "sonnets": "sonnets/sonnets.txt", "sheldon": "sheldon/sheldon.txt"}


def long_line(task: str, size: int) -> str:
    corpus = REPO / "data" / "raw" / CORPORA.get(task, "")
    if task in CORPORA and corpus.is_file():
        text = " ".join(corpus.read_text(encoding="utf-8").split())
    else:
        sys.path.insert(0, str(REPO))
        from rnnlab.core.files import load_npz

        vocab = load_npz(REPO / "models" / "ngram" / f"{task}.npz")["vocab"].tolist()[2:]
        rng = random.Random(0)
        text = " ".join(rng.choice(vocab).strip() or "x" for _ in range(size // 4))
    return (text + " ") * (size // (len(text) + 1)) + text[: size % (len(text) + 1)]


def timed_score(task: str, line_file: Path, out_file: Path) -> tuple[float, float]:
    env = os.environ | {"PYTHONPATH": str(REPO)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(out_file, "w") as out:
        result = subprocess.run([sys.executable, "-c", ENTRY, "score", "--task", task, "--file",
                                 str(line_file)], cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"rnnlab score failed: {result.stderr.strip()[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="shakespeare_char")
    parser.add_argument("--mb", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    record = provenance()
    line = long_line(args.task, int(args.mb * 1_000_000))
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as tmp:
        line_file, out_file = Path(tmp) / "line.txt", Path(tmp) / "scored.txt"
        line_file.write_text(line + "\n", encoding="utf-8")
        for _ in range(args.runs):
            wall, cpu = timed_score(args.task, line_file, out_file)
            walls.append(wall)
            cpus.append(cpu)
        with open(out_file, encoding="utf-8") as scored:
            header = scored.readline()
            rows = sum(1 for _ in scored)
    if not header.startswith(line[:50]) or "log P = " not in header:
        sys.exit(f"unexpected output: {header[:200]!r}")
    result = {
        "command": f"rnnlab score --task {args.task} --file <one line of {len(line)} characters>",
        "line_bytes": len(line.encode("utf-8")),
        "rows": rows,
        "score": header.rsplit("\t", 1)[-1].strip(),
        "runs": args.runs,
        "median_s": round(statistics.median(walls), 2),
        "min_s": round(min(walls), 2),
        "max_s": round(max(walls), 2),
        "median_cpu_s": round(statistics.median(cpus), 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        write_result(args.json, result, record=record)


if __name__ == "__main__":
    main()
