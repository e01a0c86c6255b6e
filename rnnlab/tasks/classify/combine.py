"""The recurrent classifier and its classical peer mixed, with one weight chosen on validation.

Reported in a file of its own (metrics/combine/<task>.json), never in place of the recurrent
model's number: whether the RNN is worth its cost is read from the two alone, and the mixture
says only what the two together would give.

Both models' scores are put on one scale before they are mixed. The recurrent model's are its
log-probabilities (a binary sigmoid p as the pair (log(1 - p), log p)), the peer's its decision
scores (a binary margin d as (0, d); `baseline.class_scores`). Each row is centred, which leaves
its argmax alone and makes a binary row ∓ half its log-odds or margin, and divided by the root
mean square of that model's centred validation scores: a statistic of validation only. The
mixture (1 - w)·rnn + w·peer predicts its row argmax (a tie: the lower class id), so w = 0 is the
recurrent model's own prediction at probability 0.5 (`evaluate.<task>.threshold` does not apply
here) and w = 1 the peer's. The weight is the one of `combine.<task>.weights` with the best
validation accuracy, a tie going to the smaller w (the least of the peer); test never informs it.

Both inputs carry the rows of the prepared table and the labels they were scored on; inputs
scored on different splits, or with different label names, are refused in one line naming the
entry before anything is mixed (before the recurrent model even loads).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from rnnlab.core.errors import DataError
from rnnlab.core.files import load_npz

SPLITS = ("val", "test")
EPS = 1e-7  # evaluate's clip: a float32 probability holds no more than this near 0 and 1
PEER_MEMBERS = ("model", "label_names", *(f"{kind}_{split}" for split in SPLITS
                                          for kind in ("row", "y", "scores")))


def read_peer(path: Path) -> dict[str, np.ndarray]:
    """The baseline stage's scores file, its members and shapes checked (`baseline.peer_arrays`)."""
    arrays = load_npz(path)
    missing = [name for name in PEER_MEMBERS if name not in arrays]
    if missing:
        raise DataError(f"{path}: no member {missing[0]!r} (written by another version of the "
                        "baseline stage: run it again)")
    if arrays["model"].shape != (1,):
        raise DataError(f"{path}: model has shape {arrays['model'].shape}, expected (1,) (the "
                        "name of the baseline's model)")
    classes = len(arrays["label_names"])
    for split in SPLITS:
        rows, scores = arrays[f"row_{split}"], arrays[f"scores_{split}"]
        if scores.shape != (len(rows), classes) or len(arrays[f"y_{split}"]) != len(rows):
            raise DataError(f"{path}: scores_{split} has shape {scores.shape}, expected "
                            f"{(len(rows), classes)} (one row per {split} document, one column "
                            "per label)")
        if not np.isfinite(scores).all():
            raise DataError(f"{path}: scores_{split} holds a value that is not a finite number")
    return arrays


def check_same_split(task: str, peer: Mapping[str, np.ndarray], peer_file: Path,
                     sequences: Mapping[str, np.ndarray], sequences_file: Path) -> None:
    """Refuse inputs scored on different val or test splits: the rows of the prepared table
    and their labels must be the same, in the same order."""
    for split in SPLITS:
        for key, what in ((f"row_{split}", "rows of the prepared table"), (f"y_{split}",
                                                                            "labels")):
            ours, theirs = np.asarray(peer[key]), np.asarray(sequences[key])
            if ours.shape == theirs.shape and np.array_equal(ours, theirs):
                continue
            where = (f"{len(ours):,} against {len(theirs):,}" if ours.shape != theirs.shape
                     else f"first at position {int(np.argmax(ours != theirs)):,}")
            raise DataError(f"combine.{task}: the classical peer and the recurrent model were "
                            f"scored on different {split} splits: the {what} in {peer_file} "
                            f"and {sequences_file} differ ({where}); rebuild both from the "
                            f"same prepare.{task} (`dvc repro combine@{task}`)")


def check_labels(task: str, named: Mapping[str, Sequence[str]]) -> None:
    """Refuse inputs whose label names (in id order) differ: `{source: names}`."""
    (first, expected), *others = ((source, [str(n) for n in names])
                                  for source, names in named.items())
    for source, names in others:
        if names == expected:
            continue
        at = next(i for i in range(max(len(names), len(expected)))
                  if i >= min(len(names), len(expected)) or names[i] != expected[i])

        def name(labels: list[str], i: int = at) -> str:
            return repr(labels[i]) if i < len(labels) else "none"

        raise DataError(f"combine.{task}: the two models' labels differ: {first} has "
                        f"{len(expected)} and {source} {len(names)}; label {at} is "
                        f"{name(expected)} against {name(names)}")


def log_probabilities(out: np.ndarray) -> np.ndarray:
    """A classifier's outputs as (rows, classes) log-probabilities: a sigmoid column p as
    (log(1 - p), log p); probabilities are clipped to [EPS, 1 - EPS] first, so never -inf."""
    p = np.clip(np.asarray(out, dtype=np.float64), EPS, 1.0 - EPS)
    if p.shape[1] == 1:
        return np.column_stack([np.log1p(-p[:, 0]), np.log(p[:, 0])])
    return np.log(p)


def standardized(scores: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every split's rows centred, then divided by the root mean square of validation's."""
    centred = {split: s - s.mean(axis=1, keepdims=True) for split, s in scores.items()}
    scale = float(np.sqrt(np.mean(centred["val"] ** 2)))
    scale = scale if scale > 0 else 1.0  # validation rows all flat: nothing to scale by
    return {split: s / scale for split, s in centred.items()}


def combine(task: str, rnn: Mapping[str, np.ndarray], peer: Mapping[str, np.ndarray],
            y: Mapping[str, np.ndarray], weights: Sequence[float]) -> dict:
    """The weight of `weights` with the best validation accuracy (ties: the smaller), and the
    mixture's test accuracy and macro-F1 with it, beside each input's accuracies alone.

    `rnn`: log-probabilities per split (`log_probabilities`); `peer`: decision scores per split
    (rows, classes); `y`: labels per split.
    """
    for split in SPLITS:
        if rnn[split].shape != peer[split].shape:
            raise DataError(f"combine.{task}: the recurrent model scored {split} as "
                            f"{rnn[split].shape} and the classical peer as {peer[split].shape}; "
                            "expected one row per document and one column per label in both")
    rnn, peer = standardized(rnn), standardized(peer)

    def predicted(w: float, split: str) -> np.ndarray:
        return ((1.0 - w) * rnn[split] + w * peer[split]).argmax(axis=1)

    def correct(w: float, split: str) -> int:
        return int(np.sum(predicted(w, split) == y[split]))

    def accuracy(w: float, split: str) -> float:
        return round(correct(w, split) / len(y[split]), 6)

    val = {w: correct(w, "val") for w in weights}  # counts: no rounding can make a tie
    best = min(weights, key=lambda w: (-val[w], w))
    macro_f1 = f1_score(y["test"], predicted(best, "test"), average="macro", zero_division=0)
    return {"weight": best, "val_accuracy": accuracy(best, "val"),
            "accuracy": accuracy(best, "test"),
            "macro_f1": round(float(macro_f1), 6),
            "rnn_accuracy": accuracy(0.0, "test"), "rnn_val_accuracy": accuracy(0.0, "val"),
            "baseline_accuracy": accuracy(1.0, "test"),
            "baseline_val_accuracy": accuracy(1.0, "val")}
