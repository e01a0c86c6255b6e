"""Shakespeare's sonnets (the TensorFlow course's `sonnets.txt`), for word-level models.

The file has no sonnet numbers or blank lines; a sonnet is 14 lines, so whole 14-line blocks
(`block_lines`) are held out, which keeps a held-out sonnet's lines together.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rnnlab.config import PrepareParams
from rnnlab.lines import read_text, split_lines


def prepare_sonnets(raw_dir: Path, params: PrepareParams) -> pd.DataFrame:
    text = read_text(raw_dir / "sonnets.txt")
    return split_lines(text, params.block_lines or 14, params.val_fraction, params.test_fraction,
                       params.seed)
