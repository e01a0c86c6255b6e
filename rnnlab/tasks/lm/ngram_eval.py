"""The n-gram baseline of a language-model task: every order and smoothing fitted on the training
stream, held-out losses on exactly the tokens the recurrent models predict, and the model
`rnnlab score` uses, stored as arrays (never pickled) and refitted when loaded."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from rnnlab.core.errors import DataError
from rnnlab.core.files import load_npz, save_npz
from rnnlab.tasks.lm.ngram import NgramModel
from rnnlab.tasks.lm.params import NgramParams
from rnnlab.text.vocab import Vocab


def held_out_nll(model: NgramModel, tokens: list[str]) -> float:
    """Mean negative log-probability (nats) of every token after the stream's first (the line
    start the recurrent models also begin from): the same tokens they predict."""
    probs = [p for _, p in model.word_probs(tokens)][1: len(tokens)]
    return -math.fsum(math.log(p) if p > 0 else -math.inf for p in probs) / len(probs)


def fit_table(streams: dict[str, list[str]], params: NgramParams) -> tuple[list[dict], dict]:
    """One row per (order, smoothing) with each held-out split's loss and perplexity (None:
    infinite, an unseen token under Kneser-Ney), and the best row of each held-out split."""
    held_out = [split for split in ("val", "test") if split in streams]
    rows = []
    for order in range(1, params.max_order + 1):
        for smoothing in params.smoothings:
            if smoothing == "kneser_ney" and order == 1:
                continue  # Kneser-Ney's lowest level needs bigrams
            start = time.perf_counter()
            model = fitted(streams["train"], order, smoothing, params)
            row = {"order": order, "smoothing": smoothing}
            for split in held_out:
                nll = held_out_nll(model, streams[split])
                finite = math.isfinite(nll) and nll < 700
                row[f"{split}_nll"] = nll if finite else None
                row[f"{split}_perplexity"] = math.exp(nll) if finite else None
            row["seconds"] = round(time.perf_counter() - start, 2)
            rows.append(row)
            print(row)
    best = {split: min(rows, key=lambda r, s=split: r[f"{s}_nll"] or math.inf)
            for split in held_out}
    return rows, best


def fitted(train: list[str], order: int, smoothing: str, params: NgramParams) -> NgramModel:
    return NgramModel(order, smoothing, k=params.k or 1.0,
                      discount=params.discount or 0.75).fit([train])


def save_scorer(path: Path, train_ids: np.ndarray, vocab: Vocab, params: NgramParams) -> None:
    """The scoring model as data: its training ids, vocabulary and settings."""
    config = {"order": params.score_order, "smoothing": params.score_smoothing,
              "k": params.k, "discount": params.discount, "level": vocab.level,
              "standardize": vocab.standardize}
    save_npz(path, train=train_ids.astype(np.int32), vocab=np.asarray(vocab.tokens, dtype=str),
             config=np.asarray(json.dumps(config, sort_keys=True)))


def load_scorer(path: Path) -> tuple[NgramModel, Vocab]:
    """The model `save_scorer` stored, refitted from its training ids (a second or two)."""
    if not path.is_file():
        raise DataError(f"{path}: no n-gram model (run `dvc repro` or `dvc pull` first)")
    arrays = load_npz(path)
    try:
        config = json.loads(str(arrays["config"].reshape(-1)[0]))
        tokens = arrays["vocab"].tolist()
        train = [tokens[i] for i in arrays["train"]]
        vocab = Vocab(tokens, config["level"], config["standardize"])
        params = NgramParams(max_order=config["order"], smoothings=[config["smoothing"]],
                             k=config["k"], discount=config["discount"],
                             score_order=config["order"], score_smoothing=config["smoothing"])
    except (KeyError, IndexError, TypeError, ValueError) as err:
        raise DataError(f"{path}: not an rnnlab n-gram model ({err})") from None
    return fitted(train, params.score_order, params.score_smoothing, params), vocab
