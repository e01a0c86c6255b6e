"""Dynamic evaluation (rnnlab.tasks.lm.dynamic): no token is ever scored by weights updated on
it, a learning rate of 0 is the static loss, adapting helps on repeated text, and the trained
model is never changed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnlab.core.errors import DataError, ParamsError
from rnnlab.core.params import from_mapping
from rnnlab.tasks.lm.params import EvaluateLMParams, TrainLMParams

# a character-sized and a word-sized vocabulary, each with its own window
LEVELS = {"char": (14, 40), "word": (300, 25)}


def lm(vocab_size: int, cell: str = "gru", units: object = 16, dense_units: int = 0):
    import keras

    from rnnlab.tasks.lm.model import build_language_model

    keras.utils.set_random_seed(3)
    params = TrainLMParams(seed=3, embedding_dim=8, mask_zero=False, cell=cell, units=units,
                           bidirectional=False, dropout=0.2, recurrent_dropout=0.0,
                           dense_units=dense_units, l2=0.0 if dense_units else None,
                           optimizer="adam", learning_rate=0.01, clipnorm=None, batch_size=4,
                           epochs=1, patience=1, deterministic=True)
    return build_language_model(params, vocab_size, many_to_many=True)


def windows(stream: np.ndarray, window: int):
    from rnnlab.tasks.lm.data import held_out_windows

    return held_out_windows(stream.astype(np.int32), window)


def random_stream(vocab_size: int, length: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(2, vocab_size, length)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(("cell", "units", "dense", "segment", "streams"),
                         [("gru", 16, 0, 7, 1), ("lstm", [12, 10], 0, 10, 3),
                          ("simple_rnn", 8, 6, 40, 2)])
def test_learning_rate_zero_is_the_static_loss(level, cell, units, dense, segment, streams):
    from rnnlab.tasks.lm.dynamic import dynamic_logprobs
    from rnnlab.tasks.lm.generate import token_logprobs

    vocab_size, window = LEVELS[level]
    model = lm(vocab_size, cell, units, dense)
    x, y = windows(random_stream(vocab_size, 9 * window + 4), window)  # a padded last window
    static = token_logprobs(model, x, y, batch_size=4)
    dynamic = dynamic_logprobs(model, x, y, 0.0, segment, streams=streams)
    assert dynamic.shape == static.shape == (9 * window + 3,)
    np.testing.assert_allclose(dynamic, static, rtol=0, atol=1e-5)
    assert -dynamic.mean() == pytest.approx(-static.mean(), rel=1e-7)


@pytest.mark.parametrize("level", LEVELS)
def test_the_first_segment_is_scored_before_any_update(level):
    """With one stream, the first segment's scores come from the trained weights however large
    the step; every later token sees weights updated on the text before it only."""
    from rnnlab.tasks.lm.dynamic import dynamic_logprobs
    from rnnlab.tasks.lm.generate import token_logprobs

    vocab_size, window = LEVELS[level]
    model = lm(vocab_size)
    x, y = windows(random_stream(vocab_size, 4 * window + 1), window)
    static = token_logprobs(model, x, y, batch_size=4)
    dynamic = dynamic_logprobs(model, x, y, 5.0, segment=6)
    np.testing.assert_allclose(dynamic[:6], static[:6], rtol=0, atol=1e-5)
    assert np.abs(dynamic[6:] - static[6:]).max() > 1e-3  # the updates did change the rest


@pytest.mark.parametrize("level", LEVELS)
def test_unpredictable_text_stays_unpredictable(level):
    """Uniform random tokens: a model that never sees a token before scoring it cannot beat
    their entropy on average, however it adapts; one that scored after stepping on the token
    (segment 1, a large step) falls well below it (2.1 nats here, against log 10 = 2.30)."""
    from rnnlab.tasks.lm.dynamic import dynamic_logprobs

    vocab_size, window = LEVELS[level]
    distinct = 10
    stream = np.random.default_rng(1).integers(2, 2 + distinct, 2000)
    x, y = windows(stream, window)
    loss = -dynamic_logprobs(lm(vocab_size), x, y, 1.0, segment=1, streams=4).mean()
    assert loss > math.log(distinct) - 0.05


@pytest.mark.parametrize("level", LEVELS)
def test_adapting_to_repeated_text_lowers_the_loss_and_leaves_the_model_alone(level):
    from rnnlab.tasks.lm.dynamic import dynamic_logprobs
    from rnnlab.tasks.lm.generate import token_logprobs

    vocab_size, window = LEVELS[level]
    model = lm(vocab_size)
    before = [w.copy() for w in model.get_weights()]
    x, y = windows(np.tile(random_stream(vocab_size, 12, seed=2), 60), window)
    static = -token_logprobs(model, x, y, batch_size=4).mean()
    dynamic = -dynamic_logprobs(model, x, y, 0.5, segment=10, decay=0.01, streams=2).mean()
    assert dynamic < static - 0.3
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    assert -token_logprobs(model, x, y, batch_size=4).mean() == static


def test_a_bidirectional_model_is_refused():
    import keras

    from rnnlab.tasks.lm.dynamic import dynamic_logprobs

    tokens = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(9, 4)(tokens)
    h = keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True))(h)
    model = keras.Model(tokens, keras.layers.Dense(9)(h))
    x, y = windows(random_stream(9, 30), 10)
    with pytest.raises(DataError, match="reads both ways"):
        dynamic_logprobs(model, x, y, 0.1, 5)


BASE = {"split": "val", "eval_window": 100, "batch_size": 4, "prompts": ["a"],
        "sample_length": 3, "temperature": 0.5, "top_k": 0, "seed": 1}


@pytest.mark.parametrize(("extra", "message"), [
    ({"dynamic_learning_rate": 0}, r"dynamic_learning_rate: expected a value > 0, got 0"),
    ({"dynamic_learning_rate": -0.1, "dynamic_segment": 5}, r"dynamic_learning_rate: expected"),
    ({"dynamic_learning_rate": 0.1}, r"dynamic_segment: missing key \(dynamic_learning_rate"),
    ({"dynamic_learning_rate": 0.1, "dynamic_segment": 0}, r"dynamic_segment: expected a value "
     r"≥ 1, got 0"),
    ({"dynamic_learning_rate": 0.1, "dynamic_segment": 5, "dynamic_decay": 1.0},
     r"dynamic_decay: expected a value ≥ 0 and < 1, got 1.0"),
    ({"dynamic_learning_rate": 0.1, "dynamic_segment": 5, "dynamic_streams": 0},
     r"dynamic_streams: expected a value ≥ 1, got 0"),
    ({"dynamic_segment": 5}, r"dynamic_segment: does not apply to this entry "
     r"\(dynamic_learning_rate set only\)"),
    ({"interpolation_order": 1}, r"interpolation_order: expected a value ≥ 2 and ≤ 10, got 1"),
])
def test_bad_dynamic_and_interpolation_params_are_refused(extra, message):
    with pytest.raises(ParamsError, match=r"^evaluate_lm\.x\." + message):
        from_mapping(EvaluateLMParams, BASE | extra, "evaluate_lm.x")


def test_dynamic_params_default_and_stay_off_unless_asked():
    off = from_mapping(EvaluateLMParams, BASE, "evaluate_lm.x")
    assert (off.dynamic_learning_rate, off.dynamic_segment, off.interpolation_order) == (
        None, None, None)
    on = from_mapping(EvaluateLMParams, BASE | {"dynamic_learning_rate": 0.1,
                                                "dynamic_segment": 20}, "evaluate_lm.x")
    assert (on.dynamic_decay, on.dynamic_streams) == (0.0, 1)
    assert from_mapping(EvaluateLMParams, BASE | {"dynamic_learning_rate": None},
                        "evaluate_lm.x").dynamic_learning_rate is None
