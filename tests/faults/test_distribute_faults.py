"""Faults in multi-worker start-up: a TF_CONFIG that is not JSON, not an object, or whose cluster,
addresses, task type or index are wrong is a one-line UsageError naming the field; a peer that
never answers ends start-up after the timeout (RNNLAB_WORKER_TIMEOUT) with one line naming that
worker; SIGTERM or SIGINT stop a process waiting for one at once. None of these imports
TensorFlow: the checks and the wait run before it does anything."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_distribute import free_ports

from rnnlab.core.errors import UsageError
from rnnlab.tasks import distribute
from rnnlab.tasks.distribute import check_tf_config, wait_for_workers, worker_timeout

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"cluster": {"worker": ["127.0.0.1:2222", "127.0.0.1:2223"]},
        "task": {"type": "worker", "index": 1}}


def with_(cluster=None, task=None, **extra) -> str:
    return json.dumps({"cluster": GOOD["cluster"] if cluster is None else cluster,
                       "task": GOOD["task"] if task is None else task, **extra})


def test_good_tf_configs_pass():
    assert check_tf_config(json.dumps(GOOD)) == GOOD
    chief = {"cluster": {"chief": ["host-a:1"], "worker": ["[::1]:65535", "b.example:80"]},
             "task": {"type": "chief", "index": 0}, "environment": "cloud"}
    assert check_tf_config(json.dumps(chief)) == chief


BAD = {
    "not-json": ("{cluster: 1}", r"not JSON \(Expecting property name"),
    "a-list": ("[1, 2]", r"TF_CONFIG: expected a JSON object"),
    "a-string": ('"worker"', r"TF_CONFIG: expected a JSON object"),
    "null": ("null", r"TF_CONFIG: expected a JSON object"),
    "no-cluster": (json.dumps({"task": GOOD["task"]}), r"cluster: expected a mapping"),
    "cluster-a-list": (with_(cluster=["127.0.0.1:2222"]), r"cluster: expected a mapping"),
    "cluster-empty": (with_(cluster={}), r"cluster: expected a mapping"),
    "job-empty": (with_(cluster={"worker": []}), r"cluster\.worker: expected a non-empty list"),
    "job-a-string": (with_(cluster={"worker": "127.0.0.1:2222"}),
                     r"cluster\.worker: expected a non-empty list"),
    "address-no-port": (with_(cluster={"worker": ["127.0.0.1", "b:1"]}),
                        r"cluster\.worker\[0\]: expected \"host:port\" with a port 1-65535, "
                        r"got '127\.0\.0\.1'"),
    "address-port-0": (with_(cluster={"worker": ["a:1", "b:0"]}), r"cluster\.worker\[1\]:"),
    "address-port-65536": (with_(cluster={"worker": ["a:1", "b:65536"]}),
                           r"cluster\.worker\[1\]: .* got 'b:65536'"),
    "address-port-negative": (with_(cluster={"worker": ["a:-1", "b:2"]}),
                              r"cluster\.worker\[0\]:"),
    "address-port-text": (with_(cluster={"worker": ["a:http", "b:2"]}), r"cluster\.worker\[0\]:"),
    "address-no-host": (with_(cluster={"worker": [":2222", "b:2"]}), r"cluster\.worker\[0\]:"),
    "address-a-number": (with_(cluster={"worker": [2222, "b:2"]}),
                         r"cluster\.worker\[0\]: .* got 2222$"),
    "address-with-space": (with_(cluster={"worker": ["a :1", "b:2"]}), r"cluster\.worker\[0\]:"),
    "no-task": (json.dumps({"cluster": GOOD["cluster"]}), r"task: expected \{\"type\""),
    "task-a-list": (with_(task=["worker", 0]), r"task: expected"),
    "task-type-missing": (with_(task={"index": 0}), r"task\.type: expected a job of the cluster "
                                                    r"\(worker\), got None$"),
    "task-type-unknown": (with_(task={"type": "ps", "index": 0}),
                          r"task\.type: expected a job of the cluster \(worker\), got 'ps'$"),
    "task-index-missing": (with_(task={"type": "worker"}), r"task\.index: .* got None$"),
    "task-index-negative": (with_(task={"type": "worker", "index": -1}),
                            r"task\.index: expected an index of cluster\.worker, 0\.\.1, "
                            r"got -1$"),
    "task-index-past-the-job": (with_(task={"type": "worker", "index": 2}),
                                r"task\.index: .* 0\.\.1, got 2$"),
    "task-index-a-string": (with_(task={"type": "worker", "index": "0"}),
                            r"task\.index: .* got '0'$"),
    "task-index-a-float": (with_(task={"type": "worker", "index": 0.0}),
                           r"task\.index: .* got 0\.0$"),
    "task-index-a-bool": (with_(task={"type": "worker", "index": True}),
                          r"task\.index: .* got True$"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_tf_config_is_one_line_naming_the_field(case):
    raw, match = BAD[case]
    with pytest.raises(UsageError) as error:
        check_tf_config(raw)
    message = str(error.value)
    assert "\n" not in message and message.startswith("TF_CONFIG is not valid: "), message
    assert __import__("re").search(match, message), message


@pytest.mark.parametrize("raw", [None, ""])
def test_no_tf_config_says_what_to_set(raw):
    with pytest.raises(UsageError, match=r"^strategy multi_worker needs TF_CONFIG set to \{"):
        check_tf_config(raw)


@pytest.mark.parametrize("raw", ["0", "-5", "soon", "nan", "inf"])
def test_a_bad_worker_timeout_is_named(monkeypatch, raw):
    monkeypatch.setenv("RNNLAB_WORKER_TIMEOUT", raw)
    with pytest.raises(UsageError, match=rf"^RNNLAB_WORKER_TIMEOUT: expected a number of "
                                         rf"seconds > 0, got '{raw}'$"):
        worker_timeout()


def test_the_worker_timeout_defaults_to_300_s(monkeypatch):
    monkeypatch.delenv("RNNLAB_WORKER_TIMEOUT", raising=False)
    assert worker_timeout() == distribute.WORKER_TIMEOUT_S == 300
    monkeypatch.setenv("RNNLAB_WORKER_TIMEOUT", "2.5")
    assert worker_timeout() == 2.5


def cluster_of(ports: list[int], index: int) -> dict:
    return {"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
            "task": {"type": "worker", "index": index}}


def test_an_unreachable_worker_fails_fast_naming_it(monkeypatch):
    ports = free_ports(3)
    monkeypatch.setenv("RNNLAB_WORKER_TIMEOUT", "0.5")
    start = time.monotonic()
    with pytest.raises(UsageError) as error:
        wait_for_workers(cluster_of(ports, 0))
    assert time.monotonic() - start < 5
    message = str(error.value)
    assert "\n" not in message
    assert message == (f"multi_worker start-up: worker 1 (127.0.0.1:{ports[1]}, TF_CONFIG "
                       "cluster.worker[1]) did not answer within 0.5 s; start every worker, "
                       "or set RNNLAB_WORKER_TIMEOUT to wait longer")


def test_workers_that_listen_are_waited_for_and_the_port_is_freed():
    ports = free_ports(2)
    peer = socket.socket()
    peer.bind(("127.0.0.1", ports[1]))
    peer.listen(4)
    try:
        wait_for_workers(cluster_of(ports, 0), timeout=5)
    finally:
        peer.close()
    own = socket.socket()  # this worker's own port is free again for TensorFlow's server
    own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    own.bind(("", ports[0]))
    own.close()


def test_two_workers_starting_together_see_each_other(tmp_path):
    """Each listens on its own port while it waits, so neither waits for the other forever."""
    ports = free_ports(2)
    procs = [waiter(cluster_of(ports, i), timeout=20, serve_s=3) for i in range(2)]
    outs = [p.communicate(timeout=30) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs


def waiter(config: dict, timeout: float, serve_s: float = 0) -> subprocess.Popen:
    """A process that waits for its peers, then (as TensorFlow's server would) listens on its
    own port for `serve_s` seconds."""
    port = config["cluster"]["worker"][config["task"]["index"]].rpartition(":")[2]
    # Ctrl-C as in a terminal's foreground job (a background job, as under `nohup … &`,
    # inherits SIGINT ignored, and Python then never raises KeyboardInterrupt)
    code = ("import json, signal, socket, sys, time\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "from rnnlab.tasks.distribute import "
            "wait_for_workers\nprint('waiting', flush=True)\n"
            f"wait_for_workers(json.loads(sys.argv[1]), timeout={timeout})\nprint('ready')\n"
            "server = socket.socket()\n"
            "server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            f"server.bind(('', {port}))\nserver.listen(8)\ntime.sleep({serve_s})\n")
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code, json.dumps(config)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_a_worker_waiting_for_its_peers(signum):
    proc = waiter(cluster_of(free_ports(2), 0), timeout=600)
    try:
        assert proc.stdout.readline().strip() == "waiting"
        time.sleep(0.5)  # inside the wait loop now
        assert proc.poll() is None
        start = time.monotonic()
        proc.send_signal(signum)
        proc.wait(timeout=5)
        assert time.monotonic() - start < 3
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert "ready" not in proc.stdout.read()
