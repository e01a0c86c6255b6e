"""Language-model pretraining on a pool of text (`pretrain.<name>`), for tasks to start from.

A pool is some splits of one prepared table: IMDB's labelled training reviews and its unlabelled
ones, the Reuters documents in no task's test split, tiny-shakespeare. A `test` split is never
pooled. The pool's documents (or lines) are split once more into the language model's own train
and validation text, its vocabulary is built from the train part, and a windows (many-to-many)
language model is trained on it; fine-tuning copies its embedding and recurrent layers into a
task's model (`rnnlab.tasks.transfer`).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import pandas as pd

from rnnlab.core.errors import DataError
from rnnlab.core.params import value
from rnnlab.tasks.lm.params import TrainLMParams
from rnnlab.text.sequences import token_stream
from rnnlab.text.vocab import EOL, Vocab, build_vocab

HELD_OUT = "test"  # the split no pool may take


@dataclasses.dataclass(frozen=True, kw_only=True)
class PretrainParams(TrainLMParams):
    """A pool of text, its vocabulary, and the windows language model trained on it."""

    pool: str = value(help="The prepare entry whose text is pooled "
                      "(`data/prepared/<pool>.parquet`).")
    splits: list[str] = value(help="Which of the pool's splits are used; never test.")
    val_fraction: float = value(gt=0, lt=1, help="Share of the pool's documents (or its last "
                                "lines) held out for validation.")
    sentence_size: int = value(ge=1, help="Tokens per training window.")
    step: int = value(ge=1, help="Tokens between window starts.")
    epoch_windows: int | None = value(None, ge=1, help="Windows drawn per epoch (null: all of "
                                      "them).")
    level: Literal["word", "char"] = value(help="The pool vocabulary's tokens: words or "
                                           "characters (it always reserves the end-of-line "
                                           "token).")
    standardize: Literal["keras", "lower_strip_punctuation", "lower", "none"] = value(
        help="How text is normalised before it is split into tokens, as in vocab.")
    max_tokens: int | None = value(ge=3, help="Vocabulary size with padding and OOV: the "
                                   "softmax's size, the cost of a word model (null: no limit).")
    min_freq: int = value(ge=1, help="Tokens seen fewer times in the pool are out of "
                          "vocabulary.")

    def check(self) -> None:
        TrainLMParams.check(self)
        if HELD_OUT in self.splits:
            raise ValueError(f"splits: {HELD_OUT!r} would put test text into the pool; "
                             "pool only splits no task is measured on")
        if not self.splits:
            raise ValueError("splits: expected at least one split to pool")
        if self.dense_units:
            raise ValueError("dense_units: tasks copy the output layer, which must read the "
                             "recurrent state; expected 0")
        if any(self.bidirectional if isinstance(self.bidirectional, list)
               else [self.bidirectional]):
            raise ValueError("bidirectional: a windows language model would see the tokens it "
                             "must predict")


def pool_texts(table: pd.DataFrame, params: PretrainParams,
               where: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, val) rows with `text` and `eol`: whole documents as lines, or a line table's
    lines with the last `val_fraction` held out (neighbouring lines stay together)."""
    if HELD_OUT in params.splits or "split" not in table:
        raise DataError(f"{where}: expected a prepared table with a `split` column")
    missing = sorted(set(params.splits) - set(table["split"]))
    if missing:
        raise DataError(f"{where}: has no split {', '.join(missing)} (it has "
                        f"{', '.join(sorted(set(table['split'])))})")
    rows = table[table["split"].isin(params.splits)]
    if "eol" not in rows:  # one document per row: each ends a line
        rows = rows.assign(eol=True).sample(frac=1.0, random_state=params.seed)
    rows = rows[["text", "eol"]].reset_index(drop=True)
    cut = len(rows) - max(1, round(len(rows) * params.val_fraction))
    if cut < 1:
        raise DataError(f"{where}: {len(rows)} rows pooled, too few to hold some out")
    return rows.iloc[:cut], rows.iloc[cut:]


def pool_vocab(train: pd.DataFrame, params: PretrainParams) -> Vocab:
    return build_vocab(train["text"], params.level, params.standardize, params.max_tokens,
                       params.min_freq, reserved=(EOL,))


def streams(train: pd.DataFrame, val: pd.DataFrame, vocab: Vocab) -> tuple[np.ndarray,
                                                                          np.ndarray]:
    return tuple(token_stream(part["text"].tolist(), part["eol"].tolist(), vocab)
                 for part in (train, val))
