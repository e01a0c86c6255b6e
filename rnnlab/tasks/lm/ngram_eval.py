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
from rnnlab.text.vocab import EOL, OOV, Vocab

MAX_STORED_ORDER = 10  # the highest n-gram order a stored model may have (params allow no more)


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
    """The model `save_scorer` stored, refitted from its training ids (a second or two).

    Everything read from the file is checked before fitting (the model's own settings by its
    constructor), so a damaged or hand-made file is one `DataError` and a failure in fitting
    itself stays a bug with its traceback.
    """
    if not path.is_file():
        raise DataError(f"{path}: no n-gram model (run `dvc repro` or `dvc pull` first)")
    arrays = load_npz(path)
    try:
        config = json.loads(str(arrays["config"].reshape(-1)[0]))
        tokens = arrays["vocab"].tolist()
        ids = arrays["train"].reshape(-1)
        if ids.dtype.kind in "iuf" and (ids < 0).any():
            # a negative Python index would silently read a token from the vocabulary's end
            raise ValueError(f"train: token ids must be ≥ 0, got {ids[ids < 0][0]}")
        train = [tokens[i] for i in ids]
        if not train:
            raise ValueError("train: no token ids, expected the training stream")
        order = config["order"]
        # (an order below 1 or not a whole number: NgramModel's own check, below)
        if isinstance(order, int) and order > MAX_STORED_ORDER:  # forged: no refit would end
            raise ValueError(f"order must be an integer between 1 and {MAX_STORED_ORDER}, "
                             f"got {order}")
        vocab = Vocab(tokens, config["level"], config["standardize"])
        vocab.tokenize("")  # an unknown level or standardize mode fails here, not on scoring
        model = NgramModel(config["order"], config["smoothing"],
                           k=1.0 if config["k"] is None else config["k"],
                           discount=0.75 if config["discount"] is None else config["discount"])
    except (KeyError, IndexError, TypeError, ValueError) as err:
        raise DataError(f"{path}: not an rnnlab n-gram model ({err})") from None
    return model.fit([train]), vocab


def line_logprobs(model: NgramModel, tokens: list[str]) -> np.ndarray:
    """Natural-log P of each token of a line and then of its end, each given the tokens before
    it (the first given a line start): `model.logprob(token, history)` for every token, in one
    array pass per context length instead of a Python call per token (a 2 MB line took minutes).

    The rows are those `logprob` builds one at a time (the last `order - 1` tokens, then the
    token), scored by the same batch scorer, so the numbers are the same to the bit.
    """
    model._check_fitted()
    stream = [EOL, *tokens, EOL]
    ids = np.fromiter(map(model._index.__getitem__, stream), dtype=np.int64, count=len(stream))
    keep = model.order - 1  # the context the model reads
    out = np.empty(len(stream) - 1)
    for position in range(1, min(keep, len(stream))):  # fewer tokens before it than `keep`
        out[position - 1] = model._probs(ids[None, : position + 1])[0]
    first = max(keep, 1)
    if first < len(stream):
        windows = np.lib.stride_tricks.sliding_window_view(ids, keep + 1)[first - keep:]
        out[first - 1:] = model._probs(windows)
    return model._log(out)


def score_report(model: NgramModel, vocab: Vocab, tokens: list[str], text: str) -> str:
    """What `rnnlab score` prints for a text: its log-probability and perplexity, then each
    token's probability (unknown words as `[UNK]`, the line end last)."""
    known = set(vocab.tokens)
    tokens = [t if t in known else OOV for t in tokens]
    logps = line_logprobs(model, tokens)
    total = math.fsum(logps.tolist())
    perplexity = math.exp(-total / len(logps)) if math.isfinite(total) else math.inf
    names = [t.replace(EOL, "<end of line>") for t in [*tokens, EOL]]
    rows = [f"  {name}\t{math.exp(logp):.6g}" for name, logp in zip(names, logps.tolist(),
                                                                       strict=True)]
    return "\n".join([f"{text}\tlog P = {total:.4f} (natural log), P = {math.exp(total):.6g}, "
                       f"perplexity {perplexity:.2f} ({model.order}-gram, {model.smoothing})",
                       *rows])
