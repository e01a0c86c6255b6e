"""A text's prediction never depends on the rest of the batch.

Over every value of every `Literal` the classifier builder reads (pooling, cell, direction,
padding side, mask, one or two layers): a row's output alone equals its output beside longer
rows, to 1e-6, through the Keras model and `predict` (what evaluation and `rnnlab predict` run);
then through `rnnlab predict` and the exported SavedModel for every pooling.
"""

import typing

import numpy as np
import pytest
from test_export import model_folder as saved_classifier
from test_models_training import params

from rnnlab.tasks.classify.params import TrainParams

POOLINGS = typing.get_args(typing.get_type_hints(TrainParams)["pooling"])
CELLS = ("simple_rnn", "lstm", "gru")
SHORT = [5, 6, 7]
LONGER = [[8, 9, 10, 11, 12, 13, 4], [3, 4, 5, 6, 7, 8, 9, 10, 11]]
WIDTH = 12


def padded(rows: list[list[int]], side: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.zeros((len(rows), WIDTH), dtype=np.int32)
    for i, row in enumerate(rows):
        if side == "post":
            x[i, :len(row)] = row
        else:
            x[i, WIDTH - len(row):] = row
    return x, np.array([len(row) for row in rows])


def test_the_grid_covers_every_pooling():
    assert set(POOLINGS) == {"last", "max", "mean", "concat"}


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("mask", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("pooling", POOLINGS)
def test_a_row_alone_equals_the_row_beside_longer_rows(pooling, cell, bidirectional, mask,
                                                       layers):
    from rnnlab.tasks.classify.data import predict
    from rnnlab.tasks.classify.model import build_classifier

    model = build_classifier(params(pooling=pooling, cell=cell, bidirectional=bidirectional,
                                    mask_zero=mask, layers=layers, dropout=0.0,
                                    embedding_dropout=0.0), 20, 3)
    # eager calls: the same layers as `predict_on_batch` without tracing a graph per shape,
    # which would make this grid of 96 models the slowest test in the suite
    model.predict_on_batch = lambda batch: np.asarray(model(batch, training=False))
    for side in ("pre", "post"):
        alone = predict(model, *padded([SHORT], side), 8, side)
        beside = predict(model, *padded([SHORT, *LONGER], side), 8, side)
        np.testing.assert_allclose(beside[0], alone[0], rtol=0, atol=1e-6, err_msg=side)
        if mask:  # the mask hides padding: the bare row gives the same answer too
            bare = model.predict_on_batch(np.array([SHORT]))
            np.testing.assert_allclose(alone, bare, rtol=0, atol=1e-6, err_msg=side)


def test_concat_pools_each_directions_state_after_the_whole_row():
    """The forward half after the last real token, the backward half after reading back to the
    first: the same as `last` pooling's final states from Keras's own `Bidirectional`."""
    import keras

    from rnnlab.tasks.classify.model import build_classifier

    model = build_classifier(params(pooling="concat", bidirectional=True, units=4), 20, 2)
    rnn = model.get_layer("bi_gru_0")
    final = model.get_layer("final_states")
    features = keras.Model(model.input, final.output)
    whole = keras.Model(model.input, rnn.output)
    for row in ([[5, 6, 7, 0, 0]], [[0, 0, 5, 6, 7]], [[5, 6, 7]]):
        states = features.predict_on_batch(np.array(row))
        sequence = whole.predict_on_batch(np.array([SHORT]))
        np.testing.assert_allclose(states[0, :4], sequence[0, -1, :4], atol=1e-6)
        np.testing.assert_allclose(states[0, 4:], sequence[0, 0, 4:], atol=1e-6)
        assert np.abs(states).min() > 0  # never a zeroed (masked) step


@pytest.fixture(scope="module", params=POOLINGS)
def model_folder(request, tmp_path_factory):
    """A saved bidirectional classifier for each pooling, its weights drawn far from uniform."""
    folder = tmp_path_factory.mktemp(f"model_{request.param}") / "imdb"
    return saved_classifier(folder, ["neg", "pos"], "keras",
                            dict(maxlen=40, padding="post", truncating="pre", unknown="oov"),
                            mask_zero=True, pooling=request.param, bidirectional=True)


def known_texts(folder) -> list[str]:
    """A short text and a long one of words the model's vocabulary holds (a text with none is
    refused by the SavedModel, as by `rnnlab predict`)."""
    from rnnlab.text.vocab import Vocab

    words = Vocab.load(folder / "vocab.json").tokens[2:]
    return [" ".join(words[:3]), " ".join((words * 4)[:30])]


def test_rnnlab_predict_is_batch_independent(model_folder):
    from rnnlab.tasks.classify.predict import Classifier

    classifier = Classifier(model_folder)
    texts = known_texts(model_folder)
    alone = classifier.probabilities(texts[:1])
    beside = classifier.probabilities(texts)
    np.testing.assert_allclose(beside[0], alone[0], rtol=0, atol=1e-6)


def test_the_saved_model_is_batch_independent_and_agrees_with_predict(model_folder, tmp_path):
    import tensorflow as tf

    from rnnlab.tasks.classify.export import ENDPOINT, export_classifier
    from rnnlab.tasks.classify.predict import Classifier

    out = export_classifier(model_folder, tmp_path / "served")
    serve = tf.saved_model.load(str(out)).signatures[ENDPOINT]
    texts = known_texts(model_folder)
    alone = serve(texts=tf.constant(texts[:1]))["probabilities"].numpy()
    beside = serve(texts=tf.constant(texts))["probabilities"].numpy()
    np.testing.assert_allclose(beside[0], alone[0], rtol=0, atol=1e-6)
    expected = Classifier(model_folder).probabilities(texts)
    np.testing.assert_allclose(beside, expected, rtol=0, atol=1e-5)
