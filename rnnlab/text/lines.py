"""Plain-text corpora for language models, as tables of lines with fixed splits.

A language-model table has one row per line: `text` (without its newline), `eol` (whether a
newline followed it in the file) and `split`. Joining the rows back, with a newline wherever
`eol` is set, gives each split's text exactly, so a character model sees every character of the
file and a split that ends mid-line does not gain a newline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def lines_table(text: str, split: str) -> pd.DataFrame:
    """The rows of one contiguous piece of text, all in `split`."""
    lines = text.split("\n")
    eol = [True] * (len(lines) - 1) + [False]
    if lines[-1] == "":  # text ended with a newline: no empty last line
        lines, eol = lines[:-1], eol[:-1]
    return pd.DataFrame({"text": lines, "eol": eol, "split": split})


def split_by_position(text: str, val_fraction: float) -> pd.DataFrame:
    """The first `1 - val_fraction` of the characters train, the rest validation (nanoGPT's
    split of tiny-shakespeare: 1,003,854 / 111,540 characters)."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    cut = int(len(text) * (1 - val_fraction))
    table = pd.concat([lines_table(text[:cut], "train"), lines_table(text[cut:], "val")])
    return table.reset_index(drop=True)


def split_lines(text: str, block_lines: int, val_fraction: float, test_fraction: float,
                seed: int) -> pd.DataFrame:
    """Hold out whole blocks of `block_lines` lines (1: single lines), chosen at random from
    `seed`, for validation and test; the rest is training text. Order is kept."""
    if block_lines < 1:
        raise ValueError(f"block_lines must be at least 1, got {block_lines}")
    if val_fraction < 0 or test_fraction < 0 or val_fraction + test_fraction >= 1:
        raise ValueError(f"val_fraction + test_fraction must be in [0, 1), got {val_fraction} + "
                         f"{test_fraction}")
    table = lines_table(text, "train")
    block = np.arange(len(table)) // block_lines
    n_blocks = int(block[-1]) + 1 if len(block) else 0
    order = np.random.default_rng(seed).permutation(n_blocks)
    n_val, n_test = round(n_blocks * val_fraction), round(n_blocks * test_fraction)
    split = np.full(n_blocks, "train", dtype=object)
    split[order[:n_val]] = "val"
    split[order[n_val: n_val + n_test]] = "test"
    table["split"] = split[block]
    return table


def split_stream(table: pd.DataFrame, split: str) -> str:
    """The text of one split, newlines restored."""
    part = table[table["split"] == split]
    return "".join(t + ("\n" if e else "") for t, e in zip(part["text"], part["eol"],
                                                              strict=True))
