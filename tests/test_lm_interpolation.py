"""RNN + Kneser-Ney interpolation (rnnlab.tasks.lm.interpolate) and the metrics stages/evaluate_lm
writes with it and with dynamic evaluation, at character and word level."""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from rnnlab.core import paths
from rnnlab.core.errors import DataError
from rnnlab.core.files import read_json, save_npz, write_json
from rnnlab.tasks.lm.interpolate import (
    GRID,
    choose_weight,
    interpolate,
    interpolate_with_kneser_ney,
    mean_loss,
    mixture_logprobs,
    ngram_logprobs,
)
from rnnlab.tasks.lm.ngram import NgramModel
from rnnlab.tasks.lm.ngram_eval import held_out_nll
from rnnlab.text.vocab import EOL, Vocab

WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran", "far"]
LEVELS = {"char": [*"abcdefgh"], "word": WORDS}


def token_stream(level: str, length: int, seed: int) -> list[str]:
    """A line start, then text that follows a noisy cycle (so an n-gram model learns it)."""
    tokens, rng = LEVELS[level], np.random.default_rng(seed)
    cycle = [*tokens[:5], EOL]
    out = [EOL]
    for i in range(length - 1):
        out.append(cycle[i % len(cycle)] if rng.random() < 0.8 else str(rng.choice(tokens)))
    return out


def fake_rnn(length: int, seed: int) -> np.ndarray:
    """Log-probabilities a recurrent model might give: between log 0.01 and log 0.9."""
    return np.log(np.random.default_rng(seed).uniform(0.01, 0.9, length))


@pytest.mark.parametrize("level", LEVELS)
def test_the_ngram_scores_are_the_tables_token_by_token(level):
    train, held = token_stream(level, 3000, 0), token_stream(level, 400, 1)
    model = NgramModel(3, "kneser_ney", discount=0.75).fit([train])
    logp = ngram_logprobs(model, held)
    assert logp.shape == (len(held) - 1,)  # every token after the first, as the RNN predicts
    assert mean_loss(logp) == pytest.approx(held_out_nll(model, held), rel=1e-12)


@pytest.mark.parametrize("level", LEVELS)
def test_weight_one_is_the_rnn_and_weight_zero_the_ngram(level):
    held = token_stream(level, 400, 1)
    model = NgramModel(3, "kneser_ney", discount=0.75).fit([token_stream(level, 3000, 0)])
    ngram, rnn = ngram_logprobs(model, held), fake_rnn(len(held) - 1, 2)
    assert np.array_equal(mixture_logprobs(rnn, ngram, 1.0), rnn)
    assert np.array_equal(mixture_logprobs(rnn, ngram, 0.0), ngram)
    half = mixture_logprobs(rnn, ngram, 0.5)
    np.testing.assert_allclose(np.exp(half), (np.exp(rnn) + np.exp(ngram)) / 2, rtol=1e-12)


@pytest.mark.parametrize("level", LEVELS)
def test_the_weight_is_the_best_on_the_first_half_and_scored_on_the_second(level):
    held = token_stream(level, 601, 1)
    model = NgramModel(3, "kneser_ney", discount=0.75).fit([token_stream(level, 3000, 0)])
    ngram, rnn = ngram_logprobs(model, held), fake_rnn(len(held) - 1, 2)
    out = interpolate(rnn, ngram)
    first = slice(0, 300)
    losses = [mean_loss(mixture_logprobs(rnn[first], ngram[first], w)) for w in GRID]
    assert out["weight"] == GRID[int(np.argmin(losses))] == choose_weight(rnn[first],
                                                                          ngram[first])
    assert 0 < out["weight"] < 1  # each model knows what the other does not
    assert min(losses) < min(losses[0], losses[-1])
    assert out["tokens"] == 300
    second = slice(300, None)
    assert out["rnn"] == mean_loss(rnn[second]) and out["ngram"] == mean_loss(ngram[second])
    assert out["mixture"] == mean_loss(mixture_logprobs(rnn[second], ngram[second],
                                                        out["weight"]))


def test_an_unseen_token_leaves_the_ngram_loss_infinite_but_the_mixture_finite():
    train = token_stream("word", 3000, 0)
    held = [*token_stream("word", 200, 1), "zebra", "the"]  # never in training
    out = interpolate_with_kneser_ney(fake_rnn(len(held) - 1, 3), train, held, 3, 0.75)
    assert out["ngram"] == math.inf and math.isfinite(out["mixture"]) and out["weight"] > 0


def test_scores_of_other_tokens_are_refused():
    train, held = token_stream("char", 300, 0), token_stream("char", 50, 1)
    with pytest.raises(DataError, match="scored 50 tokens, the held-out stream has 49"):
        interpolate_with_kneser_ney(fake_rnn(50, 0), train, held, 3, 0.75)
    with pytest.raises(DataError, match="the same tokens"):
        interpolate(fake_rnn(10, 0), fake_rnn(9, 0))


# ------------------------------------------------------------------ the stage, end to end


def evaluate_entry(**extra: object) -> dict:
    return {"split": "val", "eval_window": 30, "batch_size": 4, "prompts": ["the"],
            "sample_length": 3, "temperature": 0.5, "top_k": 0, "seed": 1} | extra


def stage_inputs(task: str, level: str, ngram_smoothings: tuple[str, ...] = ("kneser_ney",),
                 **extra: object) -> Vocab:
    vocab = Vocab(["", "[UNK]", EOL, *LEVELS[level]], level, "none")
    ids = {token: i for i, token in enumerate(vocab.tokens)}
    save_npz(paths.lm_sequences(task), **{
        f"stream_{split}": np.array([ids[t] for t in token_stream(level, n, seed)], np.int32)
        for split, n, seed in (("train", 2000, 0), ("val", 301, 1))})
    write_json(paths.ngram_table(task), {"best": {"val": {"order": 3, "smoothing": "kneser_ney",
                                                          "val_nll": 1.5}}})
    kn = "kneser_ney" in ngram_smoothings
    write_json(paths.params_entry("ngram", task), {
        "max_order": 3, "smoothings": list(ngram_smoothings), "k": None if kn else 0.1,
        "discount": 0.75 if kn else None, "score_order": 3,
        "score_smoothing": ngram_smoothings[0]})
    write_json(paths.params_entry("evaluate_lm", task), evaluate_entry(**extra))
    return vocab


def model_folder(task: str, vocab: Vocab) -> None:
    import keras

    from rnnlab.core.model_folder import save_model_folder
    from rnnlab.tasks.lm.model import build_language_model
    from rnnlab.tasks.lm.params import TrainLMParams

    keras.utils.set_random_seed(0)
    params = TrainLMParams(seed=0, embedding_dim=4, mask_zero=False, cell="gru", units=6,
                           bidirectional=False, dropout=0.0, recurrent_dropout=0.0,
                           dense_units=0, optimizer="adam", learning_rate=0.01, clipnorm=None,
                           batch_size=4, epochs=1, patience=1, deterministic=True)
    model = build_language_model(params, len(vocab), many_to_many=True)
    meta = {"task": task, "recipe": "windows", "level": vocab.level, "context": 10,
            "epochs_run": 1}
    save_model_folder(paths.model_dir(task), model, "lm", meta, {"vocab.json": vocab})


def run_main(task: str) -> None:
    spec = importlib.util.spec_from_file_location("evaluate_lm_stage",
                                                  ROOT / "stages/evaluate_lm.py")
    stage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stage)
    stage.main(task)


@pytest.mark.parametrize("level", LEVELS)
def test_the_stage_reports_dynamic_and_interpolated_losses_beside_the_static_one(in_tmp,
                                                                                 level):
    vocab = stage_inputs("toy", level, dynamic_learning_rate=0.1, dynamic_segment=10,
                         dynamic_streams=2, interpolation_order=3)
    model_folder("toy", vocab)
    run_main("toy")
    metrics = read_json(paths.metrics("toy"))
    loss = "val_loss_nats" if level == "char" else "loss_nats"
    names = [loss, f"{loss}_dynamic", f"{loss}_interpolated", f"{loss}_second_half",
             f"ngram_{loss}_second_half"]
    assert all(metrics[name] > 0 for name in names), metrics
    if level == "word":
        assert all(metrics[n.replace("loss_nats", "perplexity")] == pytest.approx(
            math.exp(metrics[n])) for n in names)
    assert metrics["tokens"] == 300 and metrics["interpolation_tokens"] == 150
    assert metrics["interpolation_order"] == 3 and 0 <= metrics["interpolation_weight"] <= 1
    # the second-half losses are the static scores' and the table's models', on those tokens
    from rnnlab.tasks.lm.data import held_out_windows
    from rnnlab.tasks.lm.generate import Generator, token_logprobs

    stream = np.load(paths.lm_sequences("toy"))["stream_val"]
    logp = token_logprobs(Generator(paths.model_dir("toy")).model,
                          *held_out_windows(stream, 30), 4)
    assert metrics[loss] == pytest.approx(mean_loss(logp), rel=1e-12)
    assert metrics[f"{loss}_second_half"] == pytest.approx(mean_loss(logp[150:]), rel=1e-12)
    kn = NgramModel(3, "kneser_ney", discount=0.75).fit([token_stream(level, 2000, 0)])
    assert metrics[f"ngram_{loss}_second_half"] == pytest.approx(
        mean_loss(ngram_logprobs(kn, token_stream(level, 301, 1))[150:]), rel=1e-12)


@pytest.mark.parametrize("level", LEVELS)
def test_without_the_params_the_stage_writes_the_static_metrics_only(in_tmp, level):
    model_folder("toy", stage_inputs("toy", level))
    run_main("toy")
    metrics = read_json(paths.metrics("toy"))
    assert not [k for k in metrics if k.endswith(("_dynamic", "_interpolated", "_half"))
                or k.startswith("interpolation")]


def stage_error(task: str) -> str:
    """stages/evaluate_lm.py run as DVC runs it: its one-line error."""
    result = subprocess.run([sys.executable, str(ROOT / "stages/evaluate_lm.py"), task],
                            capture_output=True, text=True,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert not paths.metrics(task).exists()
    return lines[0]


def test_interpolation_without_kneser_ney_is_refused_in_one_line_before_any_model_loads(in_tmp):
    stage_inputs("toy", "char", ngram_smoothings=("add_k",), interpolation_order=3)
    assert stage_error("toy").startswith(  # there is no model folder: nothing got that far
        "evaluate_lm toy: error: evaluate_lm.toy.interpolation_order: needs kneser_ney in "
        "ngram.toy.smoothings")


def test_dynamic_evaluation_of_a_prefixes_model_is_refused_in_one_line(in_tmp):
    stage_inputs("toy", "char", eval_window=None, dynamic_learning_rate=0.1, dynamic_segment=5)
    assert stage_error("toy").startswith(
        "evaluate_lm toy: error: evaluate_lm.toy.dynamic_learning_rate: dynamic evaluation "
        "needs a windows model (lm_sequences.toy.recipe is prefixes)")
