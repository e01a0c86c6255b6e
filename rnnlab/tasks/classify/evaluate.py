"""Test-set metrics, plot tables and samples of a classifier, computed with scikit-learn."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import metrics

from rnnlab.core.files import atomic_path
from rnnlab.core.samples import markdown_table, spaced


def binary_metrics(y_true: np.ndarray, probability: np.ndarray, threshold: float) -> dict:
    """accuracy, loss (cross-entropy), precision, recall, f1 (of the positive class), macro_f1
    (comparable with the multi-class tasks and the baseline) and roc_auc, rounded for git."""
    y_pred = (probability >= threshold).astype(int)
    values = {
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "loss": metrics.log_loss(y_true, np.clip(probability, 1e-7, 1 - 1e-7), labels=[0, 1]),
        "precision": metrics.precision_score(y_true, y_pred, zero_division=0),
        "recall": metrics.recall_score(y_true, y_pred, zero_division=0),
        "f1": metrics.f1_score(y_true, y_pred, zero_division=0),
        "macro_f1": metrics.f1_score(y_true, y_pred, average="macro", zero_division=0),
        "roc_auc": metrics.roc_auc_score(y_true, probability),
    }
    return {key: round(float(value), 6) for key, value in values.items()}


def multiclass_metrics(y_true: np.ndarray, probabilities: np.ndarray) -> dict:
    """accuracy, macro and weighted F1, and cross-entropy loss, rounded for git.

    F1 averages over the classes that occur in the test split or are predicted (scikit-learn's
    default, as the baseline's): a class with no test document cannot be measured.
    """
    y_pred = probabilities.argmax(axis=1)
    labels = np.arange(probabilities.shape[1])
    values = {
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "macro_f1": metrics.f1_score(y_true, y_pred, average="macro", zero_division=0),
        "weighted_f1": metrics.f1_score(y_true, y_pred, average="weighted", zero_division=0),
        "loss": metrics.log_loss(y_true, np.clip(probabilities, 1e-7, 1.0), labels=labels),
    }
    return {key: round(float(value), 6) for key, value in values.items()}


def per_class_table(y_true: np.ndarray, y_pred: np.ndarray,
                    labels: Sequence[str]) -> pd.DataFrame:
    """Precision, recall, F1 and support of every class, as scikit-learn reports them."""
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=np.arange(len(labels)), zero_division=0)
    return pd.DataFrame({"class": labels, "precision": precision.round(6),
                         "recall": recall.round(6), "f1": f1.round(6), "support": support})


def write_csv(path: Path, table: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, lineterminator="\n", float_format="%.6g")


def confusion_table(y_true: np.ndarray, y_pred: np.ndarray,
                    labels: Sequence[str]) -> pd.DataFrame:
    """One row per test example, as DVC's `confusion` plot template reads it."""
    names = np.asarray(labels)
    return pd.DataFrame({"actual": names[y_true], "predicted": names[y_pred]})


def roc_table(y_true: np.ndarray, probability: np.ndarray) -> pd.DataFrame:
    fpr, tpr, thresholds = metrics.roc_curve(y_true, probability)
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": np.minimum(thresholds, 1.0)})


def samples_markdown(texts: Sequence[str], y: np.ndarray, y_pred: np.ndarray,
                     probabilities: np.ndarray, names: Sequence[str], count: int) -> str:
    """`count` test texts evenly spaced through the split, with their predictions."""
    rows = [(names[y[i]], names[y_pred[i]], f"{probabilities[i, y_pred[i]]:.3f}", texts[i][:200])
            for i in spaced(len(y), count)]
    return markdown_table(["true", "predicted", "probability", "text (first 200 characters)"],
                          rows)
