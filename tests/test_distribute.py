"""rnnlab.tasks.distribute: two MultiWorkerMirroredStrategy workers on 127.0.0.1 train like one
process on the same global batches; with the default strategy, `distributed_fit` gives what
`model.fit` gives, EarlyStopping and dvclive included; strategy names and TF_CONFIG are checked.

Tolerances: the per-epoch logs agree to 1e-5 and predicted probabilities to 1e-5 (absolute);
the runs here differ by about 1e-7, float32 rounding from summing in another order. Both workers
log bit-identical numbers (each epoch log is all-reduced). Everything runs on the CPU, workers
and in-process runs alike, so that a GPU's kernels do not enter the comparison.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rnnlab.core.errors import UsageError

sys.path.insert(0, str(Path(__file__).parent))
import distribute_worker as tiny  # noqa: E402

WORKER = Path(__file__).with_name("distribute_worker.py")
ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 100  # all worker processes together; a hung collective ends the test here
TOL = 1e-5


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start(strategy: str, out: Path, tf_config: dict | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env.update(CUDA_VISIBLE_DEVICES="-1", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]))
    if tf_config:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return subprocess.Popen([sys.executable, str(WORKER), strategy, str(out)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def close(logs: dict, reference: dict) -> None:
    assert logs.keys() == reference.keys() == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for key in logs:
        np.testing.assert_allclose(logs[key], reference[key], rtol=0, atol=TOL, err_msg=key)


def on_cpu():
    import tensorflow as tf

    return tf.device("/CPU:0")


def predictions(model) -> np.ndarray:
    with on_cpu():
        return np.asarray(model.predict(tiny.data()[0], verbose=0))


@pytest.mark.slow
def test_two_workers_train_like_one_process(tmp_path):
    import keras
    import tensorflow as tf

    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    procs = {f"multi_worker{i}": start("multi_worker", tmp_path,
                                       {"cluster": cluster, "task": {"type": "worker", "index": i}})
             for i in range(2)}
    deadline, outputs = time.monotonic() + TIMEOUT_S, {}
    try:  # meanwhile, the reference: one process, the default strategy, the same global batches
        with on_cpu():
            single_model, single = tiny.train(tf.distribute.get_strategy())
        for name, proc in procs.items():
            outputs[name] = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))[0]
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for name, proc in procs.items():
        assert proc.returncode == 0, f"{name}:\n{outputs[name][-4000:]}"
    runs = {name: json.loads((tmp_path / f"{name}.json").read_text()) for name in procs}

    chief, other = runs["multi_worker0"], runs["multi_worker1"]
    assert (chief["chief"], other["chief"], chief["replicas"]) == (True, False, 2)
    assert chief["history"] == other["history"]  # the same all-reduced numbers on both
    assert not (tmp_path / "multi_worker1.keras").exists()  # only the chief writes outputs
    assert len(single.history["loss"]) < tiny.EPOCHS  # EarlyStopping stopped it
    close(chief["history"], single.history)
    got = predictions(keras.saving.load_model(tmp_path / "multi_worker0.keras"))
    np.testing.assert_allclose(got, predictions(single_model), rtol=0, atol=TOL)


def fit_both(epochs: int, callbacks: list, split_at: int | None = None) -> tuple:
    """model.fit and distributed_fit (default strategy) from the same weights and batches;
    `split_at` resumes the second with `initial_epoch` after that many epochs."""
    with on_cpu():
        return _fit_both(epochs, callbacks, split_at)


def _fit_both(epochs: int, callbacks: list, split_at: int | None) -> tuple:
    import tensorflow as tf

    from rnnlab.tasks.distribute import distributed_fit

    strategy = tf.distribute.get_strategy()
    reference = tiny.build_model()
    train, val = tiny.datasets()
    fitted = reference.fit(train, validation_data=val, epochs=epochs, verbose=0,
                           callbacks=[tiny.note_epoch(), *callbacks[0]],
                           class_weight=tiny.CLASS_WEIGHT)
    model = tiny.build_model()
    train, val = tiny.datasets()
    if split_at:
        distributed_fit(model, train, val, split_at, [tiny.note_epoch()], strategy,
                        tiny.CLASS_WEIGHT)
    history = distributed_fit(model, train, val, epochs, [tiny.note_epoch(), *callbacks[1]],
                              strategy, tiny.CLASS_WEIGHT, initial_epoch=split_at or 0)
    return fitted, reference, history, model


def test_default_strategy_matches_fit_and_resumes():
    fitted, reference, history, model = fit_both(3, ([], []), split_at=2)
    assert history.epoch == [2]
    close({k: v[2:] for k, v in fitted.history.items()}, history.history)
    np.testing.assert_allclose(predictions(model), predictions(reference), rtol=0, atol=TOL)


def test_early_stopping_and_dvclive(tmp_path):
    import keras
    from dvclive import Live
    from dvclive.keras import DVCLiveCallback

    def stopper():  # only the first epoch improves by min_delta: stop after the second
        return keras.callbacks.EarlyStopping(monitor="val_loss", patience=1, min_delta=1e6,
                                             restore_best_weights=True)

    with Live(dir=str(tmp_path), save_dvc_exp=False, dvcyaml=None, report=None) as live:
        fitted, reference, history, model = fit_both(
            5, ([stopper()], [stopper(), DVCLiveCallback(live=live)]))
    assert len(history.history["loss"]) == len(fitted.history["loss"]) == 2
    close(history.history, fitted.history)
    np.testing.assert_allclose(predictions(model), predictions(reference), rtol=0, atol=TOL)
    curve = (tmp_path / "plots" / "metrics" / "eval" / "loss.tsv").read_text().splitlines()
    assert [float(row.split("\t")[-1]) for row in curve[1:]] == history.history["val_loss"]


def test_strategy_names_and_tf_config(monkeypatch):
    from rnnlab.tasks.distribute import is_chief, make_strategy

    strategy = make_strategy("default")
    assert strategy.num_replicas_in_sync == 1 and is_chief(strategy)
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(UsageError, match="multi_worker needs TF_CONFIG"):
        make_strategy("multi_worker")
    bad = ["{not json", '{"cluster": {"worker": ["a:1"]}}', '{"cluster": {"worker": []}, '
           '"task": {"type": "worker", "index": 0}}', '{"cluster": {"worker": ["a:1"]}, '
           '"task": {"type": "worker", "index": 1}}']
    for raw in bad:
        monkeypatch.setenv("TF_CONFIG", raw)
        with pytest.raises(UsageError, match="TF_CONFIG is not valid") as error:
            make_strategy("multi_worker")
        assert "\n" not in str(error.value)
    with pytest.raises(UsageError, match="unknown strategy 'tpu'"):
        make_strategy("tpu")
