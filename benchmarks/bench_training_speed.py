"""Training speed of the default recurrent classifiers: oneDNN on/off x XLA on/off x batch size.

Issue 26 item 6: which of `TF_ENABLE_ONEDNN_OPTS`, `jit_compile=True` (XLA on the CPU) and the
batch size trains the default stacks fastest, and what share of the machine's peak FLOP/s the
training reaches. Needs the `sequences`, `vocab` and `embeddings` outputs and the params stage's
entries of each task (`data/params/train/<task>.json`, `data/params/sequences/<task>.json`).

    python benchmarks/bench_training_speed.py --tasks imdb reuters46 --steps 50 --repeats 3 \
        --batch-sizes 32 64 128 --json benchmarks/results/training_speed.json

What runs. Each variant (task, oneDNN, jit_compile, batch size) runs in its own Python process,
as TF_ENABLE_ONEDNN_OPTS is read when TensorFlow is imported. The process builds the model as
the train stage does (`build_classifier` from the task's `train` entry, batch size replaced),
re-compiles it with `jit_compile=True` for the XLA variants (the same optimizer, loss and
metrics, through `get_compile_config`), and trains on the train stage's own input pipeline
(`train_dataset`: tf.data, length bucketing, each batch cut to its longest row), seeded as the
train stage seeds. It runs `model.fit` for WARMUP + STEPS steps of the epoch's first batches
(pass 1), then REPEATS more times over the same batches (same widths, so nothing new to trace
or compile); each step is timed by a callback (end of step to end of step; every pass's step
times and the batches' widths are kept in the result). The default variant (oneDNN on,
jit_compile off, the entry's batch size) runs first and last for each task, so that drift of a
shared machine shows (`default_drift`).

XLA and determinism: the entries train with `deterministic: true` (TensorFlow's op determinism),
and with it on Keras turns `jit_compile=True` down to False with a warning. So that XLA itself
is measured, the benchmark then forces it on (Keras's private `_jit_compile`) and records
Keras's reason as `jit_forced`; `jit_compile_effective` says what trained, and
`xla_reported_compiled` whether TensorFlow logged an XLA compilation in that process (as
`onednn_reported_on` says whether it logged oneDNN on). Adopting XLA in the train stage would
need `deterministic: false` or the same forcing; `--nondeterministic` runs every variant with
op determinism off, Keras then taking jit_compile itself.

What it reports, per variant:
* `steady`: the median over the REPEATS passes of the STEPS timed steps (warm-up steps left
  out) as samples/s, real tokens/s (tokens that are not padding) and padded tokens/s (batch
  rows x batch width: what the masked RNN computes, as it runs every step of a batch and masks
  the state). `ratio_*`: this over the default variant of the same run (the mean of its two
  runs).
* `first_step_seconds`: step 1 of pass 1 (tracing the train step, and XLA's compilation for
  the first batch width): the compile time, left out of every rate.
* `first_pass_seconds`: the timed steps in pass 1. A bucketed batch has its own width, and XLA
  compiles a program per input shape, so with jit_compile a step whose width is new to the
  process compiles again; `new_widths` counts the timed steps' widths not seen before, and
  `compile_seconds_per_new_width` = (first pass - steady) / new_widths.
* `projected_epoch_seconds`: one epoch of the whole training set at the steady rate per padded
  token, plus, for each distinct width of that epoch, `compile_seconds_per_new_width` (which is
  about 0 without XLA): a compiled width stays compiled, so later epochs pay only for the
  widths they add.
* Steps are scaled with the batch size: `--steps` is the count at the entry's own batch size,
  and a variant with batch size b times round(steps x entry batch / b), so that each variant
  sees about as many rows. Different batch sizes see different batches (the bucketing depends
  on it); compare them on tokens/s, which a batch's mix of lengths moves least.
* With `--val-epochs E` (default 0: off) each variant then trains a fresh model from the seed
  for E whole epochs with the train stage's validation set and reports each epoch's validation
  accuracy and seconds: "faster without losing validation accuracy" is checked with this.
* A variant that fails (XLA refusing a masked RNN, a crash, a timeout) records its error text as
  its result; the others go on.

FLOPs (`training_flops`), per row and per time step of the recurrent stack, counting a
multiply-add as 2 FLOPs:
* a recurrent layer, per direction: 2 x gates x units x (input_dim + units + 1), gates = 3 for a
  GRU (update, reset, candidate; the + 1 stands for the biases), 4 for an LSTM, 1 for a simple
  RNN; x 2 when bidirectional; input_dim is the embedding size (GloVe 50d for the defaults) or
  the previous layer's output. The gates' element-wise work (sigmoid, tanh, products, about
  10 x units a step) is left out.
* a dense layer between recurrent layers: 2 x (input + 1) x units per step.
* pooling over H = the last layer's output features: max H and mean H a step, concat's final
  states 4 H (two one-hot weighted sums over H) plus max and mean: 6 H; last: 0.
* per row, once: the hidden dense layer 2 x (H + 1) x dense_units, the output 2 x (in + 1) x
  classes. The embedding lookup is a gather (about 0); dropout is element-wise (left out).
* training = 3 x forward (the backward pass is about twice the forward one), plus the optimizer
  once per step: ADAM_FLOPS_PER_PARAM x trainable parameters (Adam's element-wise update,
  counted dense over the whole embedding matrix).
`executed` FLOP/s counts the recurrent steps over the padded tokens (the work the CPU does),
`useful` FLOP/s over the real tokens only (the work the task needs); both are reported, as a
share of the peak too.

Peak FLOP/s (`machine_peak`): usable cores x clock x fp32 FLOPs per cycle per core, from
/proc/cpuinfo and lscpu: AVX-512 with 2 FMA units 64 (2 x 16 lanes x 2), except AMD Zen 4
(family 25 with avx512f), whose AVX-512 runs on two 256-bit FMA pipes: 32; AVX2 + FMA with 2
FMA units 32; AVX 16; else 8. The clock is lscpu's "CPU max MHz" or cpufreq's maximum where the
machine shows one, else /proc/cpuinfo's "cpu MHz", else BogoMIPS / 2 (a virtual machine's TSC
rate, about the nominal clock; a boost clock would be higher). `--peak-ghz` and
`--flops-per-cycle` override them; the assumptions are recorded with the result.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from provenance import REPO, cores, provenance, write_result

from rnnlab.core import paths
from rnnlab.core.params import load_entry
from rnnlab.tasks.classify.data import bucketed_order
from rnnlab.tasks.classify.params import SequencesParams, TrainParams
from rnnlab.tasks.layers import LayerSpec

GATES = {"gru": 3, "lstm": 4, "simple_rnn": 1}
ADAM_FLOPS_PER_PARAM = 12  # m, v, bias-corrected step: about a dozen element-wise FLOPs
POOLING_FLOPS = {"max": 1, "mean": 1, "concat": 6, "last": 0}  # per step, x H
RESULT_MARK = "BENCH_TRAINING_SPEED_RESULT "
ONEDNN_ON_LINE = "oneDNN custom operations are on"  # TensorFlow's log line at import
XLA_COMPILED_LINE = "Compiled cluster using XLA"  # logged once, when XLA first compiles
DEFAULT_WARMUP = 3


@dataclasses.dataclass(frozen=True)
class Variant:
    task: str
    onednn: bool
    jit: bool
    batch_size: int

    @property
    def key(self) -> str:
        return (f"{self.task}/onednn={int(self.onednn)}/jit={int(self.jit)}/"
                f"bs={self.batch_size}")


# ---------------------------------------------------------------- FLOPs and the machine's peak


def training_flops(specs: Sequence[LayerSpec], input_dim: int, pooling: str, num_classes: int,
                   dense_units: int = 0, between_dense: int = 0) -> dict[str, float]:
    """Training FLOPs of a classifier (see the module docstring): `per_token` (x each token the
    recurrent stack steps over, padded or real), `per_row` (x each row of a batch)."""
    per_step, width = 0.0, input_dim
    for depth, spec in enumerate(specs):
        directions = 2 if spec.bidirectional else 1
        per_step += directions * 2 * GATES[spec.cell] * spec.units * (width + spec.units + 1)
        width = directions * spec.units
        if between_dense and depth < len(specs) - 1:
            per_step += 2 * (width + 1) * between_dense
            width = between_dense
    per_step += POOLING_FLOPS[pooling] * width if pooling != "last" else 0
    per_row = 0.0
    if dense_units:
        per_row += 2 * (width + 1) * dense_units
        width = dense_units
    per_row += 2 * (width + 1) * (1 if num_classes == 2 else num_classes)
    return {"per_token": 3 * per_step, "per_row": 3 * per_row}


def optimizer_flops(trainable_params: int) -> float:
    return float(ADAM_FLOPS_PER_PARAM * trainable_params)


def _field(text: str, name: str) -> str | None:
    """The value of the first `name: value` line of lscpu's or /proc/cpuinfo's output."""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == name.lower():
            return value.strip()
    return None


def machine_peak(cpuinfo: str, lscpu: str = "", cpufreq_khz: str = "", usable: int | None = None,
                 ghz: float | None = None, flops_per_cycle: int | None = None) -> dict:
    """Peak fp32 FLOP/s of the CPUs this process may use, with what it assumed."""
    flags = set((_field(cpuinfo, "flags") or _field(lscpu, "Flags") or "").split())
    vendor = _field(cpuinfo, "vendor_id") or _field(lscpu, "Vendor ID") or ""
    family = _field(cpuinfo, "cpu family") or _field(lscpu, "CPU family") or ""
    notes = []
    if flops_per_cycle:
        fpc, isa = flops_per_cycle, "given (--flops-per-cycle)"
    elif "avx512f" in flags and vendor == "AuthenticAMD" and family == "25":
        fpc, isa = 32, "avx512f on AMD Zen 4 (family 25): 2 x 256-bit FMA pipes"
    elif "avx512f" in flags:
        fpc, isa = 64, "avx512f, assuming 2 FMA units (1 on some Xeons: 32)"
    elif {"avx2", "fma"} <= flags:
        fpc, isa = 32, "avx2 + fma, assuming 2 FMA units"
    elif "avx" in flags:
        fpc, isa = 16, "avx, no fma"
    else:
        fpc, isa = 8, "sse"
    if ghz:
        clock, source = ghz, "given (--peak-ghz)"
    elif (mhz := _field(lscpu, "CPU max MHz")) and float(mhz) > 0:
        clock, source = float(mhz) / 1000, "lscpu CPU max MHz"
    elif cpufreq_khz.strip():
        clock, source = int(cpufreq_khz) / 1e6, "cpufreq cpuinfo_max_freq"
    elif mhz := _field(cpuinfo, "cpu MHz"):
        clock, source = float(mhz) / 1000, "/proc/cpuinfo cpu MHz (the current clock)"
    elif bogomips := (_field(cpuinfo, "bogomips") or _field(lscpu, "BogoMIPS")):
        clock, source = float(bogomips) / 2000, "BogoMIPS / 2 (the TSC rate, about nominal)"
        notes.append("no maximum clock shown (a virtual machine?): a boost clock would raise "
                     "the peak")
    else:
        clock, source = 0.0, "unknown"
    n = usable if usable is not None else int(cores().get("usable", os.cpu_count() or 1))
    return {"peak_flops": n * clock * 1e9 * fpc, "cores": n, "ghz": round(clock, 3),
            "clock_source": source, "flops_per_cycle_per_core": fpc, "isa": isa,
            "cpu_model": _field(cpuinfo, "model name") or _field(lscpu, "Model name") or "",
            "notes": notes}


def this_machine_peak(ghz: float | None, flops_per_cycle: int | None) -> dict:
    def read(path: str) -> str:
        with contextlib.suppress(OSError):
            return Path(path).read_text(encoding="utf-8")
        return ""

    lscpu = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False,
                               env=os.environ | {"LC_ALL": "C"}).stdout
    return machine_peak(read("/proc/cpuinfo"), lscpu,
                        read("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"),
                        ghz=ghz, flops_per_cycle=flops_per_cycle)


# ---------------------------------------------------------------- the batches a training sees


def batch_plan(lengths: np.ndarray, params: TrainParams, maxlen: int) -> list[tuple[int, int, int]]:
    """(rows, real tokens, width) of each batch of epoch 0, in the order `train_dataset` yields
    them: the same functions from the same seed (`epoch_rng` at epoch 0), without the arrays."""
    from rnnlab.tasks import resume

    resume.note_epoch(0)
    rng = resume.epoch_rng(params.seed)
    if params.bucketing:
        batches = bucketed_order(lengths, params.batch_size, params.bucket_span, rng)
        return [(len(idx), int(lengths[idx].sum()), max(int(lengths[idx].max()), 1))
                for idx in batches]
    order = rng.permutation(len(lengths))
    return [(len(idx), int(lengths[idx].sum()), maxlen)
            for idx in (order[i: i + params.batch_size]
                        for i in range(0, len(order), params.batch_size))]


def scaled_steps(steps: int, entry_batch: int, batch_size: int) -> int:
    """Steps at `batch_size` that see about as many rows as `steps` at the entry's batch."""
    return max(1, round(steps * entry_batch / batch_size))


def summarize(passes: list[list[float]], plan: list[tuple[int, int, int]], warmup: int,
              steps: int) -> dict:
    """Rates and compile costs from the per-step seconds of each pass (see the docstring)."""
    timed = plan[warmup: warmup + steps]
    rows = sum(b[0] for b in timed)
    real = sum(b[1] for b in timed)
    padded = sum(b[0] * b[2] for b in timed)
    steady = [sum(p[warmup: warmup + steps]) for p in passes[1:]]
    median = statistics.median(steady)
    first = sum(passes[0][warmup: warmup + steps])
    seen = {b[2] for b in plan[:warmup]}
    new_widths = len({b[2] for b in timed} - seen)
    per_width = max(first - median, 0.0) / new_widths if new_widths else 0.0
    epoch_padded = sum(b[0] * b[2] for b in plan)
    epoch_widths = len({b[2] for b in plan})
    return {
        "steps_timed": len(timed), "warmup_steps": warmup, "rows_timed": rows,
        "real_tokens_timed": real, "padded_tokens_timed": padded,
        "padding_share": round(1 - real / padded, 4) if padded else 0.0,
        "first_step_seconds": round(passes[0][0], 3),
        "first_pass_seconds": round(first, 3),
        "steady_seconds": [round(s, 3) for s in steady],
        "steady_seconds_median": round(median, 3),
        "steady": {"samples_per_second": round(rows / median, 2),
                   "real_tokens_per_second": round(real / median, 1),
                   "padded_tokens_per_second": round(padded / median, 1),
                   "seconds_per_step": round(median / len(timed), 4)},
        "first_pass": {"real_tokens_per_second": round(real / first, 1)},
        "new_widths": new_widths,
        "compile_seconds_per_new_width": round(per_width, 3),
        "epoch": {"batches": len(plan), "distinct_widths": epoch_widths,
                  "real_tokens": sum(b[1] for b in plan), "padded_tokens": epoch_padded},
        "projected_epoch_seconds": round(epoch_padded / (padded / median)
                                         + epoch_widths * per_width, 1),
    }


# ---------------------------------------------------------------- one variant, in its process


def recompile(model, jit: bool) -> str | None:
    """The same optimizer, loss and metrics as the built model's compile, with `jit_compile`.

    Keras turns `jit_compile=True` down (a warning, then False) when TensorFlow's op determinism
    is on, as the entries' `deterministic: true` turns it on, or when a layer cannot run under
    XLA (a cuDNN RNN on a GPU). Then XLA is forced on through Keras's private `_jit_compile`, so
    that XLA itself is measured, and the reason Keras gave is returned (None: Keras took it).
    """
    from keras.src.trainers.trainer import model_supports_jit
    from tensorflow.python.framework.config import is_op_determinism_enabled

    config = model.get_compile_config()
    config["jit_compile"] = jit
    model.compile_from_config(config)
    if not jit or model.jit_compile:
        return None
    determinism = is_op_determinism_enabled()
    layers = [layer.name for layer in model._flatten_layers() if not layer.supports_jit]
    reason = ("Keras refuses jit_compile=True: " + ("op determinism is on " if determinism
              else "") + (f"layers without XLA support {layers}" if layers else "")).strip()
    if not model_supports_jit(model):
        model._jit_compile = True  # forced: XLA itself is what is measured
        model.train_function = model.test_function = model.predict_function = None
    return reason


def run_variant(spec: dict) -> dict:
    """Build, time and (optionally) train one variant; runs in the variant's own process."""
    import keras

    from rnnlab.core.files import load_npz
    from rnnlab.tasks import resume
    from rnnlab.tasks.classify.data import eval_dataset, predict, train_dataset
    from rnnlab.tasks.classify.model import build_classifier
    from rnnlab.tasks.fit import set_seeds
    from rnnlab.text.vocab import Vocab

    task = spec["task"]
    params = load_entry("train", task, TrainParams)
    params = dataclasses.replace(params, batch_size=spec["batch_size"],
                                 deterministic=params.deterministic and spec["deterministic"])
    seq = load_entry("sequences", task, SequencesParams)
    arrays = load_npz(paths.sequences(task))
    vocab_size = len(Vocab.load(paths.vocab(task)))
    num_classes = len(arrays["label_names"])
    glove = (None if params.embedding == "learned"
             else load_npz(paths.embeddings(task))["matrix"])
    input_dim = params.embedding_dim if glove is None else glove.shape[1]

    def built() -> keras.Model:
        set_seeds(params.seed, params.deterministic)
        resume.note_epoch(0)
        model = build_classifier(params, vocab_size, num_classes, glove)
        if spec["jit"]:
            refused = recompile(model, True)
            if refused:
                notes["jit_forced"] = refused
        return model

    notes: dict = {}
    model = built()
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    result: dict = {"jit_compile_effective": bool(model.jit_compile), **notes,
                    "deterministic": params.deterministic,
                    "tf_enable_onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
                    "trainable_params": trainable, "input_dim": int(input_dim),
                    "num_classes": num_classes}
    if params.conv_filters:
        result["flops_note"] = "conv front: FLOPs not counted"
    else:
        result["flops"] = training_flops(params.specs, input_dim, params.pooling, num_classes,
                                         params.dense_units, params.between_dense or 0)
        result["flops"]["per_step_optimizer"] = optimizer_flops(trainable)
    plan = batch_plan(arrays["len_train"], params, seq.maxlen)
    warmup = min(spec["warmup"], len(plan) - 1)
    steps = min(spec["steps"], len(plan) - warmup)
    if steps < spec["steps"]:
        result["steps_note"] = f"an epoch has {len(plan)} batches: {steps} steps timed"
    dataset = train_dataset(arrays["x_train"], arrays["y_train"], arrays["len_train"], params,
                            seq.padding)

    class StepTimer(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 0:
                self.marks = [time.perf_counter()]

        def on_train_batch_end(self, batch, logs=None):
            self.marks.append(time.perf_counter())

    timer, passes = StepTimer(), []
    for _ in range(1 + spec["repeats"]):
        model.fit(dataset, epochs=1, steps_per_epoch=warmup + steps, callbacks=[timer],
                  verbose=0, shuffle=False)
        passes.append(np.diff(timer.marks).tolist())
    result["step_seconds"] = [[round(s, 4) for s in p] for p in passes]  # pass by pass
    result["step_widths"] = [b[2] for b in plan[:warmup + steps]]
    result |= summarize(passes, plan, warmup, steps)

    if spec["val_epochs"]:
        model = built()
        val = eval_dataset(arrays["x_val"], arrays["y_val"], arrays["len_val"],
                           4 * params.batch_size, seq.padding)

        class Epochs(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                resume.note_epoch(epoch)
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.seconds = [*getattr(self, "seconds", []), time.perf_counter() - self.start]

        epochs = Epochs()
        history = model.fit(dataset, validation_data=val, epochs=spec["val_epochs"],
                            callbacks=[epochs], verbose=0, shuffle=False)
        probability = predict(model, arrays["x_val"], arrays["len_val"], 4 * params.batch_size,
                              seq.padding)
        guess = (probability[:, 0] >= 0.5) if num_classes == 2 else probability.argmax(axis=1)
        result["validation"] = {
            "epochs": spec["val_epochs"],
            "val_accuracy": [round(float(a), 4) for a in history.history["val_accuracy"]],
            "val_loss": [round(float(v), 4) for v in history.history["val_loss"]],
            "epoch_seconds": [round(s, 1) for s in epochs.seconds],
            "final_val_accuracy_predict": round(float(np.mean(guess == arrays["y_val"])), 4)}
    return result


def worker(spec_json: str) -> None:
    """The child's side: one variant, its result (or its error) as one marked line."""
    spec = json.loads(spec_json)
    try:
        result = run_variant(spec)
    except Exception as err:  # noqa: BLE001 (any failure is this variant's result)
        text = " ".join(f"{type(err).__name__}: {err}".split())
        result = {"error": text[:2000]}
    print(RESULT_MARK + json.dumps(result), flush=True)


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
