"""Fixed, seeded data splits shared by every task."""

from __future__ import annotations

import numpy as np
import pandas as pd


def carve_validation(table: pd.DataFrame, val_fraction: float, seed: int) -> pd.DataFrame:
    """Relabel a seeded `val_fraction` of each class's `train` rows as `val` (stratified).

    Rounding is per class, and a class always keeps at least one training row, so classes with
    a single training document (R52 has some) stay trainable.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    rng = np.random.default_rng(seed)
    train = table[table["split"] == "train"]
    val_rows = []
    for _, rows in sorted(train.groupby("label").groups.items()):
        rows = rng.permutation(np.asarray(rows))
        n_val = min(int(round(len(rows) * val_fraction)), len(rows) - 1)
        val_rows.extend(rows[:n_val])
    table = table.copy()
    table.loc[val_rows, "split"] = "val"
    return table
