"""Fit n-gram models of every order and smoothing on a task's training stream; score the held-out
streams with them. Writes the table at data/ngram/<task>.json and, for `rnnlab score`, the model
named by `score_order`/`score_smoothing` at models/ngram/<task>.pkl."""

import math
import pickle
import time

from rnnlab import paths
from rnnlab.config import NgramParams, load_params
from rnnlab.fileio import atomic_path, load_npz, write_json
from rnnlab.ngram import NgramModel
from rnnlab.stage import run
from rnnlab.vocab import Vocab


def held_out_nll(model: NgramModel, tokens: list[str]) -> float:
    """Mean negative log-probability (nats) of every token after the stream's first (the line
    start the recurrent models also begin from): the same tokens they predict."""
    probs = [p for _, p in model.word_probs(tokens)][1: len(tokens)]
    return -math.fsum(math.log(p) if p > 0 else -math.inf for p in probs) / len(probs)


def main(task: str) -> None:
    params = load_params("ngram", task, NgramParams)
    vocab = Vocab.load(paths.vocab(task))
    data = load_npz(paths.lm_sequences(task))
    streams = {key.removeprefix("stream_"): [vocab.tokens[i] for i in data[key]]
               for key in data if key.startswith("stream_")}
    held_out = [split for split in ("val", "test") if split in streams]
    rows, chosen = [], None
    for order in range(1, params.max_order + 1):
        for smoothing in params.smoothings:
            if smoothing == "kneser_ney" and order == 1:
                continue  # Kneser-Ney's lowest level needs bigrams
            start = time.perf_counter()
            model = NgramModel(order, smoothing, k=params.k, discount=params.discount)
            model.fit([streams["train"]])
            row = {"order": order, "smoothing": smoothing}
            for split in held_out:  # None: infinite (an unseen token under Kneser-Ney)
                nll = held_out_nll(model, streams[split])
                finite = math.isfinite(nll) and nll < 700
                row[f"{split}_nll"] = nll if finite else None
                row[f"{split}_perplexity"] = math.exp(nll) if finite else None
            row["seconds"] = round(time.perf_counter() - start, 2)
            rows.append(row)
            print(row)
            if (order, smoothing) == (params.score_order, params.score_smoothing):
                chosen = model
    if chosen is None:
        raise ValueError(f"params.yaml: ngram.{task}: score_order {params.score_order} with "
                         f"{params.score_smoothing} is not among the models fitted")
    best = {split: min(rows, key=lambda r, s=split: r[f"{s}_nll"] or math.inf)
            for split in held_out}
    write_json(paths.ngram_table(task), {"models": rows, "best": best})
    with atomic_path(paths.ngram_model(task)) as tmp:
        tmp.write_bytes(pickle.dumps({"model": chosen, "vocab": vocab.tokens,
                                      "level": vocab.level, "standardize": vocab.standardize}))


if __name__ == "__main__":
    run(main)
