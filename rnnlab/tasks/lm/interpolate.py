"""A recurrent language model interpolated with a Kneser-Ney n-gram model, token by token:
P(w) = λ·P_rnn(w) + (1 − λ)·P_kn(w).

Both models score the same tokens in the same order: every token of the held-out stream after
its first (the line start the recurrent model begins from), which is what the static loss and
the n-gram table count. λ is chosen on the first half of those tokens and the loss reported on
the second half, beside each model's own loss on that same second half, so the three numbers
compare and none of them saw its own text when λ was picked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rnnlab.core.errors import DataError
from rnnlab.tasks.lm.ngram import NgramModel

# λ, the recurrent model's weight: 0 is the n-gram model alone, 1 the recurrent one alone. The
# loss is convex in λ, so a grid this fine is within 0.005 of the best weight.
GRID = np.linspace(0.0, 1.0, 101)


def ngram_logprobs(model: NgramModel, tokens: Sequence[str]) -> np.ndarray:
    """Natural-log P of every token after the stream's first, each given the ones before it
    (the stream is one sentence, as the n-gram table scores it): `ngram_eval.held_out_nll`'s
    numbers, token by token. -inf where Kneser-Ney gives a token never seen in training 0."""
    probs = model._probs(model._windows([list(tokens)]))[1: len(tokens)]
    with np.errstate(divide="ignore"):
        return np.log(probs)


def mixture_logprobs(rnn: np.ndarray, ngram: np.ndarray, weight: float) -> np.ndarray:
    """log(λ·exp(rnn) + (1 − λ)·exp(ngram)) per token, without leaving log space; λ = 1 gives
    `rnn` and λ = 0 gives `ngram` exactly."""
    with np.errstate(divide="ignore"):
        return np.logaddexp(np.log(weight) + rnn, np.log1p(-weight) + ngram)


def mean_loss(logprobs: np.ndarray) -> float:
    return float(-logprobs.mean())


def choose_weight(rnn: np.ndarray, ngram: np.ndarray, grid: np.ndarray = GRID) -> float:
    """The λ of `grid` with the lowest mean loss on these tokens (the first of equals)."""
    losses = [mean_loss(mixture_logprobs(rnn, ngram, weight)) for weight in grid]
    return float(grid[int(np.argmin(losses))])


def interpolate(rnn: np.ndarray, ngram: np.ndarray, grid: np.ndarray = GRID) -> dict:
    """λ chosen on the first half of the tokens; the mixture's, the recurrent model's and the
    n-gram model's mean loss (nats) on the second half. The n-gram loss is inf where it gives a
    second-half token probability 0."""
    if rnn.shape != ngram.shape or len(rnn) < 2:
        raise DataError(f"interpolation needs the two models' scores of the same tokens (at "
                        f"least 2), got {len(rnn)} and {len(ngram)}")
    half = len(rnn) // 2
    weight = choose_weight(rnn[:half], ngram[:half], grid)
    second = slice(half, None)
    return {"weight": weight, "tokens": len(rnn) - half,
            "mixture": mean_loss(mixture_logprobs(rnn[second], ngram[second], weight)),
            "rnn": mean_loss(rnn[second]), "ngram": mean_loss(ngram[second])}


def interpolate_with_kneser_ney(rnn: np.ndarray, train: Sequence[str], held_out: Sequence[str],
                                order: int, discount: float) -> dict:
    """`interpolate` with a Kneser-Ney model of `order` fitted on the training tokens; `rnn` is
    the recurrent model's log-probability of every held-out token after the first."""
    if len(rnn) != len(held_out) - 1:
        raise DataError(f"the recurrent model scored {len(rnn)} tokens, the held-out stream "
                        f"has {len(held_out) - 1} after its first")
    model = NgramModel(order, "kneser_ney", discount=discount).fit([list(train)])
    return interpolate(rnn, ngram_logprobs(model, held_out))


def finite(nats: float) -> float | None:
    """A loss for a metrics file: None when it is infinite (JSON has no infinity)."""
    return nats if math.isfinite(nats) else None
