import dataclasses

import numpy as np
import pytest
from conftest import ROOT, real_params

from rnnlab.core.errors import ParamsError
from rnnlab.core.params import from_mapping
from rnnlab.tasks.classify.params import TrainParams


def params(**overrides) -> TrainParams:
    """train.imdb with a small learned embedding; `key=None` drops a key that no longer applies
    (as `key: null` does in params.yaml), e.g. `embedding_dim=None` for a GloVe embedding."""
    base = real_params()["train"]["imdb"]
    small = {"units": 4, "embedding_dim": 4, "embedding": "learned", "mask_zero": True}
    return from_mapping(TrainParams, base | small | overrides, "test")


def test_bucketed_batches_cover_every_row_once_with_similar_lengths():
    from rnnlab.tasks.classify.data import bucketed_order

    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 500, size=1000)
    batches = bucketed_order(lengths, 32, 10, np.random.default_rng(1))
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    spread = np.mean([lengths[b].max() - lengths[b].min() for b in batches])
    random_spread = np.mean([lengths[b].max() - lengths[b].min()
                             for b in np.array_split(rng.permutation(1000), 32)])
    assert spread < random_spread / 5
    again = bucketed_order(lengths, 32, 10, np.random.default_rng(1))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))


def test_trim_batch_keeps_the_token_side():
    from rnnlab.tasks.classify.data import trim_batch

    x = np.array([[0, 0, 5, 6], [0, 0, 0, 7]])
    assert trim_batch(x, np.array([2, 1]), "pre").tolist() == [[5, 6], [0, 7]]
    x = np.array([[5, 6, 0, 0], [7, 0, 0, 0]])
    assert trim_batch(x, np.array([2, 1]), "post").tolist() == [[5, 6], [7, 0]]


def test_predict_restores_the_original_order():
    import keras

    from rnnlab.tasks.classify.data import predict

    tokens = keras.Input(shape=(None,), dtype="int32")
    # a "model" that returns the row's first token, so order mistakes show
    model = keras.Model(tokens, keras.layers.Lambda(lambda t: t[:, :1])(tokens))
    x = np.array([[3, 1, 1], [1, 0, 0], [2, 1, 0]], dtype=np.int32)
    out = predict(model, x, np.array([3, 1, 2]), batch_size=2, padding="post")
    assert out[:, 0].tolist() == [3, 1, 2]


@pytest.mark.parametrize("pooling", ["last", "max", "mean", "concat"])
@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_builder_makes_each_cell_direction_and_pooling(cell, bidirectional, pooling):
    import keras

    from rnnlab.tasks.classify.model import build_classifier

    model = build_classifier(params(cell=cell, bidirectional=bidirectional, layers=2,
                                    pooling=pooling), 50, 2)  # `units` features per direction
    layer_names = [layer.name for layer in model.layers]
    assert sum(cell in name for name in layer_names) == 2
    assert any(name.startswith("bi_") for name in layer_names) == bidirectional
    rng = np.random.default_rng(0)  # weights far from Keras's small initial ones
    model.set_weights([rng.normal(0, 1.0, w.shape).astype(w.dtype) for w in model.get_weights()])
    x = np.array([[2, 3, 4, 0], [7, 7, 1, 0]])
    out = np.asarray(model(x, training=False))  # eager: no graph traced for 24 models
    # the output is the sigmoid of one dense unit over the features below it, computed by hand
    # from the layer's own weights: a softmax over one unit (always 1), a missing activation or
    # a layer fed the wrong tensor all give other numbers
    features = np.asarray(keras.Model(model.input, model.get_layer("probability").input)(x))
    kernel, bias = model.get_layer("probability").get_weights()
    width = 4 * (2 if bidirectional else 1) * (3 if pooling == "concat" else 1)
    assert features.shape == (2, width) and kernel.shape[1] == 1
    logit = features.astype(np.float64) @ kernel + bias
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-logit)), rtol=1e-5, atol=1e-6)
    assert out.shape == (2, 1) and not np.allclose(out, 0.5, atol=1e-4)


def test_softmax_head_for_many_classes_and_glove_freezing():
    from rnnlab.tasks.classify.model import build_classifier

    glove = np.random.default_rng(0).normal(size=(50, 6)).astype(np.float32)
    frozen = build_classifier(params(embedding="glove_frozen", embedding_dim=None), 50, 5, glove)
    assert frozen.output_shape == (None, 5)
    embedding = frozen.get_layer("embedding")
    assert not embedding.trainable
    np.testing.assert_allclose(embedding.get_weights()[0], glove)
    tuned = build_classifier(params(embedding="glove_finetune", embedding_dim=None), 50, 5,
                             glove)
    assert tuned.get_layer("embedding").trainable
    with pytest.raises(ValueError, match="GloVe matrix has 50 rows, vocabulary has 40"):
        build_classifier(params(embedding="glove_frozen", embedding_dim=None), 40, 2, glove)


@pytest.mark.slow
def test_training_is_deterministic_from_the_seed(tmp_path):
    from rnnlab.tasks import fit
    from rnnlab.tasks.classify import data, model

    rng = np.random.default_rng(0)
    x = rng.integers(1, 30, size=(64, 12)).astype(np.int32)
    y = (x[:, 0] > 15).astype(np.int32)
    lengths = np.full(64, 12, dtype=np.int32)
    p = dataclasses.replace(params(epochs=2, batch_size=16), seed=7)
    runs = []
    for i in range(2):
        fit.set_seeds(p.seed, p.deterministic)
        classifier = model.build_classifier(p, 30, 2)
        train = data.train_dataset(x, y, lengths, p, "post")
        val = data.eval_dataset(x, y, lengths, 32, "post")
        history = fit.fit(classifier, train, val, p, tmp_path / f"live{i}",
                          tmp_path / f"backup{i}")
        runs.append(history.history["loss"])
    assert runs[0] == runs[1]


def test_masked_max_pooling_ignores_padding():
    import keras

    from rnnlab.tasks.classify.model import MaskedGlobalMaxPooling1D

    x = np.array([[[-1.0, -2.0], [-3.0, -0.5], [0.0, 0.0]]], dtype=np.float32)
    mask = np.array([[True, True, False]])
    out = keras.ops.convert_to_numpy(MaskedGlobalMaxPooling1D()(x, mask=mask))
    np.testing.assert_allclose(out, [[-1.0, -0.5]])  # the padded zeros would have won


@pytest.mark.parametrize("pooling", ["max", "mean"])
def test_pooled_models_give_the_same_answer_with_or_without_extra_padding(pooling, tmp_path):
    import keras

    from rnnlab.tasks.classify.model import build_classifier

    model = build_classifier(params(pooling=pooling, bidirectional=True), 50, 2)
    short = model.predict(np.array([[5, 6, 7]]), verbose=0)
    padded = model.predict(np.array([[5, 6, 7, 0, 0, 0]]), verbose=0)
    np.testing.assert_allclose(short, padded, rtol=1e-5)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(np.array([[5, 6, 7]]), verbose=0), short, rtol=1e-6)


def test_mixed_cells_with_dense_between_and_a_conv_front():
    from rnnlab.tasks.classify.model import build_classifier

    p = params(cell=["lstm", "gru"], layers=2, between_dense=5, conv_filters=6, conv_kernel=5,
               conv_pool=2, bidirectional=False)
    model = build_classifier(p, 50, 4)
    names = [layer.name for layer in model.layers]
    order = [names.index(n) for n in ("conv", "lstm_0", "between_dense_0", "gru_1")]
    assert order == sorted(order)
    assert model.predict(np.array([[3, 4, 5, 6, 7]]), verbose=0).shape == (1, 4)
    # a list of cells that does not match `layers` is refused when the params are checked...
    with pytest.raises(ParamsError, match=r"test.cell: lists 2 values for 3 layers"):
        params(cell=["lstm", "gru"], layers=3)
    # ...and by the builder, for params made without the check
    with pytest.raises(ValueError, match="cell: lists 2 values for 3 layers"):
        build_classifier(dataclasses.replace(p, layers=3), 50, 4)


def test_balanced_class_weights():
    from rnnlab.tasks.classify.data import class_weights

    weights = class_weights(np.array([0, 0, 0, 1]), 3)
    assert weights == {0: 4 / 6, 1: 2.0, 2: 1.0}


@pytest.mark.slow
def test_two_identical_trainings_save_identical_model_files(tmp_path):
    """Keras writes memory addresses as `shared_object_id`; the saved zip must not carry them,
    or DVC sees a new model after every retrain with nothing changed."""
    import hashlib
    import subprocess
    import sys

    script = tmp_path / "train_once.py"
    script.write_text(TRAIN_ONCE)
    digests = set()
    for run in range(2):
        folder = tmp_path / f"run{run}"
        subprocess.run([sys.executable, str(script), str(folder)], check=True, cwd=ROOT,
                       capture_output=True)
        digests.add(hashlib.sha256((folder / "model.keras").read_bytes()).hexdigest())
    assert len(digests) == 1


TRAIN_ONCE = """
import pathlib, sys
import keras, numpy as np
sys.path.insert(0, "tests")
from test_models_training import params
from rnnlab.core.model_folder import save_model_folder
from rnnlab.tasks.classify.model import build_classifier
keras.utils.set_random_seed(0)
model = build_classifier(params(pooling="concat", bidirectional=True), 50, 2)
model.fit(np.array([[1, 2, 3], [4, 5, 6]]), np.array([0, 1]), verbose=0, epochs=1)
save_model_folder(pathlib.Path(sys.argv[1]), model, "classify", {}, {})
"""
