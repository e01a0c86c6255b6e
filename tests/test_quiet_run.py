"""A stage's log: no TensorFlow start-up lines, no Keras warning the project causes, and a long
epoch that reports within itself (issue 24, item 5)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT

# what TensorFlow and absl write while they load and run (C++ log lines, absl's notice)
TF_LINE = re.compile(r"^[IWEF]\d{4} |tensorflow/|absl|oneDNN|cuda|cpu_feature_guard", re.M)

# As a stage script runs it: rnnlab.core.stage first, then a training through `fit.fit`, with
# the progress interval 0 so that every batch reports.
TRAIN = r"""
import sys
sys.path.insert(0, sys.argv[1])
import rnnlab.core.stage
from pathlib import Path
import numpy as np
from rnnlab.tasks import fit, progress
from rnnlab.tasks.fit_params import FitParams
params = FitParams(seed=0, optimizer="adam", learning_rate=0.01, clipnorm=None, batch_size=8,
                   epochs=2, patience=1, deterministic=False)
fit.set_seeds(params.seed, False)
import keras
import tensorflow as tf
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 3)).astype("float32")
y = (x[:, 0] > 0).astype("float32")
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer=fit.make_optimizer(params), loss="binary_crossentropy")
progress.INTERVAL = 0
fit.fit(model, fit.shuffled_batches((x, y), params.batch_size, params.seed),
        fit.finish(tf.data.Dataset.from_tensor_slices((x[:16], y[:16])).batch(16)), params,
        Path("live"), Path("backup"))
"""


@pytest.mark.slow
def test_a_training_in_a_stage_process_logs_no_tensorflow_lines_nor_warnings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as by hand
    result = subprocess.run([sys.executable, "-c", TRAIN, str(ROOT)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not TF_LINE.search(result.stderr), result.stderr
    assert "Warning" not in result.stderr and "shuffle" not in result.stderr, result.stderr
    # not a terminal: Keras's line per epoch, and within each epoch the progress lines
    assert re.search(r"^epoch 1/2: batch 1/8 \(12%\), loss \d[\d.e+-]*, \d+ s$", result.stdout,
                     re.M), result.stdout
    assert re.search(r"^epoch 2/2: batch 8/8 \(100%\), loss ", result.stdout, re.M)
    assert "\x08" not in result.stdout and len(re.findall(r"^8/8 ", result.stdout, re.M)) == 2


def test_the_stage_runner_keeps_what_tensorflow_logs_at_or_above_its_level():
    from rnnlab.core.stage import wanted

    info = ("I0000 00:00:1796672349.837787    3749 port.cc:153] oneDNN custom operations are "
            "on. You may see slightly different numerical results\n")
    error = "E1207 19:41:20.123456    3749 cuda_dnn.cc:8310] Unable to register cuDNN factory\n"
    notice = ("WARNING: All log messages before absl::InitializeLog() is called are written to "
              "STDERR\n")
    assert not wanted(info, 2) and not wanted(notice, 2) and wanted(error, 2)
    assert not wanted(error, 3) and wanted(info, 0) and wanted(notice, 0)
    assert wanted("Traceback (most recent call last):\n", 3)
    assert wanted("x.py:3: UserWarning: a real one\n", 3)


def test_the_stage_runner_sets_the_log_level_before_tensorflow_loads():
    script = ("import os, sys; import rnnlab.core.stage; "
              "print(os.environ['TF_CPP_MIN_LOG_LEVEL'], 'tensorflow' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    assert out.split() == ["3", "False"]  # and it does not load TensorFlow itself


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_epoch(callback, clock: Clock, batches: int, seconds_each: float) -> None:
    callback.set_params({"epochs": 10, "steps": batches, "verbose": 2})
    callback.on_epoch_begin(2)
    for batch in range(batches):
        clock.now += seconds_each
        callback.on_train_batch_end(batch, {"loss": 4.12345})


def test_a_long_epoch_reports_every_interval_in_a_log():
    from rnnlab.tasks.progress import EpochProgress

    clock, log = Clock(), io.StringIO()
    run_epoch(EpochProgress(interval=60, stream=log, clock=clock), clock, 4000, 0.0625)
    lines = log.getvalue().splitlines()
    assert len(lines) == 4  # 250 s: at 60, 120, 180 and 240 s
    assert lines[0] == "epoch 3/10: batch 960/4000 (24%), loss 4.123, 60 s"
    assert lines[-1].startswith("epoch 3/10: batch 3840/4000 (96%), loss 4.123, 240 s")


def test_interval_zero_reports_every_batch_and_an_unknown_count_is_left_out():
    from rnnlab.tasks.progress import EpochProgress

    clock, log = Clock(), io.StringIO()
    callback = EpochProgress(interval=0, stream=log, clock=clock)
    run_epoch(callback, clock, 3, 0.5)
    assert log.getvalue().splitlines()[0] == "epoch 3/10: batch 1/3 (33%), loss 4.123, 0 s"
    callback.set_params({"epochs": 10, "steps": None})  # a distributed fit's
    assert callback.line(6, {}, 2.0) == "epoch 3/10: batch 7, 2 s"


def test_on_a_terminal_it_prints_nothing_and_keras_draws_its_bar():
    from rnnlab.tasks.progress import EpochProgress, keras_verbose

    clock, terminal = Clock(), Terminal()
    run_epoch(EpochProgress(interval=0, stream=terminal, clock=clock), clock, 50, 10)
    assert terminal.getvalue() == ""
    assert keras_verbose(terminal) == 1 and keras_verbose(io.StringIO()) == 2
