"""Training speed of the default recurrent classifiers: oneDNN on/off x XLA on/off x batch size.

Issue 26 item 6: which of `TF_ENABLE_ONEDNN_OPTS`, `jit_compile=True` (XLA on the CPU) and the
batch size trains the default stacks fastest, and what share of the machine's peak FLOP/s the
training reaches. Needs the `sequences`, `vocab` and `embeddings` outputs and the params stage's
entries of each task (`data/params/train/<task>.json`, `data/params/sequences/<task>.json`).

    python benchmarks/bench_training_speed.py --tasks imdb reuters46 --steps 50 --repeats 3 \
        --batch-sizes 32 64 128 --json benchmarks/results/training_speed.json

The benchmark is three modules:
* this script: the command line, the sweep (each variant in its own process), the ratios to the
  default variant, the table, and the JSON with its provenance;
* speed_variant.py: what one variant's process does (build, compile, time the steps, train
  whole epochs with `--val-epochs`) and the rates it derives from the step times;
* speed_model.py: the analytic training FLOPs and the machine's peak FLOP/s, with the
  assumptions behind both.

What runs. Each variant (task, oneDNN, jit_compile, batch size) runs in its own Python process
(this script again, with `--worker`), as TF_ENABLE_ONEDNN_OPTS is read when TensorFlow is
imported. The default variant (oneDNN on, jit_compile off, the entry's batch size) runs first
and last for each task, so that drift of a shared machine shows (`default_drift`). The entries
train with op determinism on, under which Keras turns jit_compile down; the benchmark forces XLA
on and records why (`jit_forced`, see speed_variant.py), or `--nondeterministic` runs every
variant with op determinism off. Each variant's process reports whether TensorFlow logged
oneDNN on (`onednn_reported_on`) and an XLA compilation (`xla_reported_compiled`).

What it reports, per variant, besides the rates and compile costs of its process
(speed_variant.py):
* `ratio_*`: its steady samples/s and real tokens/s over the default variant of the same run
  (the mean of its two runs).
* `flops_per_second`: `executed` (recurrent steps over the padded tokens) and `useful` (over
  the real tokens only) FLOP/s, and each as a share of the peak (speed_model.py).
* Steps are scaled with the batch size: `--steps` is the count at the entry's own batch size,
  and a variant with batch size b times round(steps x entry batch / b), so that each variant
  sees about as many rows. Different batch sizes see different batches (the bucketing depends
  on it); compare them on tokens/s, which a batch's mix of lengths moves least.
* A variant that fails (XLA refusing a masked RNN, a crash, a timeout) records its error text as
  its result; the others go on.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the benchmarks' own modules

from provenance import REPO, provenance, write_result  # noqa: E402
from speed_model import this_machine_peak  # noqa: E402
from speed_variant import RESULT_MARK, worker  # noqa: E402

from rnnlab.core import paths  # noqa: E402
from rnnlab.core.params import load_entry  # noqa: E402
from rnnlab.tasks.classify.params import TrainParams  # noqa: E402

ONEDNN_ON_LINE = "oneDNN custom operations are on"  # TensorFlow's log line at import
XLA_COMPILED_LINE = "Compiled cluster using XLA"  # logged once, when XLA first compiles
DEFAULT_WARMUP = 3


@dataclasses.dataclass(frozen=True)
class Variant:
    """One point of the sweep: a task's default model with these settings."""

    task: str
    onednn: bool
    jit: bool
    batch_size: int

    @property
    def key(self) -> str:
        return (f"{self.task}/onednn={int(self.onednn)}/jit={int(self.jit)}/"
                f"bs={self.batch_size}")


# ---------------------------------------------------------------- one variant, in a child process


def spawn(variant: Variant, steps: int, args: argparse.Namespace) -> dict:
    """Run one variant in a fresh interpreter with its oneDNN setting; its result or error."""
    spec = {"task": variant.task, "batch_size": variant.batch_size, "jit": variant.jit,
            "steps": steps, "warmup": args.warmup, "repeats": args.repeats,
            "val_epochs": args.val_epochs, "deterministic": not args.nondeterministic}
    path = os.pathsep.join(filter(None, [str(REPO), str(REPO / "benchmarks"),
                                         os.environ.get("PYTHONPATH")]))
    env = os.environ | {"TF_ENABLE_ONEDNN_OPTS": str(int(variant.onednn)),
                        "TF_CPP_MIN_LOG_LEVEL": "0", "PYTHONPATH": path}
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker",
                               json.dumps(spec)], capture_output=True, text=True, env=env,
                              timeout=args.variant_timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {args.variant_timeout} s",
                "process_seconds": round(time.perf_counter() - start, 1)}
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if lines:
        result = json.loads(lines[-1][len(RESULT_MARK):])
    else:
        tail = " | ".join(done.stderr.strip().splitlines()[-5:])
        result = {"error": f"exit status {done.returncode}, no result: {tail}"[:2000]}
    result["onednn_reported_on"] = ONEDNN_ON_LINE in done.stderr
    result["xla_reported_compiled"] = XLA_COMPILED_LINE in done.stderr
    if "error" in result:
        result["stderr_tail"] = [line[:300] for line in done.stderr.strip().splitlines()[-8:]]
    result["process_seconds"] = round(time.perf_counter() - start, 1)
    return result


# ---------------------------------------------------------------- the sweep, in the parent


def scaled_steps(steps: int, entry_batch: int, batch_size: int) -> int:
    """Steps at `batch_size` that see about as many rows as `steps` at the entry's batch."""
    return max(1, round(steps * entry_batch / batch_size))


def variants(task: str, entry_batch: int, batch_sizes: Sequence[int]) -> list[Variant]:
    """The default first, then every other combination (the entry's batch size always in)."""
    sizes = sorted({*batch_sizes, entry_batch})
    default = Variant(task, True, False, entry_batch)
    rest = [Variant(task, onednn, jit, bs) for onednn in (True, False) for jit in (False, True)
            for bs in sizes]
    return [default, *(v for v in rest if v != default)]


def add_ratios_and_flops(results: dict[str, dict], default_rates: list[dict],
                         peak: float) -> None:
    """Each timed variant's ratios to the default's mean rate, and its FLOP/s."""
    base = {k: statistics.mean(r[k] for r in default_rates)
            for k in ("samples_per_second", "real_tokens_per_second")}
    for result in results.values():
        if "steady" not in result:
            continue
        rates = result["steady"]
        result["ratio_samples_per_second"] = round(rates["samples_per_second"]
                                                   / base["samples_per_second"], 3)
        result["ratio_real_tokens_per_second"] = round(rates["real_tokens_per_second"]
                                                       / base["real_tokens_per_second"], 3)
        flops = result.get("flops")
        if not flops:
            continue
        seconds = result["steady_seconds_median"]
        overhead = flops["per_row"] * result["rows_timed"] \
            + flops["per_step_optimizer"] * result["steps_timed"]
        executed = (flops["per_token"] * result["padded_tokens_timed"] + overhead) / seconds
        useful = (flops["per_token"] * result["real_tokens_timed"] + overhead) / seconds
        result["flops_per_second"] = {
            "executed": round(executed), "useful": round(useful),
            "executed_share_of_peak": round(executed / peak, 4) if peak else None,
            "useful_share_of_peak": round(useful / peak, 4) if peak else None}


def run_task(task: str, args: argparse.Namespace, peak: float) -> dict:
    """Every variant of `task`, the default first and again last; the task's record."""
    entry_batch = load_entry("train", task, TrainParams).batch_size
    sweep = variants(task, entry_batch, args.batch_sizes)
    order = [*sweep, sweep[0]]  # the default again last: drift of a shared machine shows
    results: dict[str, dict] = {}
    default_runs = []
    for i, variant in enumerate(order):
        steps = scaled_steps(args.steps, entry_batch, variant.batch_size)
        print(f"[{i + 1}/{len(order)}] {variant.key}: {steps} steps ...", flush=True)
        result = spawn(variant, steps, args)
        print("    " + (result.get("error") or
                        f"{result['steady']['real_tokens_per_second']:.0f} real tokens/s, "
                        f"first step {result['first_step_seconds']:.1f} s, "
                        f"{result['process_seconds']:.0f} s in all"), flush=True)
        if i == len(order) - 1:
            default_runs.append(result)
        else:
            results[variant.key] = {**dataclasses.asdict(variant), **result}
            if i == 0:
                default_runs.append(result)
    timed = [r["steady"] for r in default_runs if "steady" in r]
    record = {"entry_batch_size": entry_batch, "default": sweep[0].key,
              "order": [v.key for v in order], "variants": results}
    if timed:
        add_ratios_and_flops(results, timed, peak)
        record["default_rates"] = timed
        if len(timed) == 2:
            record["default_drift"] = round(timed[1]["real_tokens_per_second"]
                                            / timed[0]["real_tokens_per_second"], 3)
    else:
        record["note"] = "the default variant failed: no ratios"
    return record


def table(tasks: dict[str, dict]) -> str:
    """The variants' rates, ratios, compile costs and FLOP/s, a line each, as printed."""
    head = (f"{'variant':34} {'tok/s':>8} {'ratio':>6} {'samp/s':>7} {'pad%':>5} "
            f"{'1st s':>6} {'cmp/w s':>7} {'epoch s':>8} {'GF/s ex':>8} {'%peak':>6}")
    lines = [head, "-" * len(head)]
    for record in tasks.values():
        for key, r in record["variants"].items():
            if "steady" not in r:
                lines.append(f"{key:34} {r.get('error', '?')[:80]}")
                continue
            flops = r.get("flops_per_second", {})
            share = flops.get("executed_share_of_peak")
            lines.append(
                f"{key:34} {r['steady']['real_tokens_per_second']:8.0f} "
                f"{r.get('ratio_real_tokens_per_second', float('nan')):6.2f} "
                f"{r['steady']['samples_per_second']:7.1f} {100 * r['padding_share']:5.1f} "
                f"{r['first_step_seconds']:6.1f} {r['compile_seconds_per_new_width']:7.2f} "
                f"{r['projected_epoch_seconds']:8.0f} "
                f"{flops.get('executed', float('nan')) / 1e9:8.2f} "
                f"{100 * share if share is not None else float('nan'):6.2f}")
        if "default_drift" in record:
            lines.append(f"  default measured again last: x{record['default_drift']} "
                         f"(1.0: no drift)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """The command line; with `--worker`, one variant's process instead (speed_variant.py)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["imdb", "reuters46"],
                        help="classification tasks whose train entry is timed")
    parser.add_argument("--steps", type=int, default=50,
                        help="timed steps at the entry's batch size (scaled for the others)")
    parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP,
                        help="steps before the timed ones, left out of the rates")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed passes after the first; the median is reported")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--val-epochs", type=int, default=0,
                        help="also train each variant this many whole epochs and report its "
                        "validation accuracy (0: off)")
    parser.add_argument("--nondeterministic", action="store_true",
                        help="train every variant with deterministic: false (TensorFlow's op "
                        "determinism off; Keras then takes jit_compile=True without forcing)")
    parser.add_argument("--variant-timeout", type=int, default=3600,
                        help="seconds one variant's process may run")
    parser.add_argument("--peak-ghz", type=float, help="the clock for the peak (default: read)")
    parser.add_argument("--flops-per-cycle", type=int,
                        help="fp32 FLOPs per cycle per core for the peak (default: from flags)")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker)
    if args.steps < 1 or args.repeats < 1 or args.warmup < 1:
        parser.error("--steps, --repeats and --warmup must be at least 1")
    entries = [paths.params_entry(section, task) for task in args.tasks
               for section in ("train", "sequences")]
    for path in entries:
        if not path.exists():
            parser.error(f"{path}: missing (run from a folder whose data/ holds the params "
                         "stage's entries)")
    record = provenance(entries)
    machine = this_machine_peak(args.peak_ghz, args.flops_per_cycle)
    print(f"peak {machine['peak_flops'] / 1e9:.0f} GFLOP/s: {machine['cores']} cores x "
          f"{machine['ghz']} GHz ({machine['clock_source']}) x "
          f"{machine['flops_per_cycle_per_core']} FLOPs/cycle ({machine['isa']})", flush=True)
    start = time.perf_counter()
    tasks = {task: run_task(task, args, machine["peak_flops"]) for task in args.tasks}
    results = {"steps_at_entry_batch_size": args.steps, "warmup_steps": args.warmup,
               "repeats": args.repeats, "val_epochs": args.val_epochs,
               "nondeterministic": args.nondeterministic,
               "batch_sizes": args.batch_sizes, "machine_peak": machine,
               "flops_counted": "training = 3 x forward; recurrent FLOPs over padded tokens "
                                "(executed) or real tokens (useful); see the script's docstring",
               "wall_seconds": round(time.perf_counter() - start, 1), "tasks": tasks}
    print(table(tasks))
    if args.json:
        write_result(args.json, results, record=record)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
