"""Pretrained GloVe vectors aligned to a vocabulary, ready for `keras.layers.Embedding`."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

import numpy as np

from rnnlab.core.errors import DataError
from rnnlab.core.params import only, value
from rnnlab.text.vocab import OOV_ID, PAD_ID, Vocab


@dataclasses.dataclass(frozen=True, kw_only=True)
class EmbeddingsParams:
    """The GloVe matrix of a task's vocabulary (`embeddings.<task>`)."""

    missing: Literal["zeros", "random"] = value(
        help="Rows for vocabulary words GloVe does not know: zeros, or seeded normal vectors "
        "scaled like the found ones.")
    seed: int | None = only(lambda p: p.missing == "random", "missing: random only", ge=0,
                            help="Seeds the random rows.")


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
    if missing == "random" and found.any():
        rng = np.random.default_rng(seed)
        lost = ~found
        lost[PAD_ID] = False
        scale = matrix[found].std()
        matrix[lost] = rng.normal(0.0, scale, size=(int(lost.sum()), dim)).astype(np.float32)
    coverage = float(found[OOV_ID + 1:].mean()) if len(vocab) > 2 else 0.0
    return matrix, coverage
