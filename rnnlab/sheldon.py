"""Sheldon Cooper quotes, one per line; single lines are held out at random (seeded).

The file repeats many quotes and has blank lines between some; a held-out quote that is also in
the training text would measure memory, not modelling, so blank and repeated lines are dropped
(the first occurrence kept) before splitting.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rnnlab.config import PrepareParams
from rnnlab.lines import read_text, split_lines


def prepare_sheldon(raw_dir: Path, params: PrepareParams) -> pd.DataFrame:
    lines = read_text(raw_dir / "sheldon.txt").splitlines()
    quotes = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    return split_lines("\n".join(quotes) + "\n", params.block_lines or 1, params.val_fraction,
                       params.test_fraction, params.seed)
