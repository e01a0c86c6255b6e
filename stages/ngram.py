"""Fit n-gram models of every order and smoothing on a task's training stream; score the held-out
streams with them. Writes the table at data/ngram/<task>.json and, for `rnnlab score`, the model
named by `score_order`/`score_smoothing` at models/ngram/<task>.npz."""

from rnnlab.core import paths
from rnnlab.core.files import load_npz, write_json
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.lm.ngram_eval import fit_table, save_scorer
from rnnlab.tasks.lm.params import NgramParams
from rnnlab.text.vocab import Vocab


def main(task: str) -> None:
    params = load_entry("ngram", task, NgramParams)
    vocab = Vocab.load(paths.vocab(task))
    data = load_npz(paths.lm_sequences(task))
    streams = {key.removeprefix("stream_"): [vocab.tokens[i] for i in data[key]]
               for key in data if key.startswith("stream_")}
    rows, best = fit_table(streams, params)
    write_json(paths.ngram_table(task), {"models": rows, "best": best})
    save_scorer(paths.ngram_model(task), data["stream_train"], vocab, params)


if __name__ == "__main__":
    run(main)
