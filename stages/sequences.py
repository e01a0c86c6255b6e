"""Encode every labelled split into padded int matrices at data/sequences/<task>.npz."""

import numpy as np

from rnnlab.core import paths
from rnnlab.core.errors import DataError
from rnnlab.core.files import read_table, save_npz
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.classify.params import SequencesParams
from rnnlab.text.sequences import pad_sequences, sequence_lengths, texts_to_sequences
from rnnlab.text.vocab import Vocab


def main(task: str) -> None:
    params = load_entry("sequences", task, SequencesParams)
    table = read_table(paths.prepared(task))
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
        raise DataError(f"{paths.prepared(task)}: labels must be 0..n-1, "
                         f"got {names.index.tolist()}")
    arrays["label_names"] = names.to_numpy(dtype=str)
    save_npz(paths.sequences(task), **arrays)
    shapes = ", ".join(f"{s} {arrays[f'x_{s}'].shape}" for s in ("train", "val", "test"))
    print(f"{task}: {shapes}")


if __name__ == "__main__":
    run(main)
