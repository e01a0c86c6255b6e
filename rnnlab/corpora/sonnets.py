"""Shakespeare's sonnets (the TensorFlow course's `sonnets.txt`), for word-level models.

The file has no sonnet numbers or blank lines; a sonnet is 14 lines, so whole 14-line blocks
(`block_lines`) are held out, which keeps a held-out sonnet's lines together.
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
class SonnetsParams:
    """Shakespeare's sonnets (`prepare.sonnets`), one verse line a line, split in blocks."""

    corpus: Literal["sonnets"] = value(help="The corpus module that prepares this entry.")
    val_fraction: float = value(gt=0, lt=1, help="Share of the text held out for "
                                "validation.")
    test_fraction: float = value(gt=0, lt=1, help="Share of the text held out for testing.")
    block_lines: int = value(ge=1, help="Hold out whole blocks of this many lines (a sonnet: 14).")
    seed: int = value(ge=0, help="Seeds the random split, so the same params give the same "
                      "split.")


def prepare_sonnets(raw_dir: Path, params: SonnetsParams) -> pd.DataFrame:
    path = raw_dir / "sonnets.txt"
    text = read_text(path)
    if not text.strip():
        raise DataError(f"{path}: no text (expected the sonnets, one verse line a line)")
    return split_lines(text, params.block_lines, params.val_fraction, params.test_fraction,
                       params.seed)


CORPUS = Corpus(SonnetsParams, prepare_sonnets)
