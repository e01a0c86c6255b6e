"""Encode a language-model corpus: each split's token stream, plus line prefixes if the recipe
uses them, at data/lm_sequences/<task>.npz."""

import numpy as np

from rnnlab.core import paths
from rnnlab.core.errors import ParamsError
from rnnlab.core.files import read_table, save_npz
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.lm.params import LMSequencesParams
from rnnlab.text.sequences import ngram_prefixes, stream_lines, token_stream
from rnnlab.text.vocab import EOL, Vocab


def main(task: str) -> None:
    params = load_entry("lm_sequences", task, LMSequencesParams)
    table = read_table(paths.prepared(task))
    vocab = Vocab.load(paths.vocab(task))
    if EOL not in vocab.index:
        raise ParamsError(f"{paths.vocab(task)}: no end-of-line token (set vocab.{task}."
                          "end_of_line: true for a language model)")
    arrays = {}
    for split in sorted(set(table["split"])):
        part = table[table["split"] == split]
        stream = token_stream(part["text"].tolist(), part["eol"].tolist(), vocab)
        arrays[f"stream_{split}"] = stream
        if params.recipe == "prefixes":
            x, y = ngram_prefixes(stream_lines(stream, vocab.index[EOL]), params.maxlen)
            arrays[f"x_{split}"], arrays[f"y_{split}"] = x, y.astype(np.int32)
    save_npz(paths.lm_sequences(task), **arrays)
    print(f"{task}: " + ", ".join(f"{k} {v.shape}" for k, v in arrays.items()))


if __name__ == "__main__":
    run(main)
