"""stages/combine.py end to end on a tiny Keras classifier: the metrics file of its own, and the
refusals that come before any model loads (split, labels), each one line naming the entry."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from rnnlab.core import paths
from rnnlab.core.files import read_json, save_npz, write_json
from rnnlab.core.model_folder import save_model_folder
from rnnlab.text.vocab import build_vocab

VAL, TEST, WIDTH = 12, 16, 6


def sequences(classes: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    arrays = {"label_names": np.array([f"c{i}" for i in range(classes)])}
    start = 100
    for split, n in (("val", VAL), ("test", TEST)):
        lengths = rng.integers(1, WIDTH + 1, n)
        x = np.zeros((n, WIDTH), dtype=np.int32)
        for i, length in enumerate(lengths):
            x[i, :length] = rng.integers(2, 8, length)
        arrays |= {f"x_{split}": x, f"len_{split}": lengths.astype(np.int64),
                   f"y_{split}": rng.integers(0, classes, n).astype(np.int32),
                   f"row_{split}": np.arange(start, start + n, dtype=np.int64)}
        start += n
    return arrays


def peer(data: dict, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    classes = len(data["label_names"])
    out = {"model": np.array(["nbsvm"]), "label_names": data["label_names"]}
    for split in ("val", "test"):
        n = len(data[f"y_{split}"])
        out |= {f"row_{split}": data[f"row_{split}"], f"y_{split}": data[f"y_{split}"].astype(
            np.int64), f"scores_{split}": rng.normal(size=(n, classes))}
    return out


def model_folder(task: str, classes: int, names: list[str]) -> None:
    import keras

    keras.utils.set_random_seed(0)
    vocab = build_vocab(["a b c d e f", "g h"])
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(len(vocab), 4, mask_zero=True, name="embedding")(tokens)
    x = keras.layers.GRU(3, name="gru_0")(x)
    output = (keras.layers.Dense(1, "sigmoid", name="probability") if classes == 2
              else keras.layers.Dense(classes, "softmax", name="probabilities"))(x)
    model = keras.Model(tokens, output)
    meta = {"task": task, "label_names": names, "maxlen": WIDTH, "padding": "post",
            "truncating": "post", "unknown": "oov"}
    save_model_folder(paths.model_dir(task), model, "classify", meta, {"vocab.json": vocab})


def inputs(task: str, classes: int) -> dict:
    data = sequences(classes)
    save_npz(paths.sequences(task), **data)
    save_npz(paths.baseline_scores(task), **peer(data))
    write_json(paths.params_entry("combine", task), {"weights": [0.0, 0.5, 1.0],
                                                     "batch_size": 5})
    return data


def run_main(task: str) -> None:
    spec = importlib.util.spec_from_file_location("combine_stage", ROOT / "stages/combine.py")
    stage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stage)
    stage.main(task)


@pytest.mark.parametrize("classes", [2, 3])
def test_the_stage_writes_its_own_metrics_file_from_both_models(in_tmp, classes):
    data = inputs("toy", classes)
    model_folder("toy", classes, data["label_names"].tolist())
    run_main("toy")
    metrics = read_json(paths.combine_metrics("toy"))
    assert not paths.metrics("toy").exists()  # never the recurrent model's file
    assert metrics["baseline_model"] == "nbsvm" and metrics["weight"] in (0.0, 0.5, 1.0)
    from rnnlab.tasks.classify.data import predict
    from rnnlab.tasks.classify.predict import Classifier

    classifier = Classifier(paths.model_dir("toy"))
    out = predict(classifier.model, data["x_test"], data["len_test"], 64, "post")
    predicted = (out[:, 0] >= 0.5).astype(int) if classes == 2 else out.argmax(axis=1)
    assert metrics["rnn_accuracy"] == round(float(np.mean(predicted == data["y_test"])), 6)
    scores = peer(data)["scores_test"]
    assert metrics["baseline_accuracy"] == round(float(np.mean(scores.argmax(axis=1)
                                                               == data["y_test"])), 6)


def stage_error(task: str) -> str:
    """stages/combine.py run as DVC runs it; its one-line error (no TensorFlow gets loaded)."""
    result = subprocess.run([sys.executable, str(ROOT / "stages/combine.py"), task],
                            capture_output=True, text=True,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1 and result.stdout == "", result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"combine {task}: error: combine.{task}: ")
    assert not paths.combine_metrics(task).exists()
    return lines[0]


def test_a_baseline_scored_on_another_split_is_refused_before_any_model_loads(in_tmp):
    data = inputs("r8", 3)
    shifted = peer(data) | {"row_test": data["row_test"] + 1}  # another prepare entry's rows
    save_npz(paths.baseline_scores("r8"), **shifted)
    line = stage_error("r8")  # there is no model folder at all: nothing got that far
    assert "different test splits" in line and "prepare.r8" in line


def test_a_model_with_other_labels_is_refused_before_it_loads(in_tmp):
    inputs("r8", 3)
    paths.model_dir("r8").mkdir(parents=True)
    (paths.model_dir("r8") / "model.keras").write_text("not a model: never loaded")
    build_vocab(["a b"]).save(paths.model_dir("r8") / "vocab.json")
    (paths.model_dir("r8") / "meta.json").write_text(json.dumps(
        {"family": "classify", "task": "r8", "label_names": ["c0", "c1"], "maxlen": WIDTH,
         "padding": "post", "truncating": "post", "unknown": "oov"}))
    line = stage_error("r8")
    assert "labels differ" in line and "models/r8/meta.json 2" in line
