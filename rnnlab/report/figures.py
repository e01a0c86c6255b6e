"""PNG figures of a classification task for the README: training curves and confusion matrix.

They are drawn from the git-tracked plot tables (dvclive's per-epoch TSVs, the evaluate stage's
`confusion.csv`) with matplotlib's Agg renderer and no pyplot state, and saved without the
"Software" PNG text chunk, at a fixed size and dpi: the same tables give the same bytes.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rnnlab.core.errors import DataError
from rnnlab.core.files import atomic_path
from rnnlab.core.params import value

if TYPE_CHECKING:  # matplotlib loads only when a figure is drawn
    from matplotlib.figure import Figure



@dataclasses.dataclass(frozen=True, kw_only=True)
class FiguresParams:
    """The README's PNGs of a classification task (`figures.<task>`)."""

    dpi: int = value(ge=10, le=600, help="Dots per inch; the size in inches is fixed, so this "
                     "sets the pixels.")


SPLITS = {"train": "train", "eval": "validation"}
METRICS = ("loss", "accuracy")
ANNOTATE_UP_TO = 12  # classes; bigger matrices are coloured only


def read_curve(path: Path) -> pd.DataFrame:
    """A dvclive table (`step<TAB>value`) as columns `epoch` (from 1) and `value`."""
    if not path.is_file():
        raise DataError(f"{path}: not found (run the task's train stage first)")
    table = pd.read_csv(path, sep="\t")
    if list(table.columns[:1]) != ["step"] or len(table.columns) != 2 or table.empty:
        raise DataError(f"{path}: expected two columns `step` and a metric, and at least one row")
    return pd.DataFrame({"epoch": table["step"].to_numpy() + 1,
                         "value": table.iloc[:, 1].to_numpy(dtype=float)})


def read_curves(folder: Path) -> dict[str, dict[str, pd.DataFrame]]:
    """`{metric: {split: table}}` from `<folder>/plots/metrics/{train,eval}/<metric>.tsv`."""
    return {metric: {split: read_curve(folder / "plots" / "metrics" / split / f"{metric}.tsv")
                     for split in SPLITS} for metric in METRICS}


def read_confusion(path: Path) -> tuple[list[str], np.ndarray]:
    """Class names (most frequent true class first, ties by name) and counts[actual, predicted]."""
    if not path.is_file():
        raise DataError(f"{path}: not found (run the task's evaluate stage first)")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(table.columns) != ["actual", "predicted"] or table.empty:
        raise DataError(f"{path}: expected columns actual,predicted and at least one row")
    support = table["actual"].value_counts()
    names = sorted(set(table["actual"]) | set(table["predicted"]),
                   key=lambda name: (-support.get(name, 0), name))
    index = {name: i for i, name in enumerate(names)}
    counts = np.zeros((len(names), len(names)), dtype=np.int64)
    np.add.at(counts, (table["actual"].map(index).to_numpy(),
                       table["predicted"].map(index).to_numpy()), 1)
    return names, counts


def curves_figure(task: str, curves: dict[str, dict[str, pd.DataFrame]]) -> Figure:
    """Loss and accuracy per epoch, training and validation; the best validation loss marked."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 3.6))
    best = curves["loss"]["eval"].loc[curves["loss"]["eval"]["value"].idxmin(), "epoch"]
    for ax, metric in zip(figure.subplots(1, 2), METRICS, strict=True):
        for split, label in SPLITS.items():
            table = curves[metric][split]
            ax.plot(table["epoch"], table["value"], marker="o", markersize=3,
                    linestyle="-" if split == "train" else "--", label=label)
        ax.axvline(best, color="grey", linestyle=":", linewidth=1,
                   label=f"best validation loss (epoch {best})")
        ax.set_title(f"{task}: {metric}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    figure.tight_layout()
    return figure


def confusion_figure(task: str, names: list[str], counts: np.ndarray) -> Figure:
    """Rows: true class; colour: share of the row (recall on the diagonal); small ones counted."""
    n = len(names)
    side = 4.8 if n <= ANNOTATE_UP_TO else 9.5
    from matplotlib.figure import Figure

    figure = Figure(figsize=(side + 1.2, side))
    ax = figure.subplots()
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    small = n <= ANNOTATE_UP_TO
    fontsize = 9 if small else 5
    ax.set_xticks(range(n), names, rotation=45 if small else 90, ha="right" if small else "center",
                  rotation_mode="anchor" if small else "default", fontsize=fontsize)
    ax.set_yticks(range(n), names, fontsize=fontsize)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    accuracy = np.trace(counts) / counts.sum()
    ax.set_title(f"{task}: confusion matrix ({counts.sum()} test examples, "
                 f"accuracy {accuracy:.4f})", fontsize=10)
    if small:
        for (i, j), count in np.ndenumerate(counts):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=9,
                        color="white" if shares[i, j] > 0.5 else "black")
    figure.tight_layout()
    return figure


def save_png(figure: Figure, path: str | os.PathLike, dpi: int) -> None:
    """Write `figure` as a PNG whose bytes depend only on what was drawn."""
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})


def render_task(task: str, train_plots: Path, eval_plots: Path, folder: Path,
                dpi: int) -> list[Path]:
    """`<task>_curves.png` and `<task>_confusion.png` in `folder`; returns their paths."""
    written = []
    from matplotlib import style

    with style.context("default"):  # ignore any matplotlibrc on this machine
        for name, figure in (
                ("curves", curves_figure(task, read_curves(train_plots))),
                ("confusion", confusion_figure(task, *read_confusion(eval_plots /
                                                                      "confusion.csv")))):
            path = folder / f"{task}_{name}.png"
            save_png(figure, path, dpi)
            written.append(path)
    return written
