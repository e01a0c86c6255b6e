"""Karpathy's tiny-shakespeare, split by position as nanoGPT does (first 90% train)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rnnlab.config import PrepareParams
from rnnlab.lines import read_text, split_by_position


def prepare_shakespeare(raw_dir: Path, params: PrepareParams) -> pd.DataFrame:
    return split_by_position(read_text(raw_dir / "input.txt"), params.val_fraction)
