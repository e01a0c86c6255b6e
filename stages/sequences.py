"""Encode every labelled split into padded int matrices at data/sequences/<task>.npz."""

import numpy as np
import pandas as pd

from rnnlab import paths
from rnnlab.config import SequencesParams, load_params
from rnnlab.fileio import save_npz
from rnnlab.sequences import pad_sequences, sequence_lengths, texts_to_sequences
from rnnlab.stage import run
from rnnlab.vocab import Vocab


def main(task: str) -> None:
    params = load_params("sequences", task, SequencesParams)
    table = pd.read_parquet(paths.prepared(task))
    vocab = Vocab.load(paths.vocab(task))
    arrays = {}
    for split in ("train", "val", "test"):
        part = table[table["split"] == split]
        ids = texts_to_sequences(part["text"].tolist(), vocab, params.unknown)
        arrays[f"x_{split}"] = pad_sequences(ids, params.maxlen, params.padding, params.truncating)
        arrays[f"len_{split}"] = sequence_lengths(ids, params.maxlen)
        arrays[f"y_{split}"] = part["label"].to_numpy(np.int32)
        arrays[f"row_{split}"] = part.index.to_numpy(np.int64)  # row in the prepared table
    labelled = table[table["split"].isin(["train", "val", "test"])]
    names = labelled.groupby("label")["label_name"].first().sort_index()
    if names.index.tolist() != list(range(len(names))):
        raise ValueError(f"{paths.prepared(task)}: labels must be 0..n-1, "
                         f"got {names.index.tolist()}")
    arrays["label_names"] = names.to_numpy(dtype=str)
    save_npz(paths.sequences(task), **arrays)
    shapes = ", ".join(f"{s} {arrays[f'x_{s}'].shape}" for s in ("train", "val", "test"))
    print(f"{task}: {shapes}")


if __name__ == "__main__":
    run(main)
