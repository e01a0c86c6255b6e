"""NBSVM (Wang & Manning 2012) and the baseline stage's choice between it and TF-IDF + linear."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from rnnlab.core.errors import ParamsError
from rnnlab.core.params import from_mapping
from rnnlab.tasks.classify import baseline
from rnnlab.tasks.classify.baseline import Fitted, pick, run_baselines
from rnnlab.tasks.classify.nbsvm import (
    NBSVMClassifier,
    interpolate,
    log_count_ratio,
    nbsvm_pipeline,
)
from rnnlab.tasks.classify.params import BaselineParams

ENTRY = {"models": ["tfidf", "nbsvm"], "classifier": "linear_svc", "c_grid": [0.1, 1.0],
         "ngram_max": 2, "min_df": 1, "sublinear_tf": True, "seed": 0,
         "nbsvm_c_grid": [0.1, 1.0], "nbsvm_ngram_max": 2, "nbsvm_min_df": 1,
         "nbsvm_beta_grid": [0.25, 1.0]}


def params(**changes) -> BaselineParams:
    """The toy entry with `changes`; a change to `...` removes the key."""
    values = {k: v for k, v in (ENTRY | changes).items() if v is not ...}
    return from_mapping(BaselineParams, values, "params.yaml: baseline.toy")


TFIDF_ONLY = {key: ... for key in ENTRY if key.startswith("nbsvm_")}


def toy(n=60, classes=2, seed=0) -> pd.DataFrame:
    """Filler words plus one word that gives the class away (flipped for 10 % of documents)."""
    rng = np.random.default_rng(seed)
    cue = ["dull", "great", "fine", "odd"][:classes]
    rows = []
    for i in range(n * classes):
        label = i % classes
        word = cue[label] if rng.random() > 0.1 else cue[(label + 1) % classes]
        text = " ".join(rng.choice(["plot", "film", "cast", "scene"], 5).tolist() + [word])
        rows.append((text, label, ["train", "train", "train", "val", "test"][i % 5]))
    return pd.DataFrame(rows, columns=["text", "label", "split"])


def test_nbsvm_beats_chance_on_a_separable_toy_set():
    data = toy()
    train, test = data[data["split"] == "train"], data[data["split"] == "test"]
    model = nbsvm_pipeline(ngram_max=2).fit(train["text"], train["label"])
    assert (model.predict(test["text"]) == test["label"].to_numpy()).mean() >= 0.8


def test_the_log_count_ratio_is_the_hand_computed_one():
    # 3 documents over 3 features; counts are binarized first (the 5 counts once)
    x = sp.csr_matrix([[5, 1, 0], [1, 0, 0], [0, 1, 1]])
    positive = np.array([True, True, False])
    # alpha = 1: p = 1 + (2, 1, 0) = (3, 2, 1), |p| = 6; q = 1 + (0, 1, 1) = (1, 2, 2), |q| = 5
    expected = np.log(np.array([3 / 6, 2 / 6, 1 / 6]) / np.array([1 / 5, 2 / 5, 2 / 5]))
    model = NBSVMClassifier(C=1.0).fit(x, positive.astype(int))
    np.testing.assert_allclose(model.ratios_[0], expected)
    x_binary = sp.csr_matrix([[1, 1, 0], [1, 0, 0], [0, 1, 1]], dtype=np.float32)
    np.testing.assert_allclose(log_count_ratio(x_binary, positive), expected)


def test_interpolation_moves_weights_towards_their_mean_magnitude():
    w = np.array([2.0, -1.0, 0.0, 3.0])  # mean |w| = 1.5
    np.testing.assert_allclose(interpolate(w, 0.25), 0.75 * 1.5 + 0.25 * w)
    np.testing.assert_allclose(interpolate(w, 1.0), w)
    np.testing.assert_allclose(interpolate(w, 0.0), np.full(4, 1.5))


def test_the_fitted_weights_are_r_times_the_interpolated_svm_weights():
    data = toy()
    x = sp.csr_matrix((np.arange(len(data))[:, None] % np.array([2, 3, 5, 7]) == 0)
                      .astype(np.float32))
    y = data["label"].to_numpy()
    plain = NBSVMClassifier(C=0.5, beta=1.0).fit(x, y)
    mixed = NBSVMClassifier(C=0.5, beta=0.25).fit(x, y)
    w = plain.coef_[0] / plain.ratios_[0]  # the SVM's own weights on x ∘ r
    np.testing.assert_allclose(mixed.coef_[0], plain.ratios_[0] * interpolate(w, 0.25),
                               rtol=1e-5)
    assert mixed.intercept_[0] == pytest.approx(plain.intercept_[0])


def test_multiclass_is_one_vs_rest_with_a_ratio_per_class_and_argmax():
    data = toy(classes=4)
    train, test = data[data["split"] == "train"], data[data["split"] == "test"]
    model = nbsvm_pipeline(ngram_max=1).fit(train["text"], train["label"])
    nb = model.named_steps["nbsvm"]
    features = len(model.named_steps["counts"].vocabulary_)
    assert nb.ratios_.shape == nb.coef_.shape == (4, features)
    scores = model.decision_function(test["text"])
    assert scores.shape == (len(test), 4)
    predicted = model.predict(test["text"])
    np.testing.assert_array_equal(predicted, nb.classes_[scores.argmax(axis=1)])
    assert (predicted == test["label"].to_numpy()).mean() >= 0.8


def test_binary_has_one_model_and_a_signed_score():
    data = toy()
    model = nbsvm_pipeline(ngram_max=1).fit(data["text"], data["label"])
    assert model.named_steps["nbsvm"].coef_.shape[0] == 1
    assert model.decision_function(data["text"]).shape == (len(data),)


def test_the_picking_rule_keeps_the_better_validation_model():
    tfidf = Fitted(c=1.0, val_accuracy=0.90, accuracy=0.95, macro_f1=0.9)
    nbsvm = Fitted(c=0.1, val_accuracy=0.92, accuracy=0.91, macro_f1=0.9)
    assert pick({"tfidf": tfidf, "nbsvm": nbsvm}) == "nbsvm"  # validation, never test
    assert pick({"nbsvm": nbsvm, "tfidf": dataclasses.replace(tfidf, val_accuracy=0.93)}) \
        == "tfidf"
    assert pick({"tfidf": tfidf, "nbsvm": dataclasses.replace(nbsvm, val_accuracy=0.90)}) \
        == "tfidf"  # a tie: the first listed


def test_run_baselines_reports_both_and_the_picked_one_as_the_headline(monkeypatch):
    calls = {"tfidf": Fitted(c=1.0, val_accuracy=0.8, accuracy=0.7, macro_f1=0.6),
             "nbsvm": Fitted(c=0.1, val_accuracy=0.9, accuracy=0.85, macro_f1=0.8)}
    monkeypatch.setattr(baseline, "FITTERS", {k: (lambda t, y, p, v=v: v)
                                              for k, v in calls.items()})
    result = run_baselines(toy(), params())
    assert result["baseline_model"] == "nbsvm"
    assert result["baseline_accuracy"] == 0.85 and result["baseline_val_accuracy"] == 0.9
    assert result["baseline_macro_f1"] == 0.8 and result["baseline_c"] == 0.1
    assert result["tfidf_accuracy"] == 0.7 and result["tfidf_val_accuracy"] == 0.8
    assert result["nbsvm_accuracy"] == 0.85 and result["nbsvm_c"] == 0.1


def test_run_baselines_on_real_fits_is_reproducible():
    first = run_baselines(toy(classes=3), params())
    assert first == run_baselines(toy(classes=3), params())
    assert first["baseline_model"] in ("tfidf", "nbsvm")
    assert first["baseline_accuracy"] == first[f"{first['baseline_model']}_accuracy"]
    assert first["nbsvm_accuracy"] >= 0.8 and first["tfidf_accuracy"] >= 0.8
    assert first["nbsvm_beta"] in (0.25, 1.0) and "tfidf_beta" not in first


@pytest.mark.parametrize("changes, message", [
    ({"nbsvm_beta_grid": [0.5, 1.5]},
     "baseline.toy.nbsvm_beta_grid: expected a value ≥ 0 and ≤ 1, got 1.5"),
    ({"nbsvm_beta_grid": [-0.1]},
     "baseline.toy.nbsvm_beta_grid: expected a value ≥ 0 and ≤ 1, got -0.1"),
    ({"nbsvm_beta_grid": []}, "baseline.toy.nbsvm_beta_grid: expected at least one value"),
    ({"nbsvm_c_grid": []}, "baseline.toy.nbsvm_c_grid: expected at least one value"),
    ({"c_grid": []}, "baseline.toy.c_grid: expected at least one value"),
    ({"nbsvm_c_grid": [0.0]}, "baseline.toy.nbsvm_c_grid: expected a value > 0, got 0.0"),
    ({"models": []} | TFIDF_ONLY, "baseline.toy.models: expected at least one of tfidf, nbsvm"),
    ({"models": ["nbsvm", "nbsvm"]}, "baseline.toy.models: listed twice"),
    ({"models": ["svm"]}, "baseline.toy.models[0]: expected one of tfidf | nbsvm"),
    ({"models": ["tfidf"]}, "baseline.toy.nbsvm_c_grid: does not apply to this entry"),
])
def test_bad_params_are_refused_in_one_line_naming_the_field(changes, message):
    with pytest.raises(ParamsError) as err:
        params(**changes)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_nbsvm_refuses_beta_outside_zero_one_when_built_directly():
    with pytest.raises(ValueError, match="beta"):
        NBSVMClassifier(beta=2.0).fit(sp.csr_matrix(np.eye(2)), [0, 1])


def test_tfidf_alone_needs_no_nbsvm_keys_and_writes_no_nbsvm_scores():
    alone = params(models=["tfidf"], **TFIDF_ONLY)
    assert alone.nbsvm_c_grid is None
    result = run_baselines(toy(), alone)
    assert result["baseline_model"] == "tfidf"
    assert not any(key.startswith("nbsvm_") for key in result)


def test_another_beta_without_refitting_equals_fitting_with_it():
    data = toy(classes=3)
    x = nbsvm_pipeline().named_steps["counts"].fit_transform(data["text"])
    y = data["label"].to_numpy()
    refitted = NBSVMClassifier(C=0.5, beta=0.5).fit(x, y)
    rescaled = NBSVMClassifier(C=0.5, beta=1.0).fit(x, y).with_beta(0.5)
    np.testing.assert_allclose(rescaled.coef_, refitted.coef_)
    np.testing.assert_array_equal(rescaled.predict(x), refitted.predict(x))
