"""The classical peers of the recurrent classifiers, tuned and picked on validation.

Users deciding whether an RNN is worth its cost need the best classical number from the same
splits. Two models are fitted on `train`, each with its C chosen by validation accuracy:
TF-IDF n-grams with a linear classifier, and NBSVM (`nbsvm.py`). The one with the better
validation accuracy is the task's baseline: its test scores are `baseline_*`, the headline;
each model's own scores are `<model>_*`, with `baseline_model` naming the one picked.
Only numbers are written (JSON); no fitted model is saved.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score

from rnnlab.tasks.classify.nbsvm import NBSVMClassifier, count_vectorizer, linear_model
from rnnlab.tasks.classify.params import BaselineParams

SPLITS = ("train", "val", "test")


def make_classifier(params: BaselineParams, c: float, seed: int):
    return linear_model(params.classifier, c, seed)


@dataclasses.dataclass(frozen=True)
class Fitted:
    """One model tuned: the C (and β) picked, its validation accuracy and its test scores."""

    c: float
    val_accuracy: float
    accuracy: float
    macro_f1: float
    beta: float | None = None  # NBSVM's interpolation

    def metrics(self, prefix: str) -> dict:
        values = {f"{prefix}_accuracy": round(self.accuracy, 6),
                  f"{prefix}_macro_f1": round(self.macro_f1, 6),
                  f"{prefix}_c": self.c,
                  f"{prefix}_val_accuracy": round(self.val_accuracy, 6)}
        if self.beta is not None:
            values[f"{prefix}_beta"] = self.beta
        return values


def scored(c: float, val_accuracy: float, predicted, y: dict, beta: float | None = None):
    return Fitted(c=c, val_accuracy=val_accuracy, beta=beta,
                  accuracy=float(accuracy_score(y["test"], predicted)),
                  macro_f1=float(f1_score(y["test"], predicted, average="macro")))


def split_table(table: pd.DataFrame) -> tuple[dict, dict]:
    parts = {split: table[table["split"] == split] for split in SPLITS}
    return ({split: part["text"] for split, part in parts.items()},
            {split: part["label"].to_numpy() for split, part in parts.items()})


def tune(make, c_grid: list[float], x: dict, y: dict) -> Fitted:
    """Fit `make(c)` on train for every C, keep the best on validation (ties: the smaller C,
    the stronger regularizer), refit it and score it on test."""
    scores = {c: float(accuracy_score(y["val"], make(c).fit(x["train"], y["train"])
                                      .predict(x["val"]))) for c in c_grid}
    best = max(c_grid, key=lambda c: (scores[c], -c))
    predicted = make(best).fit(x["train"], y["train"]).predict(x["test"])
    return scored(best, scores[best], predicted, y)


def fit_tfidf(texts: dict, y: dict, params: BaselineParams) -> Fitted:
    vectorizer = TfidfVectorizer(ngram_range=(1, params.ngram_max), min_df=params.min_df,
                                 sublinear_tf=params.sublinear_tf, dtype=np.float32)
    x = {"train": vectorizer.fit_transform(texts["train"])}
    x |= {split: vectorizer.transform(texts[split]) for split in ("val", "test")}
    return tune(lambda c: make_classifier(params, c, params.seed), params.c_grid, x, y)


def fit_nbsvm(texts: dict, y: dict, params: BaselineParams) -> Fitted:
    vectorizer = count_vectorizer(params.nbsvm_ngram_max, params.nbsvm_min_df)
    x = {"train": vectorizer.fit_transform(texts["train"])}
    x |= {split: vectorizer.transform(texts[split]) for split in ("val", "test")}
    best, best_key = None, None
    for c in params.nbsvm_c_grid:  # one fit per C; every beta is a rescaling of its weights
        model = NBSVMClassifier(C=c, classifier=params.classifier, seed=params.seed)
        model.fit(x["train"], y["train"])
        for beta in params.nbsvm_beta_grid:
            score = float(accuracy_score(y["val"], model.with_beta(beta).predict(x["val"])))
            key = (score, -c, beta)  # ties: the smaller C, then the larger beta
            if best_key is None or key > best_key:
                best_key, best = key, (c, beta, model)
    c, beta, model = best
    return scored(c, best_key[0], model.with_beta(beta).predict(x["test"]), y, beta)


FITTERS = {"tfidf": fit_tfidf, "nbsvm": fit_nbsvm}


def pick(fitted: dict[str, Fitted]) -> str:
    """The model with the best validation accuracy; a tie goes to the first listed."""
    return max(fitted, key=lambda name: (fitted[name].val_accuracy, -list(fitted).index(name)))


def run_baseline(table: pd.DataFrame, params: BaselineParams) -> dict:
    """TF-IDF + linear alone: fit on `train`, C by validation accuracy, test accuracy and
    macro-F1 as `baseline_*`."""
    return fit_tfidf(*split_table(table), params).metrics("baseline")


def run_baselines(table: pd.DataFrame, params: BaselineParams) -> dict:
    """Every model of `params.models`, tuned on validation; the best on validation is the
    baseline (`baseline_*`, `baseline_model`), each model's scores are `<model>_*`."""
    texts, y = split_table(table)
    fitted = {name: FITTERS[name](texts, y, params) for name in params.models}
    best = pick(fitted)
    result = {"baseline_model": best} | fitted[best].metrics("baseline")
    for name, scores in fitted.items():
        result |= scores.metrics(name)
    return result
