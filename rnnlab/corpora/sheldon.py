"""Sheldon Cooper quotes, one per line; single lines are held out at random (seeded).

The file repeats many quotes and has blank lines between some; a held-out quote that is also in
the training text would measure memory, not modelling, so blank and repeated lines are dropped
(the first occurrence kept) before splitting.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

import pandas as pd

from rnnlab.core.errors import DataError
from rnnlab.core.files import read_text
from rnnlab.core.params import value
from rnnlab.corpora.corpus import Corpus
from rnnlab.text.lines import split_lines


@dataclasses.dataclass(frozen=True, kw_only=True)
class SheldonParams:
    """Sheldon Cooper's quotes (`prepare.sheldon`), one a line, split in blocks."""

    corpus: Literal["sheldon"] = value(help="The corpus module that prepares this entry.")
    val_fraction: float = value(gt=0, lt=1, help="Share of the text held out for "
                                "validation.")
    block_lines: int = value(ge=1, help="Hold out blocks of this many quotes (1: single "
                             "quotes).")
    seed: int = value(ge=0, help="Seeds the random split, so the same params give the same "
                      "split.")
    test_fraction: float = value(0.0, ge=0, lt=1, help="Share of the quotes held out for "
                                 "testing (0: no test split).")


def prepare_sheldon(raw_dir: Path, params: SheldonParams) -> pd.DataFrame:
    path = raw_dir / "sheldon.txt"
    lines = read_text(path).splitlines()
    quotes = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    if not quotes:
        raise DataError(f"{path}: no text (expected one quote a line)")
    return split_lines("\n".join(quotes) + "\n", params.block_lines, params.val_fraction,
                       params.test_fraction, params.seed)


CORPUS = Corpus(SheldonParams, prepare_sheldon)
