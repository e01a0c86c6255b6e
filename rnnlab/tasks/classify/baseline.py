"""The classical peers of the recurrent classifiers, tuned and picked on validation.

Users deciding whether an RNN is worth its cost need the best classical number from the same
splits. Two models are fitted on `train`, each with its C chosen by validation accuracy:
TF-IDF n-grams with a linear classifier, and NBSVM (`nbsvm.py`). The one with the better
validation accuracy is the task's baseline: its test scores are `baseline_*`, the headline;
each model's own scores are `<model>_*`, with `baseline_model` naming the one picked.
Those numbers are the JSON; besides it, the picked model's decision scores on val and test,
with the rows and labels they were scored on, are saved as arrays (`peer_arrays`) for the
`combine` stage. No fitted model is saved.
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
    # the refitted model's scores per split (`class_scores`) and its classes; kept out of the
    # JSON, and of equality, so the numbers written are what they were before `combine`
    scores: dict[str, np.ndarray] | None = dataclasses.field(default=None, compare=False,
                                                             repr=False)
    classes: np.ndarray | None = dataclasses.field(default=None, compare=False, repr=False)

    def metrics(self, prefix: str) -> dict:
        values = {f"{prefix}_accuracy": round(self.accuracy, 6),
                  f"{prefix}_macro_f1": round(self.macro_f1, 6),
                  f"{prefix}_c": self.c,
                  f"{prefix}_val_accuracy": round(self.val_accuracy, 6)}
        if self.beta is not None:
            values[f"{prefix}_beta"] = self.beta
        return values


def class_scores(model, x) -> np.ndarray:
    """(documents, classes) decision scores whose row argmax is the model's own prediction: a
    binary model's one signed column d becomes (0, d), so d > 0 picks the second class and a
    tie the first, as its `predict` does."""
    scores = np.asarray(model.decision_function(x), dtype=np.float64)
    return np.column_stack([np.zeros_like(scores), scores]) if scores.ndim == 1 else scores


def scored(c: float, val_accuracy: float, model, x: dict, y: dict, beta: float | None = None):
    """The fitted `model`'s test scores, and its val and test decision scores for `combine`."""
    predicted = model.predict(x["test"])
    return Fitted(c=c, val_accuracy=val_accuracy, beta=beta,
                  accuracy=float(accuracy_score(y["test"], predicted)),
                  macro_f1=float(f1_score(y["test"], predicted, average="macro")),
                  scores={split: class_scores(model, x[split]) for split in ("val", "test")},
                  classes=np.asarray(model.classes_))


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
    return scored(best, scores[best], make(best).fit(x["train"], y["train"]), x, y)


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
    return scored(c, best_key[0], model.with_beta(beta), x, y, beta)


FITTERS = {"tfidf": fit_tfidf, "nbsvm": fit_nbsvm}


def pick(fitted: dict[str, Fitted]) -> str:
    """The model with the best validation accuracy; a tie goes to the first listed."""
    return max(fitted, key=lambda name: (fitted[name].val_accuracy, -list(fitted).index(name)))


def run_baseline(table: pd.DataFrame, params: BaselineParams) -> dict:
    """TF-IDF + linear alone: fit on `train`, C by validation accuracy, test accuracy and
    macro-F1 as `baseline_*`."""
    return fit_tfidf(*split_table(table), params).metrics("baseline")


def fit_all(table: pd.DataFrame, params: BaselineParams) -> tuple[str, dict[str, Fitted]]:
    """Every model of `params.models` tuned on validation, and the name of the best there."""
    texts, y = split_table(table)
    fitted = {name: FITTERS[name](texts, y, params) for name in params.models}
    return pick(fitted), fitted


def results(best: str, fitted: dict[str, Fitted]) -> dict:
    result = {"baseline_model": best} | fitted[best].metrics("baseline")
    for name, scores in fitted.items():
        result |= scores.metrics(name)
    return result


def run_baselines(table: pd.DataFrame, params: BaselineParams) -> dict:
    """Every model of `params.models`, tuned on validation; the best on validation is the
    baseline (`baseline_*`, `baseline_model`), each model's scores are `<model>_*`."""
    return results(*fit_all(table, params))


def label_names(table: pd.DataFrame) -> pd.Series:
    """Each label id's name over the labelled splits, by id (as the sequences stage builds
    them, so the two files can be compared)."""
    labelled = table[table["split"].isin(SPLITS)]
    return labelled.groupby("label")["label_name"].first().sort_index()


def peer_arrays(table: pd.DataFrame, name: str, fitted: Fitted) -> dict[str, np.ndarray]:
    """What `combine` reads of the picked model (data/baseline_scores/<task>.npz): its name (one
    element), the label names, and per split (val, test) the rows of the prepared table it
    scored, their labels and its (rows, labels) decision scores, one column per label id in id
    order. A class missing from the training split has no column in the model; it gets each
    row's lowest score minus 1, so it is never the model's pick."""
    names = label_names(table)
    column = {label: i for i, label in enumerate(names.index)}
    arrays = {"model": np.array([name]), "label_names": names.to_numpy(dtype=str)}
    for split in ("val", "test"):
        part = table[table["split"] == split]
        given = fitted.scores[split]
        scores = np.repeat(given.min(axis=1, keepdims=True) - 1.0, len(names), axis=1)
        scores[:, [column[label] for label in fitted.classes]] = given
        arrays |= {f"row_{split}": part.index.to_numpy(np.int64),
                   f"y_{split}": part["label"].to_numpy(np.int64), f"scores_{split}": scores}
    return arrays


def fit_baselines(table: pd.DataFrame,
                  params: BaselineParams) -> tuple[dict, dict[str, np.ndarray]]:
    """`run_baselines`' numbers, and `peer_arrays` of the model they picked; `table` needs a
    `label_name` column too."""
    best, fitted = fit_all(table, params)
    return results(best, fitted), peer_arrays(table, best, fitted[best])
