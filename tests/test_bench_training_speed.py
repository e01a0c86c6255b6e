"""The training-speed benchmark: its FLOP count and the machine's peak (speed_model.py), the
batches it counts tokens of, those train_dataset yields, and the rates it derives from step times
(speed_variant.py), and the sweep and the ratios to the default (bench_training_speed.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_training_speed as bench  # noqa: E402
import speed_model  # noqa: E402
import speed_variant  # noqa: E402

from rnnlab.tasks.layers import LayerSpec  # noqa: E402

BIGRU = [LayerSpec("gru", 128, True)]


def test_flops_of_the_imdb_default():
    """BiGRU(128) over GloVe 50d, concat pooling, one sigmoid output; training = 3 x forward."""
    flops = speed_model.training_flops(BIGRU, 50, "concat", 2)
    recurrent = 2 * 2 * 3 * 128 * (50 + 128 + 1)  # directions x FMA x gates x units x inputs
    assert flops["per_token"] == 3 * (recurrent + 6 * 256)
    assert flops["per_row"] == 3 * 2 * 257


def test_flops_of_a_stack_and_a_softmax():
    specs = [LayerSpec("lstm", 64, False), LayerSpec("gru", 32, True)]
    flops = speed_model.training_flops(specs, 100, "max", 46, dense_units=10, between_dense=16)
    step = 2 * 4 * 64 * (100 + 64 + 1) + 2 * (64 + 1) * 16 + 2 * 2 * 3 * 32 * (16 + 32 + 1) + 64
    assert flops["per_token"] == 3 * step
    assert flops["per_row"] == 3 * (2 * 65 * 10 + 2 * 11 * 46)


ZEN4 = ("vendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\n"
        "cpu MHz\t\t: 2596.122\nflags\t\t: fpu avx avx2 fma avx512f\nbogomips\t: 5192.24\n")
INTEL = "vendor_id\t: GenuineIntel\ncpu family\t: 6\nflags\t\t: avx avx2 fma avx512f\n"


def test_peak_of_zen4_counts_its_avx512_as_two_256_bit_pipes():
    peak = speed_model.machine_peak(ZEN4, usable=2)
    assert peak["flops_per_cycle_per_core"] == 32
    assert peak["ghz"] == pytest.approx(2.596, abs=1e-3)
    assert peak["peak_flops"] == pytest.approx(2 * 2.596122e9 * 32)


def test_peak_prefers_the_maximum_clock_and_takes_overrides():
    lscpu = "CPU max MHz:                     3700.0000\n"
    assert speed_model.machine_peak(ZEN4, lscpu, usable=1)["ghz"] == 3.7
    assert speed_model.machine_peak(INTEL, lscpu, usable=4)["flops_per_cycle_per_core"] == 64
    given = speed_model.machine_peak(INTEL, usable=1, ghz=2.0, flops_per_cycle=16)
    assert given["peak_flops"] == 2.0e9 * 16
    no_clock = speed_model.machine_peak(ZEN4.replace("cpu MHz", "x"), usable=1)
    assert no_clock["clock_source"].startswith("BogoMIPS") and no_clock["notes"]


def params(**kw) -> SimpleNamespace:
    return SimpleNamespace(**{"seed": 42, "bucketing": True, "batch_size": 4, "bucket_span": 3}
                           | kw)


def test_batch_plan_counts_every_row_and_real_token():
    lengths = np.random.default_rng(0).integers(1, 50, size=37)
    for bucketing in (True, False):
        plan = speed_variant.batch_plan(lengths, params(bucketing=bucketing), maxlen=50)
        assert sum(b[0] for b in plan) == 37
        assert sum(b[1] for b in plan) == lengths.sum()
        assert all(b[2] <= 50 and b[1] <= b[0] * b[2] for b in plan)


def test_batch_plan_is_what_train_dataset_yields():
    pytest.importorskip("tensorflow")
    from rnnlab.tasks.classify.data import train_dataset

    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 20, size=30).astype(np.int32)
    x = np.zeros((30, 20), np.int32)
    for row, n in zip(x, lengths, strict=True):
        row[:n] = rng.integers(1, 9, size=n)
    p = params()
    got = [(int(a.shape[0]), int((a.numpy() != 0).sum()), int(a.shape[1]))
           for a, _ in train_dataset(x, np.zeros(30, np.int32), lengths, p, "post")]
    assert got == speed_variant.batch_plan(lengths, p, maxlen=20)


def test_summarize_separates_compile_from_steady_steps():
    plan = [(2, 10, 8), (2, 12, 9), (2, 6, 9), (2, 4, 3)]  # rows, real tokens, width
    first = [5.0, 3.0, 0.5, 2.0]  # step 0 traces; widths 9 (once) and 3 are new when timed
    steady = [[0.4, 0.5, 0.5, 1.0], [0.4, 0.5, 0.5, 0.9]]
    out = speed_variant.summarize([first, *steady], plan, warmup=1, steps=3)
    assert out["steady_seconds_median"] == pytest.approx(1.95)
    assert out["steady"]["real_tokens_per_second"] == pytest.approx(22 / 1.95, abs=0.1)
    assert out["padded_tokens_timed"] == 2 * 9 + 2 * 9 + 2 * 3
    assert out["new_widths"] == 2
    assert out["compile_seconds_per_new_width"] == pytest.approx((5.5 - 1.95) / 2, abs=1e-3)
    assert out["first_step_seconds"] == 5.0
    assert out["epoch"] == {"batches": 4, "distinct_widths": 3, "real_tokens": 32,
                            "padded_tokens": 58}


def test_variants_put_the_default_first_and_include_the_entry_batch():
    sweep = bench.variants("imdb", 64, [32, 128])
    assert sweep[0] == bench.Variant("imdb", True, False, 64)
    assert len(sweep) == len(set(sweep)) == 2 * 2 * 3
    assert bench.scaled_steps(50, 64, 128) == 25 and bench.scaled_steps(1, 64, 256) == 1


def test_ratios_and_flops_against_the_default():
    result = {"steady": {"samples_per_second": 20.0, "real_tokens_per_second": 300.0},
              "steady_seconds_median": 2.0, "rows_timed": 40, "steps_timed": 4,
              "real_tokens_timed": 600, "padded_tokens_timed": 800,
              "flops": {"per_token": 10.0, "per_row": 1.0, "per_step_optimizer": 5.0}}
    failed = {"error": "XLA said no"}
    results = {"a": result, "b": failed}
    defaults = [{"samples_per_second": 10.0, "real_tokens_per_second": 100.0},
                {"samples_per_second": 30.0, "real_tokens_per_second": 200.0}]
    bench.add_ratios_and_flops(results, defaults, peak=1000.0)
    assert result["ratio_samples_per_second"] == 1.0
    assert result["ratio_real_tokens_per_second"] == 2.0
    assert result["flops_per_second"]["executed"] == (8000 + 40 + 20) / 2
    assert result["flops_per_second"]["useful_share_of_peak"] == (6000 + 60) / 2 / 1000
    assert results["b"] == failed
