"""Pretrained GloVe vectors aligned to a vocabulary, ready for `keras.layers.Embedding`."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

import numpy as np

from rnnlab.core.errors import DataError
from rnnlab.core.params import only, value
from rnnlab.text.vocab import OOV_ID, PAD_ID, Vocab

HELD_OUT = "test"  # the split word2vec's pool never takes


@dataclasses.dataclass(frozen=True, kw_only=True)
class EmbeddingsParams:
    """The pretrained vectors of a task's vocabulary (`embeddings.<task>`): GloVe, in-domain
    word2vec learned here, or both side by side."""

    vectors: Literal["glove", "word2vec", "glove+word2vec"] = value(
        "glove", help="glove: the downloaded GloVe vectors; word2vec: vectors learned here from "
        "the pool (word2vec.py); glove+word2vec: both, concatenated per word.")
    missing: Literal["zeros", "random"] = value(
        help="Rows for vocabulary words without a vector: zeros, or seeded normal vectors "
        "scaled like the found ones.")
    seed: int | None = only(lambda p: p.missing == "random" or p.vectors != "glove",
                            "missing: random or word2vec vectors only", ge=0,
                            help="Seeds the random rows and word2vec.")
    pool: str = value(help="The prepare entry whose text word2vec learns from "
                      "(`data/prepared/<pool>.parquet`); named by every entry, in the entry "
                      "itself, as dvc.yaml reads it for the stage's dependencies.")
    word2vec_splits: list[str] | None = only(
        lambda p: p.vectors != "glove", "word2vec vectors only",
        help="The pool's splits word2vec learns from; never test.")
    word2vec_dim: int | None = only(lambda p: p.vectors != "glove", "word2vec vectors only",
                                    ge=1, help="Size of each word2vec vector.")
    word2vec_window: int | None = only(lambda p: p.vectors != "glove", "word2vec vectors only",
                                       ge=1, help="Words on each side a word predicts.")
    word2vec_epochs: int | None = only(lambda p: p.vectors != "glove", "word2vec vectors only",
                                       ge=1, help="Passes over the pool.")
    word2vec_min_count: int | None = only(
        lambda p: p.vectors != "glove", "word2vec vectors only", ge=1,
        help="Words seen fewer times in the pool get no vector (a missing row).")
    word2vec_skip_gram: bool | None = only(
        lambda p: p.vectors != "glove", "word2vec vectors only",
        help="Skip-gram (true) or CBOW (false).")

    def check(self) -> None:
        if self.vectors == "glove":
            return
        if not self.word2vec_splits:
            raise ValueError("word2vec_splits: expected at least one split to learn from")
        if HELD_OUT in self.word2vec_splits:
            raise ValueError(f"word2vec_splits: {HELD_OUT!r} would put test text into the "
                             "vectors; expected only splits no task is measured on")


def glove_file(raw_dir: Path, dim: int) -> Path:
    return raw_dir / f"glove.6B.{dim}d.txt"


def glove_matrix(
    path: Path, vocab: Vocab, dim: int, missing: str = "zeros", seed: int = 0
) -> tuple[np.ndarray, float]:
    """Row i holds the GloVe vector of vocabulary token i; also the share of tokens found.

    Row 0 (padding) is zero. Tokens GloVe lacks (the OOV row among them) get zeros or, with
    `missing="random"`, seeded normal vectors scaled like the found ones. Only lines whose word is
    in the vocabulary are parsed, which keeps the 400k-line file to a couple of seconds.
    """
    if missing not in ("zeros", "random"):
        raise ValueError(f"missing must be 'zeros' or 'random', got {missing!r}")
    matrix = np.zeros((len(vocab), dim), dtype=np.float32)
    found = np.zeros(len(vocab), dtype=bool)
    index = vocab.index
    if not path.is_file():
        raise DataError(f"{path}: missing (run the download stage for glove first)")
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            word, _, rest = line.partition(" ")
            row = index.get(word)
            if row is None or row <= OOV_ID or found[row]:
                continue
            vector = np.array(rest.split(), dtype=np.float32)
            if vector.shape != (dim,):
                raise DataError(f"{path}:{number}: expected {dim} numbers after the word, "
                                 f"got {vector.shape[0]}")
            matrix[row] = vector
            found[row] = True
    return fill_missing(matrix, found, missing, seed)


def fill_missing(matrix: np.ndarray, found: np.ndarray, missing: str,
                 seed: int) -> tuple[np.ndarray, float]:
    """Rows of tokens without a vector: left zero, or (`random`) seeded normal vectors scaled
    like the found ones; padding stays zero. Also the share of real tokens found."""
    if missing == "random" and found.any():
        rng = np.random.default_rng(seed)
        lost = ~found
        lost[PAD_ID] = False
        scale = matrix[found].std()
        matrix[lost] = rng.normal(0.0, scale, size=(int(lost.sum()), matrix.shape[1])).astype(
            np.float32)
    coverage = float(found[OOV_ID + 1:].mean()) if len(matrix) > 2 else 0.0
    return matrix, coverage
