"""`rnnlab score` on a huge line: scored in a few array passes, not one Python call per token
(a 2 MB line took 8 minutes with the 5-gram character model; benchmarks/bench_score_long_line.py
times it), with the numbers `NgramModel.logprob` gives token by token, the first tokens given the
whole line start (the token-by-token loop gave the third token of a 5-gram line only one token
of context).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from rnnlab import cli
from rnnlab.tasks.lm.ngram import NgramModel
from rnnlab.tasks.lm.ngram_eval import line_logprobs, save_scorer
from rnnlab.tasks.lm.params import NgramParams
from rnnlab.text.vocab import EOL, OOV, build_vocab

WORDS = "thy love is a rose and my heart a thorn".split()


def one_by_one(model: NgramModel, tokens: list[str]) -> list[float]:
    """The definition: each token (then the line end) given everything before it on the line,
    which `logprob` cuts to its last `order - 1` tokens."""
    history, out = [EOL], []
    for token in [*tokens, EOL]:
        out.append(model.logprob(token, history))
        history.append(token)
    return out


def stream(seed: int, length: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice([*WORDS, EOL]) for _ in range(length)]


@pytest.mark.parametrize("order, smoothing", [(1, "add_k"), (2, "add_k"), (3, "add_k"),
                                              (5, "add_k"), (2, "kneser_ney"),
                                              (3, "kneser_ney"), (5, "kneser_ney")])
def test_a_line_scores_as_its_tokens_do_one_by_one(order, smoothing):
    model = NgramModel(order, smoothing, k=0.5).fit([stream(0, 400)])
    for seed in range(12):
        line = [t for t in stream(seed + 1, seed) if t != EOL] + (["unseen"] if seed % 3 else [])
        assert line_logprobs(model, line).tolist() == one_by_one(model, line), line


def test_the_first_tokens_of_a_line_see_the_line_start():
    model = NgramModel(5, "kneser_ney").fit([stream(0, 400)])
    line = ["thy", "love", "is", "a"]
    scored = line_logprobs(model, line)
    assert scored[2] == model.logprob("is", [EOL, "thy", "love"])
    assert scored[2] != model.logprob("is", ["love"])  # what the old loop read


@pytest.fixture
def char_scorer(tmp_path):
    text = "".join(stream(7, 3000)).replace(" ", "")
    vocab = build_vocab([text], level="char", standardize="none", reserved=[EOL])
    ids = np.asarray([vocab.index[c] for c in text])
    params = NgramParams(max_order=5, smoothings=["kneser_ney"], k=None, discount=0.75,
                         score_order=5, score_smoothing="kneser_ney")
    save_scorer(tmp_path / "models" / "ngram" / "chars.npz", ids, vocab, params)
    return tmp_path / "models"


def test_a_huge_line_is_scored_in_a_few_passes(char_scorer, monkeypatch, capsys):
    calls = []
    batch = NgramModel._probs
    monkeypatch.setattr(NgramModel, "_probs", lambda self, x: calls.append(len(x)) or
                        batch(self, x))
    line = "".join(stream(3, 60_000)).replace(EOL, " ") + "§"  # § is not in the vocabulary
    cli.main(["score", "--task", "chars", "--models", str(char_scorer), line])
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.startswith(f"{line}\tlog P = ") and header.endswith("(5-gram, kneser_ney)")
    assert len(rows) == len(line) + 1 and rows[-2] == f"  {OOV}\t" + rows[-2].split("\t")[1]
    assert rows[-1].startswith("  <end of line>\t")
    assert calls == [1, 1, 1, len(line) + 1 - 3]  # three short contexts, then one pass
