"""Anki's Portuguese–English sentence pairs as one leak-free table of translation pairs.

Anki's `por.txt` (and the mirrored 5-word subset the download stage pools into the same
format) has `English<TAB>Portuguese<TAB>attribution` per line. The mirrored subset repeats
pairs and its shipped split shares sentences between train and test, so the pairs are pooled,
normalised, deduplicated and re-split *grouped by the Portuguese sentence*: every translation
of one source sentence lands in the same split, so no test sentence was seen in training.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from rnnlab.core.errors import DataError
from rnnlab.core.params import value
from rnnlab.corpora.corpus import Corpus
from rnnlab.text.tokenize import normalize_sentence

RAW_FILE = "por.txt"
SPLITS = ("train", "val", "test")


def read_anki(path: Path) -> pd.DataFrame:
    """Every line of an Anki file as (`id`, `en`, `pt`), text as written; blank lines skipped."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: missing (run the download stage first)") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, expected a file") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not UTF-8 ({err.reason} at byte {err.start})") from None
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2:
            raise DataError(f"{path}:{number}: expected English<TAB>Portuguese<TAB>attribution")
        rows.append((f"{RAW_FILE}:{number}", fields[0], fields[1]))
    if not rows:
        raise DataError(f"{path}: no sentence pairs")
    return pd.DataFrame(rows, columns=["id", "en", "pt"])


def clean_pairs(raw: pd.DataFrame, max_words: int | None) -> tuple[pd.DataFrame, dict[str, int]]:
    """Normalised pairs, at most `max_words` words a side, each distinct pair once (first kept)."""
    pairs = pd.DataFrame({"id": raw["id"], "text": raw["pt"].map(normalize_sentence),
                          "target": raw["en"].map(normalize_sentence)})
    counts = {"lines": len(pairs)}
    pairs = pairs[(pairs["text"] != "") & (pairs["target"] != "")]
    counts["empty_dropped"] = counts["lines"] - len(pairs)
    if max_words is not None:
        short = (pairs["text"].str.split().str.len() <= max_words) & (
            pairs["target"].str.split().str.len() <= max_words)
        counts["too_long_dropped"] = int((~short).sum())
        pairs = pairs[short]
    before = len(pairs)
    pairs = pairs.drop_duplicates(["text", "target"], keep="first").reset_index(drop=True)
    counts["duplicates_dropped"] = before - len(pairs)
    counts["pairs"] = len(pairs)
    counts["source_sentences"] = int(pairs["text"].nunique())
    return pairs, counts


def grouped_split(sources: pd.Series, val_fraction: float, test_fraction: float,
                  seed: int) -> np.ndarray:
    """A split name per row, drawn per distinct source sentence (seeded), so no source sentence
    is in two splits. Fractions count source sentences, not pairs."""
    if not 0.0 < val_fraction < 1.0 or not 0.0 < test_fraction < 1.0 or (
            val_fraction + test_fraction >= 1.0):
        raise DataError(f"val_fraction and test_fraction must be in (0, 1) and sum below 1, got "
                         f"{val_fraction} and {test_fraction}")
    groups = np.array(sorted(sources.unique()), dtype=object)
    order = np.random.default_rng(seed).permutation(len(groups))
    n_test = int(round(len(groups) * test_fraction))
    n_val = int(round(len(groups) * val_fraction))
    if len(groups) - n_test - n_val < 1 or min(n_test, n_val) < 1:
        raise DataError(f"{len(groups)} source sentences cannot fill train, val and test with "
                         f"fractions {val_fraction} and {test_fraction}")
    split_of = {}
    for rank, index in enumerate(order):
        split_of[groups[index]] = ("test" if rank < n_test else
                                   "val" if rank < n_test + n_val else "train")
    return sources.map(split_of).to_numpy()


@dataclasses.dataclass(frozen=True, kw_only=True)
class PorEngParams:
    """Portuguese–English sentence pairs (`prepare.por_eng`), split by source sentence."""

    corpus: Literal["por_eng"] = value(help="The corpus module that prepares this entry.")
    max_words: int | None = value(ge=1, help="Drop pairs with a side longer than this many "
                                  "words (null: keep all).")
    val_fraction: float = value(gt=0, lt=1, help="Share of the distinct Portuguese sentences "
                                "held out for validation.")
    test_fraction: float = value(gt=0, lt=1, help="Share of the distinct Portuguese sentences "
                                 "held out for testing.")
    seed: int = value(ge=0, help="Seeds the random split, so the same params give the same "
                      "split.")


def prepare_por_eng(raw_dir: Path, params: PorEngParams) -> pd.DataFrame:
    """The pair table: `id`, `text` (Portuguese), `target` (English), `split`."""
    pairs, counts = clean_pairs(read_anki(raw_dir / RAW_FILE), params.max_words)
    if pairs.empty:
        raise DataError(f"{raw_dir / RAW_FILE}: no pair left after normalising and max_words")
    pairs["split"] = grouped_split(pairs["text"], params.val_fraction, params.test_fraction,
                                   params.seed)
    print(", ".join(f"{key} {value}" for key, value in counts.items()))
    return pairs


CORPUS = Corpus(PorEngParams, prepare_por_eng)
