"""A strong classical baseline: TF-IDF n-grams with a linear classifier, tuned on validation.

Users deciding whether an RNN is worth its cost need this number from the same splits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC

from rnnlab.tasks.classify.params import BaselineParams


def make_classifier(params: BaselineParams, c: float, seed: int):
    if params.classifier == "linear_svc":
        return LinearSVC(C=c, random_state=seed)
    return LogisticRegression(C=c, max_iter=1000, random_state=seed)


def run_baseline(table: pd.DataFrame, params: BaselineParams) -> dict:
    """Fit on `train`, pick C by validation accuracy, report test accuracy and macro-F1."""
    parts = {split: table[table["split"] == split] for split in ("train", "val", "test")}
    vectorizer = TfidfVectorizer(ngram_range=(1, params.ngram_max), min_df=params.min_df,
                                 sublinear_tf=params.sublinear_tf, dtype=np.float32)
    x = {"train": vectorizer.fit_transform(parts["train"]["text"])}
    for split in ("val", "test"):
        x[split] = vectorizer.transform(parts[split]["text"])
    y = {split: part["label"].to_numpy() for split, part in parts.items()}

    scores = {}
    for c in params.c_grid:
        model = make_classifier(params, c, params.seed).fit(x["train"], y["train"])
        scores[c] = accuracy_score(y["val"], model.predict(x["val"]))
    best_c = max(params.c_grid, key=lambda c: (scores[c], -c))  # ties: the stronger regularizer
    model = make_classifier(params, best_c, params.seed).fit(x["train"], y["train"])
    predicted = model.predict(x["test"])
    return {
        "baseline_accuracy": round(float(accuracy_score(y["test"], predicted)), 6),
        "baseline_macro_f1": round(float(f1_score(y["test"], predicted, average="macro")), 6),
        "baseline_c": best_c,
        "baseline_val_accuracy": round(float(scores[best_c]), 6),
    }
