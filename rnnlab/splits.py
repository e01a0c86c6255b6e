"""Fixed, seeded data splits shared by every task."""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split


def carve_validation(table: pd.DataFrame, val_fraction: float, seed: int) -> pd.DataFrame:
    """Relabel a stratified `val_fraction` of the `train` rows as `val`, seeded."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    train = table.index[table["split"] == "train"]
    _, val = train_test_split(
        train, test_size=val_fraction, random_state=seed, stratify=table.loc[train, "label"]
    )
    table = table.copy()
    table.loc[val, "split"] = "val"
    return table
