"""The Large Movie Review Dataset (aclImdb) as one tidy table."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from rnnlab.config import PrepareParams
from rnnlab.splits import carve_validation
from rnnlab.text import strip_markup

LABEL_NAMES = {-1: "unlabeled", 0: "neg", 1: "pos"}
# (folder under aclImdb/, split, label); unlabelled reviews get label -1.
_FOLDERS = [
    ("train/neg", "train", 0),
    ("train/pos", "train", 1),
    ("test/neg", "test", 0),
    ("test/pos", "test", 1),
    ("train/unsup", "unsup", -1),
]


def read_imdb(raw_dir: Path) -> pd.DataFrame:
    """Every review as a row (`id`, `text`, `label`, `split`, `label_name`), markup removed.

    Files are read in sorted name order so the table (and all that follows) is byte-stable.
    """
    root = raw_dir / "aclImdb"
    rows = []
    for folder, split, label in _FOLDERS:
        path = root / folder
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: missing (expected the aclImdb layout from download)")
        names = sorted(entry.name for entry in os.scandir(path) if entry.name.endswith(".txt"))
        if not names:
            raise ValueError(f"{path}: no *.txt reviews (expected the aclImdb layout)")
        for name in names:
            with open(path / name, encoding="utf-8") as handle:
                text = strip_markup(handle.read())
            rows.append((f"{folder}/{name[:-4]}", " ".join(text.split()), label, split))
    table = pd.DataFrame(rows, columns=["id", "text", "label", "split"])
    table["label_name"] = table["label"].map(LABEL_NAMES)
    return table


def prepare_imdb(raw_dir: Path, params: PrepareParams) -> pd.DataFrame:
    """The review table with a stratified validation split carved from `train`."""
    return carve_validation(read_imdb(raw_dir), params.val_fraction, params.seed)
