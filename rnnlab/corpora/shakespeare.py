"""Karpathy's tiny-shakespeare, split by position as nanoGPT does (first 90% train)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

import pandas as pd

from rnnlab.core.errors import DataError
from rnnlab.core.files import read_text
from rnnlab.core.params import value
from rnnlab.corpora.corpus import Corpus
from rnnlab.text.lines import split_by_position


@dataclasses.dataclass(frozen=True, kw_only=True)
class ShakespeareParams:
    """Tiny Shakespeare (`prepare.shakespeare`), split by position."""

    corpus: Literal["shakespeare"] = value(help="The corpus module that prepares this entry.")
    val_fraction: float = value(gt=0, lt=1, help="The last share of the characters, held out "
                                "for validation.")


def prepare_shakespeare(raw_dir: Path, params: ShakespeareParams) -> pd.DataFrame:
    path = raw_dir / "input.txt"
    text = read_text(path)
    if not text.strip():
        raise DataError(f"{path}: no text (expected tiny-shakespeare's plays)")
    return split_by_position(text, params.val_fraction)


CORPUS = Corpus(ShakespeareParams, prepare_shakespeare)
