"""How `rnnlab predict` loads a classifier (rnnlab/tasks/classify/predict.py and the CLI): the
model from a copy of model.keras without its config's initial values (a GloVe matrix of 18-20 MB
of JSON), in safe mode, not compiled; and Keras imported without the optional libraries it only
supports. Each must change nothing but the time: the same weights, the same outputs, and a
damaged or crafted file still a one-line `DataError`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from faultkit import snapshot

from rnnlab.core.errors import DataError
from rnnlab.core.model_folder import load_keras_model, save_model_folder
from rnnlab.tasks.classify.predict import Classifier, load_inference_model
from rnnlab.text.vocab import build_vocab

TEXTS = ["a fine film", "dull and far too long", "fine fine fine"]


@pytest.fixture(scope="module")
def classifier(tmp_path_factory) -> Path:
    """A small trained-looking classifier whose embedding starts from a `Constant` matrix."""
    import keras

    vocab = build_vocab(["a fine film", "dull and far too long film"])
    glove = np.random.default_rng(0).normal(size=(len(vocab), 4)).astype("float32")
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(len(vocab), 4, name="embedding",
                               embeddings_initializer=keras.initializers.Constant(glove))(tokens)
    x = keras.layers.Bidirectional(keras.layers.GRU(3), name="bi_gru_0")(x)
    model = keras.Model(tokens, keras.layers.Dense(1, "sigmoid", name="probability")(x))
    model.compile("adam", "binary_crossentropy")
    for layer in model.layers:  # weights unlike their initial values, as after training
        layer.set_weights([w + 0.5 for w in layer.get_weights()])
    folder = tmp_path_factory.mktemp("models") / "films"
    meta = {"task": "films", "label_names": ["neg", "pos"], "maxlen": 10, "padding": "pre",
            "truncating": "pre", "unknown": "oov"}
    save_model_folder(folder, model, "classify", meta, {"vocab.json": vocab})
    return folder


def test_the_lean_load_has_keras_s_weights_and_outputs(classifier):
    before = snapshot(classifier.parent)
    full, lean = load_keras_model(classifier), load_inference_model(classifier)
    assert snapshot(classifier.parent) == before  # the copy is made elsewhere
    assert [w.tolist() for w in lean.get_weights()] == [w.tolist() for w in full.get_weights()]
    x = np.asarray([[0, 0, 2, 3, 4], [5, 6, 7, 8, 9]], dtype="int32")
    assert np.array_equal(lean.predict_on_batch(x), full.predict_on_batch(x))
    assert getattr(lean, "optimizer", None) is None and full.optimizer is not None  # not compiled
    with zipfile.ZipFile(classifier / "model.keras") as archive:
        assert '"Constant"' in archive.read("config.json").decode()  # there to be dropped


@pytest.mark.parametrize("damage, reason", [
    (lambda path: path.write_bytes(path.read_bytes()[:300]), r"File is not a zip file"),
    ("bomb", r"member 'model.weights.h5' declares 300000000 bytes but stores \d+: a "
             r"decompression bomb"),
    ("no-weights", r"Expected a model.weights.h5 or model.weights.npz file"),
], ids=["truncated", "zip-bomb", "no-weights"])
def test_a_damaged_classifier_file_is_one_line(tmp_path, classifier, damage, reason):
    folder = tmp_path / "films"
    folder.mkdir()
    for name in ("meta.json", "vocab.json"):
        (folder / name).write_bytes((classifier / name).read_bytes())
    path = folder / "model.keras"
    if callable(damage):
        path.write_bytes((classifier / "model.keras").read_bytes())
        damage(path)
    else:
        with zipfile.ZipFile(classifier / "model.keras") as source, \
                zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            out.writestr("config.json", source.read("config.json"))
            if damage == "bomb":  # 300 MB of zeros deflate to a few hundred kB
                with out.open("model.weights.h5", "w", force_zip64=True) as member:
                    for _ in range(300):
                        member.write(bytes(1_000_000))
    with pytest.raises(DataError) as err:
        _ = Classifier(folder).model
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{path}: not a loadable Keras model (")
    assert re.search(reason, message), message


def test_a_cold_predict_imports_none_of_keras_s_extras_and_predicts_the_same(classifier):
    from rnnlab.cli_process import KERAS_EXTRAS

    expected = Classifier(classifier).probabilities(TEXTS)[:, 1]
    child = ("import sys; del sys.path[0]\n"
             "from rnnlab.cli import main\nfrom rnnlab.cli_process import KERAS_EXTRAS\n"
             "try:\n"
             "    main(sys.argv[1:])\n"
             "finally:\n"
             "    print(sorted(KERAS_EXTRAS & set(sys.modules)), file=sys.stderr)\n")
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", child, "predict", "--task", "films",
                             "--models", str(classifier.parent), *TEXTS], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.splitlines()[-1] == "[]", (KERAS_EXTRAS, result.stderr[-3000:])
    printed = [line.split("\t") for line in result.stdout.splitlines()]
    assert [row[0] for row in printed] == ["pos" if p >= 0.5 else "neg" for p in expected]
    assert [float(row[1]) for row in printed] == [
        round(float(p if p >= 0.5 else 1 - p), 4) for p in expected]
    assert json.loads((classifier / "meta.json").read_text())["family"] == "classify"
