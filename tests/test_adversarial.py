"""Adversarial training on the embeddings (rnnlab/tasks/classify/adversarial.py): the saved model
predicts as one without it, training takes the perturbed loss, and bad epsilons are refused."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnlab.core.errors import ParamsError
from rnnlab.core.params import from_mapping
from rnnlab.tasks.classify.adversarial import PERTURBATION, unit_per_text
from rnnlab.tasks.classify.model import build_classifier
from rnnlab.tasks.classify.params import TrainParams

BASE = dict(seed=1, optimizer="adam", learning_rate=0.01, clipnorm=None, batch_size=8, epochs=1,
            patience=1, deterministic=True, embedding="learned", embedding_dim=6, mask_zero=True,
            embedding_dropout=0.0, conv_filters=0, layers=1, cell="gru", units=4,
            bidirectional=True, dropout=0.0, recurrent_dropout=0.0, pooling="concat",
            dense_units=0, class_weight="none", bucketing=False)
POOLINGS = ["last", "max", "mean", "concat"]
EMBEDDINGS = ["learned", "glove_frozen", "glove_finetune"]
VOCAB = 30


def params(embedding="learned", pooling="concat", epsilon=None, **overrides):
    values = BASE | {"embedding": embedding, "pooling": pooling, "adversarial_epsilon": epsilon}
    if embedding != "learned":
        values["embedding_dim"] = None
    return dataclasses.replace(TrainParams(**BASE), **values | overrides)


def batch(classes=2, rows=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(2, VOCAB, size=(rows, 9)).astype("int32")
    x[: rows // 2, 6:] = 0  # half the rows padded
    return x, (x[:, 0] % classes).astype("int32")


def model(p, classes=2):
    keras.utils.set_random_seed(p.seed)
    glove = np.random.default_rng(0).normal(size=(VOCAB, 5)).astype("float32")
    return build_classifier(p, VOCAB, classes, None if p.embedding == "learned" else glove)


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("embedding", EMBEDDINGS)
def test_the_perturbation_layer_is_the_identity_outside_training(embedding, pooling, classes,
                                                                 tmp_path):
    x, _ = batch(classes)
    plain = model(params(embedding, pooling), classes)
    adversarial = model(params(embedding, pooling, epsilon=0.5), classes)
    assert adversarial.get_layer(PERTURBATION) is not None
    np.testing.assert_array_equal(plain.predict(x, verbose=0), adversarial.predict(x, verbose=0))
    adversarial.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), plain.predict(x, verbose=0))


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("embedding", EMBEDDINGS)
def test_an_adversarial_step_trains_on_more_than_the_clean_loss(embedding, pooling, classes):
    """Same init, same batch: the adversarial step moves the weights differently from the plain
    one, reports the clean loss, and leaves the layer the identity afterwards."""
    x, y = batch(classes)
    plain = model(params(embedding, pooling), classes)
    adversarial = model(params(embedding, pooling, epsilon=2.0), classes)
    clean_loss = plain.evaluate(x, y, verbose=0)[0]
    logs = adversarial.train_on_batch(x, y, return_dict=True)
    assert logs["loss"] == pytest.approx(clean_loss, rel=1e-5)  # no dropout: the same forward
    plain.train_on_batch(x, y)
    moved = [not np.allclose(a, b) for a, b in
             zip(plain.get_weights(), adversarial.get_weights(), strict=True)]
    assert any(moved)
    assert adversarial.get_layer(PERTURBATION).perturb is None


@pytest.mark.parametrize("pooling", POOLINGS)
def test_the_push_raises_the_loss_more_than_a_random_one_of_the_same_size(pooling):
    x, y = batch()
    classifier = model(params(pooling=pooling, epsilon=1.0))
    layer, loss_fn = classifier.get_layer(PERTURBATION), keras.losses.BinaryCrossentropy()

    def loss_with(push=None):
        layer.perturb = None if push is None else (lambda steps: steps + push)
        try:
            return float(loss_fn(y, classifier(x, training=False)))
        finally:
            layer.perturb = None

    steps = {}
    with tf.GradientTape() as tape:
        def watch(inputs):
            tape.watch(inputs)
            steps["e"] = inputs
            return inputs
        layer.perturb = watch
        loss = loss_fn(y, classifier(x, training=False))
    layer.perturb = None
    push = 0.5 * unit_per_text(tape.gradient(loss, steps["e"]))
    noise = 0.5 * unit_per_text(tf.random.stateless_normal(push.shape, seed=(1, 2)))
    assert loss_with(push) > loss_with(noise) and loss_with(push) > loss_with()


def test_each_texts_push_has_norm_one_and_a_zero_gradient_stays_zero():
    gradient = tf.constant(np.stack([np.full((3, 2), 2.0), np.zeros((3, 2))]), tf.float32)
    norms = tf.norm(tf.reshape(unit_per_text(gradient), (2, -1)), axis=1).numpy()
    np.testing.assert_allclose(norms, [1.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("epsilon", [0, -0.5])
def test_an_epsilon_of_zero_or_less_is_refused_in_one_line(epsilon):
    values = BASE | {"adversarial_epsilon": epsilon, "bucketing": False}
    with pytest.raises(ParamsError, match=r"^train.imdb.adversarial_epsilon: .*> 0") as error:
        from_mapping(TrainParams, values, "train.imdb")
    assert "\n" not in str(error.value)
