"""The `combine` stage's mixing (rnnlab/tasks/classify/combine.py), the baseline's scores file it
reads, its params and its results table; the stage itself with a model: test_combine_stage.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnlab.core import paths
from rnnlab.core.errors import DataError, ParamsError
from rnnlab.core.files import load_npz, save_npz, write_json, write_table
from rnnlab.core.params import from_mapping
from rnnlab.report.summary import combined, readme_block
from rnnlab.tasks.classify import baseline
from rnnlab.tasks.classify.combine import (
    check_labels,
    check_same_split,
    combine,
    log_probabilities,
    read_peer,
    standardized,
)
from rnnlab.tasks.classify.params import BaselineParams, CombineParams

GRID = [round(0.05 * i, 2) for i in range(21)]


def synthetic(classes: int, n: int = 400, seed: int = 0):
    """Labels, a recurrent model's outputs (a sigmoid column for two classes) and a peer's
    decision scores ((0, d) for two), each right about 3 times in 4 and wrong on different
    documents, so that mixing them can beat both."""
    rng = np.random.default_rng(seed)
    y, rnn, peer = {}, {}, {}
    for split in ("val", "test"):
        labels = rng.integers(0, classes, n)
        onehot = np.eye(classes)[labels]
        logits = 1.5 * onehot + rng.normal(size=(n, classes))
        margins = 3.0 * (1.5 * onehot + rng.normal(size=(n, classes))) - 7.0  # another scale
        y[split] = labels
        if classes == 2:
            rnn[split] = 1 / (1 + np.exp(-(logits[:, 1:] - logits[:, :1])))
            peer[split] = np.column_stack([np.zeros(n), margins[:, 1] - margins[:, 0]])
        else:
            rnn[split] = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
            peer[split] = margins
    return y, rnn, peer


def own_accuracy(scores: np.ndarray, y: np.ndarray) -> float:
    return round(float(np.mean(scores.argmax(axis=1) == y)), 6)


def rnn_accuracy(out: np.ndarray, y: np.ndarray) -> float:
    """As `evaluate` predicts: p >= 0.5 for a sigmoid, else the most probable class."""
    predicted = (out[:, 0] >= 0.5).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)
    return round(float(np.mean(predicted == y)), 6)


@pytest.mark.parametrize("classes", [2, 5])
def test_the_ends_of_the_grid_are_each_model_alone(classes):
    y, out, peer = synthetic(classes)
    rnn = {split: log_probabilities(o) for split, o in out.items()}
    alone = combine("toy", rnn, peer, y, [0.0])
    assert alone["weight"] == 0.0
    assert alone["accuracy"] == alone["rnn_accuracy"] == rnn_accuracy(out["test"], y["test"])
    assert alone["val_accuracy"] == alone["rnn_val_accuracy"] == rnn_accuracy(out["val"], y["val"])
    peer_only = combine("toy", rnn, peer, y, [1.0])
    assert peer_only["weight"] == 1.0
    assert peer_only["accuracy"] == peer_only["baseline_accuracy"] == \
        own_accuracy(peer["test"], y["test"])
    assert peer_only["val_accuracy"] == own_accuracy(peer["val"], y["val"])


@pytest.mark.parametrize("classes", [2, 5])
def test_the_weight_picked_maximises_validation_accuracy(classes):
    y, out, peer = synthetic(classes)
    rnn = {split: log_probabilities(o) for split, o in out.items()}
    result = combine("toy", rnn, peer, y, GRID)
    each = {w: combine("toy", rnn, peer, y, [w])["val_accuracy"] for w in GRID}
    best = max(each.values())
    assert result["val_accuracy"] == best
    assert result["weight"] == min(w for w, a in each.items() if a == best)  # ties: the smaller
    # two models wrong on different documents: the mixture beats both on validation
    assert 0.0 < result["weight"] < 1.0
    assert best > max(result["rnn_val_accuracy"], result["baseline_val_accuracy"])
    assert set(result) == {"weight", "val_accuracy", "accuracy", "macro_f1", "rnn_accuracy",
                           "rnn_val_accuracy", "baseline_accuracy", "baseline_val_accuracy"}


def test_a_tie_goes_to_the_smaller_weight_wherever_it_stands_in_the_grid():
    y, out, peer = synthetic(2)
    rnn = {split: log_probabilities(o) for split, o in out.items()}
    same = {split: rnn[split] * 3.0 for split in rnn}  # the same model, another scale: all tie
    for grid in ([0.7, 0.2, 0.9], [0.9, 0.7, 0.2]):
        assert combine("toy", rnn, same, y, grid)["weight"] == 0.2


@pytest.mark.parametrize("classes", [2, 5])
def test_the_mixture_does_not_depend_on_either_model_s_scale(classes):
    """Each model's scores are standardized on validation: a peer whose margins are 10 times
    larger, or shifted per row, gets the same weight and the same numbers."""
    y, out, peer = synthetic(classes)
    rnn = {split: log_probabilities(o) for split, o in out.items()}
    base = combine("toy", rnn, peer, y, GRID)
    shift = np.arange(len(y["val"]))[:, None]
    for other in ({s: 10.0 * p for s, p in peer.items()}, {s: p + shift for s, p in peer.items()}):
        assert combine("toy", rnn, other, y, GRID) == base


def test_standardizing_uses_validation_alone_and_keeps_each_row_s_argmax():
    scores = {"val": np.array([[1.0, 3.0], [2.0, 0.0]]), "test": np.array([[5.0, -5.0]])}
    out = standardized(scores)
    # centred rows: val (-1, 1), (1, -1), root mean square 1; test (5, -5) divided by it
    np.testing.assert_allclose(out["val"], [[-1, 1], [1, -1]])
    np.testing.assert_allclose(out["test"], [[5, -5]])
    assert (out["test"].argmax(axis=1) == scores["test"].argmax(axis=1)).all()
    flat = standardized({"val": np.zeros((2, 3)), "test": np.ones((1, 3))})
    assert np.isfinite(flat["test"]).all()


def test_log_probabilities_of_a_sigmoid_are_a_pair_and_never_infinite():
    out = log_probabilities(np.array([[0.0], [0.25], [1.0]], dtype=np.float32))
    assert out.shape == (3, 2) and np.isfinite(out).all()
    np.testing.assert_allclose(out[1], np.log([0.75, 0.25]))
    assert out[0].argmax() == 0 and out[2].argmax() == 1
    softmax = log_probabilities(np.array([[0.2, 0.8, 0.0]]))
    assert np.isfinite(softmax).all() and softmax.argmax() == 1


# The two inputs as their files hold them: the baseline's scores and the task's sequences.
def peer_file(rows=(3, 4, 5), labels=(0, 1, 1), names=("neg", "pos")) -> dict:
    n = len(rows)
    return {"model": np.array(["tfidf"]), "label_names": np.array(names),
            **{f"row_{s}": np.array(rows, dtype=np.int64) for s in ("val", "test")},
            **{f"y_{s}": np.array(labels, dtype=np.int64) for s in ("val", "test")},
            **{f"scores_{s}": np.zeros((n, len(names))) for s in ("val", "test")}}


def sequences_file(rows=(3, 4, 5), labels=(0, 1, 1)) -> dict:
    return {**{f"row_{s}": np.array(rows, dtype=np.int64) for s in ("val", "test")},
            **{f"y_{s}": np.array(labels, dtype=np.int32) for s in ("val", "test")}}


def one_line(err: pytest.ExceptionInfo, *parts: str) -> str:
    message = str(err.value)
    assert "\n" not in message and message.startswith("combine.r8: "), message
    assert all(part in message for part in parts), message
    return message


@pytest.mark.parametrize("sequences, parts", [
    (sequences_file(rows=(3, 4, 6)), ("val splits", "rows of the prepared table",
                                      "first at position 2")),
    (sequences_file(rows=(3, 4, 5, 6)), ("val splits", "3 against 4")),
    (sequences_file(labels=(0, 1, 0)), ("val splits", "labels", "first at position 2")),
    ({**sequences_file(), "row_test": np.array([9, 4, 5])}, ("test splits", "position 0")),
])
def test_inputs_scored_on_different_splits_are_refused_in_one_line(sequences, parts):
    with pytest.raises(DataError) as err:
        check_same_split("r8", peer_file(), paths.baseline_scores("r8"), sequences,
                         paths.sequences("r8"))
    one_line(err, "different", "data/baseline_scores/r8.npz", "data/sequences/r8.npz",
             "prepare.r8", *parts)


def test_inputs_scored_on_the_same_split_pass():
    check_same_split("r8", peer_file(), paths.baseline_scores("r8"), sequences_file(),
                     paths.sequences("r8"))


@pytest.mark.parametrize("names, parts", [
    (["neg", "pos", "mixed"], ("has 2 and models/r8/meta.json 3", "label 2 is none against "
                               "'mixed'")),
    (["pos", "neg"], ("label 0 is 'neg' against 'pos'",)),
])
def test_inputs_with_other_labels_are_refused_in_one_line(names, parts):
    with pytest.raises(DataError) as err:
        check_labels("r8", {"data/baseline_scores/r8.npz": np.array(["neg", "pos"]),
                            "data/sequences/r8.npz": np.array(["neg", "pos"]),
                            "models/r8/meta.json": names})
    one_line(err, "labels differ", "data/baseline_scores/r8.npz", *parts)


def test_scores_of_another_shape_are_refused_naming_the_entry():
    y = {"val": np.array([0, 1]), "test": np.array([0, 1])}
    rnn = {s: np.zeros((2, 2)) for s in y}
    with pytest.raises(DataError) as err:
        combine("r8", rnn, {s: np.zeros((2, 3)) for s in y}, y, [0.0])
    one_line(err, "(2, 2)", "(2, 3)")


@pytest.mark.parametrize("change, problem", [
    ({"scores_val": ...}, "no member 'scores_val'"),
    ({"scores_test": np.zeros((3, 3))}, "scores_test has shape (3, 3), expected (3, 2)"),
    ({"scores_val": np.full((3, 2), np.nan)}, "not a finite number"),
])
def test_a_damaged_scores_file_is_one_line_naming_it(in_tmp, change, problem):
    arrays = {k: v for k, v in (peer_file() | change).items() if v is not ...}
    save_npz(paths.baseline_scores("r8"), **arrays)
    with pytest.raises(DataError) as err:
        read_peer(paths.baseline_scores("r8"))
    assert str(err.value).startswith("data/baseline_scores/r8.npz: ") and problem in str(err.value)
    assert "\n" not in str(err.value)


# The baseline stage's side: its scores file, and its JSON numbers as they were.
ENTRY = {"models": ["tfidf", "nbsvm"], "classifier": "linear_svc", "c_grid": [0.1, 1.0],
         "ngram_max": 2, "min_df": 1, "sublinear_tf": True, "seed": 0,
         "nbsvm_c_grid": [0.1, 1.0], "nbsvm_ngram_max": 2, "nbsvm_min_df": 1,
         "nbsvm_beta_grid": [0.25, 1.0]}
NAMES = ["dull", "great", "fine", "odd"]


def toy(n=40, classes=2, seed=0) -> pd.DataFrame:
    """Filler words and one cue word per class (flipped for 10 % of documents), named."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n * classes):
        label = i % classes
        word = NAMES[label] if rng.random() > 0.1 else NAMES[(label + 1) % classes]
        text = " ".join(rng.choice(["plot", "film", "cast", "scene"], 5).tolist() + [word])
        rows.append((text, label, NAMES[label], ["train", "train", "train", "val", "test"][i % 5]))
    return pd.DataFrame(rows, columns=["text", "label", "label_name", "split"])


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize("models", [["tfidf"], ["nbsvm"], ["tfidf", "nbsvm"]])
def test_the_baseline_scores_file_is_the_picked_model_s_scores(in_tmp, classes, models):
    table = toy(classes=classes)
    entry = {k: v for k, v in ENTRY.items() if "nbsvm" in models or not k.startswith("nbsvm_")}
    params = from_mapping(BaselineParams, entry | {"models": models}, "baseline.toy")
    result, arrays = baseline.fit_baselines(table, params)
    assert result == baseline.run_baselines(table, params)  # the JSON's numbers, unchanged
    save_npz(paths.baseline_scores("toy"), **arrays)
    peer = read_peer(paths.baseline_scores("toy"))  # what combine reads, checked
    assert peer["model"].tolist() == [result["baseline_model"]]
    assert peer["label_names"].tolist() == NAMES[:classes]
    for split in ("val", "test"):
        part = table[table["split"] == split]
        assert peer[f"row_{split}"].tolist() == part.index.tolist()
        assert peer[f"y_{split}"].tolist() == part["label"].tolist()
        assert peer[f"scores_{split}"].shape == (len(part), classes)
        assert peer[f"scores_{split}"].dtype == np.float64
        if classes == 2:  # (0, d): the argmax is the sign of the margin
            assert (peer[f"scores_{split}"][:, 0] == 0).all()
    # each row's argmax is the model's own prediction: its accuracies come back from the file
    assert own_accuracy(peer["scores_test"], peer["y_test"]) == result["baseline_accuracy"]
    assert own_accuracy(peer["scores_val"], peer["y_val"]) == result["baseline_val_accuracy"]


def test_a_class_missing_from_training_gets_a_column_it_never_wins():
    table = toy(classes=3)
    table = table[~((table["label"] == 2) & (table["split"] == "train"))]
    params = from_mapping(BaselineParams, {k: v for k, v in ENTRY.items()
                                           if not k.startswith("nbsvm_")} | {"models": ["tfidf"]},
                          "baseline.toy")
    _, arrays = baseline.fit_baselines(table, params)
    assert arrays["label_names"].tolist() == NAMES[:3]
    for split in ("val", "test"):
        scores = arrays[f"scores_{split}"]
        assert scores.shape[1] == 3 and (scores.argmax(axis=1) != 2).all()
        np.testing.assert_allclose(scores[:, 2], scores[:, :2].min(axis=1) - 1.0)


def test_the_baseline_stage_writes_both_files(in_tmp):
    import importlib.util

    from conftest import ROOT

    write_table(paths.prepared("toy"), toy())
    write_json(paths.params_entry("baseline", "toy"), ENTRY)
    spec = importlib.util.spec_from_file_location("baseline_stage", ROOT / "stages/baseline.py")
    stage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stage)
    stage.main("toy")
    written = load_npz(paths.baseline_scores("toy"))
    assert set(written) == {"model", "label_names", "row_val", "y_val", "scores_val", "row_test",
                            "y_test", "scores_test"}
    assert paths.baseline("toy").is_file()


# Params and the results page.
@pytest.mark.parametrize("weights, problem", [
    ([], "weights: expected at least one value"),
    ([0.0, 1.5], "weights: expected a value ≥ 0 and ≤ 1, got 1.5"),
    ([0.5, 0.5], "weights: a value listed twice in [0.5, 0.5]"),
])
def test_bad_weights_are_refused_in_one_line_naming_the_field(weights, problem):
    with pytest.raises(ParamsError) as err:
        from_mapping(CombineParams, {"weights": weights, "batch_size": 8},
                     "params.yaml: combine.r8")
    assert str(err.value) == f"params.yaml: combine.r8.{problem}"


def test_the_real_params_have_a_combine_entry_for_every_classification_task():
    from conftest import ROOT

    from rnnlab.sections import load_all_params

    checked = load_all_params(ROOT / "params.yaml")
    assert set(checked["combine"]) == set(checked["evaluate"]) == {"imdb", "r8", "r52",
                                                                     "reuters46"}
    for entry in checked["combine"].values():
        assert entry.weights[0] == 0.0 and entry.weights[-1] == 1.0


def test_the_results_page_lists_the_combination_apart_and_the_readme_does_not(in_tmp):
    write_json(paths.combine_metrics("r8"), {
        "accuracy": 0.975, "macro_f1": 0.94, "weight": 0.35, "val_accuracy": 0.99,
        "rnn_accuracy": 0.9735, "rnn_val_accuracy": 0.98, "baseline_accuracy": 0.9726,
        "baseline_val_accuracy": 0.987, "baseline_model": "tfidf"})
    lines = combined({"combine": {"r8": {}}})
    assert lines[0] == "## Recurrent model + classical baseline, combined"
    assert "Not the recurrent model's result" in lines[2]
    assert "| r8 | 0.9750 | 0.9400 | 0.35 | 0.9900 | 0.9735 | 0.9726 | TF-IDF + linear SVM |" \
        in lines[4]
    assert combined({}) == []
    assert readme_block({}) == readme_block({"combine": {"r8": {}}})
