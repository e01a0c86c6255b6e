"""The held-out metrics `evaluate_lm` writes: the static loss (the headline) and, where the
entry asks, a dynamic-evaluation loss and an RNN + Kneser-Ney interpolation beside it, each
under its own name.

Character models name a loss `val_loss_nats…` (whichever split), word models `loss_nats…` and
`perplexity…`; the extra metrics add a suffix (`_dynamic`, `_interpolated`, `_second_half`),
so no reader can take one of them for the static number.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np

from rnnlab.core.errors import ParamsError
from rnnlab.core.params import load_entry
from rnnlab.tasks.lm.interpolate import finite, interpolate_with_kneser_ney
from rnnlab.tasks.lm.params import EvaluateLMParams, NgramParams
from rnnlab.text.vocab import Vocab

if TYPE_CHECKING:
    import keras


def named(char: bool, nats: float | None, suffix: str = "", prefix: str = "") -> dict:
    """A loss under the task's names, with `prefix` and `suffix`."""
    if char:
        return {f"{prefix}val_loss_nats{suffix}": nats}
    return {f"{prefix}loss_nats{suffix}": nats,
            f"{prefix}perplexity{suffix}": None if nats is None else math.exp(nats)}


def static_scores(char: bool, logp: np.ndarray, best: dict, split: str) -> dict:
    """The static loss of the recurrent model (every token scored by the trained weights) and
    of the best n-gram model of the table."""
    nll = float(-logp.sum()) / len(logp)
    ngram_nll = best[f"{split}_nll"]
    scores = {"tokens": len(logp), "ngram_order": best["order"],
              "ngram_smoothing": best["smoothing"]}
    if char:
        return scores | {"val_loss_nats": nll, "bits_per_char": nll / math.log(2),
                         "ngram_val_loss_nats": ngram_nll}
    return scores | {"loss_nats": nll, "perplexity": math.exp(nll),
                     "ngram_perplexity": math.exp(ngram_nll) if ngram_nll is not None else None}


def check_dynamic(task: str, params: EvaluateLMParams) -> None:
    """Dynamic evaluation reads the stream in windows, as windows models are scored; a prefixes
    model (no eval_window) is refused before it loads."""
    if params.dynamic_learning_rate is not None and params.eval_window is None:
        raise ParamsError(f"evaluate_lm.{task}.dynamic_learning_rate: dynamic evaluation needs "
                          f"a windows model (lm_sequences.{task}.recipe is prefixes); set it to "
                          "null")


def dynamic_scores(char: bool, model: keras.Model, x: np.ndarray, y: np.ndarray,
                   params: EvaluateLMParams) -> dict:
    """The loss under dynamic evaluation (`dynamic.dynamic_logprobs`), if the entry asks."""
    if params.dynamic_learning_rate is None:
        return {}
    from rnnlab.tasks.lm.dynamic import dynamic_logprobs

    start = time.perf_counter()
    logp = dynamic_logprobs(model, x, y, params.dynamic_learning_rate, params.dynamic_segment,
                            params.dynamic_decay, params.dynamic_streams)
    print(f"dynamic evaluation: {len(logp)} tokens in {time.perf_counter() - start:.1f} s")
    return named(char, float(-logp.sum()) / len(logp), "_dynamic")


def kneser_ney_discount(task: str, params: EvaluateLMParams) -> float | None:
    """The discount of `ngram.<task>`'s Kneser-Ney models, which the interpolated model uses;
    None when the entry asks for no interpolation. Checked before any model loads."""
    if params.interpolation_order is None:
        return None
    discount = load_entry("ngram", task, NgramParams).discount
    if discount is None:
        raise ParamsError(f"evaluate_lm.{task}.interpolation_order: needs kneser_ney in "
                          f"ngram.{task}.smoothings (its discount), or null")
    return discount


def interpolation_scores(char: bool, logp: np.ndarray, streams: dict[str, np.ndarray],
                         split: str, vocab: Vocab, order: int | None,
                         discount: float | None) -> dict:
    """The recurrent model interpolated with a Kneser-Ney model of `order` fitted on the
    task's training stream (`interpolate`), if asked (`order` not None): the weight, and the
    mixture's, the recurrent model's and the n-gram model's loss on the second half."""
    if order is None or discount is None:
        return {}
    tokens = vocab.tokens  # the n-gram stage's strings for the same ids
    mix = interpolate_with_kneser_ney(logp, [tokens[i] for i in streams["stream_train"]],
                                      [tokens[i] for i in streams[f"stream_{split}"]],
                                      order, discount)
    return {"interpolation_order": order,
            "interpolation_weight": mix["weight"], "interpolation_tokens": mix["tokens"],
            **named(char, mix["mixture"], "_interpolated"),
            **named(char, mix["rnn"], "_second_half"),
            **named(char, finite(mix["ngram"]), "_second_half", "ngram_")}
