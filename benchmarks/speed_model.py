"""The training-speed benchmark's model of the work: analytic training FLOPs and peak FLOP/s.

Used by bench_training_speed.py (the machine's peak, the FLOP/s of each variant) and by
speed_variant.py (the FLOP count of the variant's model). No TensorFlow here.

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

import contextlib
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from provenance import cores

from rnnlab.tasks.layers import LayerSpec

GATES = {"gru": 3, "lstm": 4, "simple_rnn": 1}
ADAM_FLOPS_PER_PARAM = 12  # m, v, bias-corrected step: about a dozen element-wise FLOPs
POOLING_FLOPS = {"max": 1, "mean": 1, "concat": 6, "last": 0}  # per step, x H


# ---------------------------------------------------------------- FLOPs of one training step


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
    """Adam's element-wise update of every trainable parameter, once per step."""
    return float(ADAM_FLOPS_PER_PARAM * trainable_params)


# ---------------------------------------------------------------- the machine's peak


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
    """`machine_peak` of this machine: /proc/cpuinfo, lscpu and cpufreq, read where they exist."""
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
