"""Build the vocabulary of a task from its training split only."""

import pandas as pd

from rnnlab import paths
from rnnlab.config import VocabParams, load_params
from rnnlab.stage import run
from rnnlab.vocab import EOL, build_vocab


def main(task: str) -> None:
    params = load_params("vocab", task, VocabParams)
    table = pd.read_parquet(paths.prepared(task), columns=["text", "split"])
    train = table.loc[table["split"] == "train", "text"]
    vocab = build_vocab(train, params.level, params.standardize, params.max_tokens,
                        params.min_freq, reserved=[EOL] if params.end_of_line else [])
    vocab.save(paths.vocab(task))
    print(f"{task}: {len(vocab)} tokens from {len(train)} training texts")


if __name__ == "__main__":
    run(main)
