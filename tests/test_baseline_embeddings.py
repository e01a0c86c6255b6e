import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.svm import LinearSVC

from rnnlab.tasks.classify.baseline import run_baseline
from rnnlab.tasks.classify.params import BaselineParams
from rnnlab.text.embeddings import glove_matrix
from rnnlab.text.vocab import build_vocab


def table(n_per_class=40, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_per_class * 2):
        label = i % 2
        words = rng.choice(["plot", "film", "cast", "scene"], 6).tolist()
        words.append(["dull", "great"][label] if rng.random() > 0.1 else ["great", "dull"][label])
        split = ["train", "train", "train", "val", "test"][i % 5]
        rows.append((" ".join(words), label, split))
    return pd.DataFrame(rows, columns=["text", "label", "split"])


def sklearn_val_accuracies(table_, params):
    """The validation accuracy of every C in the grid, computed here with scikit-learn alone,
    the way the baseline is documented to: TF-IDF fitted on train, a classifier per C."""
    train, val = (table_[table_["split"] == split] for split in ("train", "val"))
    vectorizer = TfidfVectorizer(ngram_range=(1, params.ngram_max), min_df=params.min_df,
                                 sublinear_tf=params.sublinear_tf, dtype=np.float32)
    x_train, x_val = vectorizer.fit_transform(train["text"]), vectorizer.transform(val["text"])
    accuracies = {}
    for c in params.c_grid:
        model = (LinearSVC(C=c, random_state=params.seed) if params.classifier == "linear_svc"
                 else LogisticRegression(C=c, max_iter=1000, random_state=params.seed))
        predicted = model.fit(x_train, train["label"]).predict(x_val)
        accuracies[c] = float(accuracy_score(val["label"], predicted))
    return accuracies


def test_baseline_learns_the_signal_and_picks_c_on_validation():
    params = BaselineParams(classifier="logistic_regression", c_grid=[0.01, 10.0], ngram_max=2,
                            min_df=1, sublinear_tf=True, seed=0)
    result = run_baseline(table(), params)
    accuracies = sklearn_val_accuracies(table(), params)
    best = max(accuracies.values())
    assert result["baseline_c"] == min(c for c, a in accuracies.items() if a == best)
    assert result["baseline_val_accuracy"] == round(best, 6)
    assert result["baseline_accuracy"] >= 0.8
    assert set(result) == {"baseline_accuracy", "baseline_macro_f1", "baseline_c",
                           "baseline_val_accuracy"}


def rows(text, label, split, count):
    return [(text, label, split)] * count


# Built so that the choice of C decides the validation score. Train: "great" means 1 and "dull"
# means 0 (20 and 24 documents), plus ONE mislabelled "great film twist" = 0 whose rare word
# "twist" has a high idf. Validation (and test) follow the clean rule, "great film twist" = 1:
#   - a tiny C (LogisticRegression leaves the intercept unpenalised) shrinks every word weight
#     to ~0, leaving the train prior (25 of 45 are 0): all 0, so only "dull film" is right: 1/5;
#   - a middling C cannot spend weight on one document: "great" wins, everything right: 5/5;
#   - a large C fits the mislabelled document through "twist", so both validation
#     "great film twist" are called 0: 3/5.
# LinearSVC penalises its intercept, so it never collapses to the prior; it shows the other two.
BUILT = pd.DataFrame(
    rows("great great film", 1, "train", 20) + rows("dull film", 0, "train", 24)
    + rows("great film twist", 0, "train", 1)
    + [row for split in ("val", "test") for row in rows("great film", 1, split, 2)
       + rows("dull film", 0, split, 1) + rows("great film twist", 1, split, 2)],
    columns=["text", "label", "split"])


def built_params(classifier, c_grid):
    return BaselineParams(classifier=classifier, c_grid=c_grid, ngram_max=1, min_df=1,
                          sublinear_tf=True, seed=0)


@pytest.mark.parametrize("classifier, c_grid, expected, winner", [
    # the winner sits in the middle of a grid given out of order: neither the smallest, the
    # largest, the first nor the last C
    ("logistic_regression", [100.0, 0.3, 0.001], {100.0: 0.6, 0.3: 1.0, 0.001: 0.2}, 0.3),
    ("linear_svc", [0.05, 1.0], {0.05: 1.0, 1.0: 0.6}, 0.05),
])
def test_baseline_picks_the_one_c_that_wins_on_validation(classifier, c_grid, expected, winner):
    params = built_params(classifier, c_grid)
    assert sklearn_val_accuracies(BUILT, params) == expected  # the reasoning above, checked
    result = run_baseline(BUILT, params)
    assert result["baseline_c"] == winner
    assert result["baseline_val_accuracy"] == expected[winner]
    # refitted with the winner: the test split is a copy of validation, so all of it is right
    assert result["baseline_accuracy"] == 1.0 and result["baseline_macro_f1"] == 1.0


@pytest.mark.parametrize("c_grid", [[100.0, 3.0], [3.0, 100.0]])
def test_baseline_breaks_a_tie_towards_the_smaller_c(c_grid):
    """C = 3 and C = 100 both fit the mislabelled "twist" document, so both score 3/5 on
    validation; the stronger regularizer (3) must win, wherever it stands in the grid."""
    params = built_params("logistic_regression", c_grid)
    assert sklearn_val_accuracies(BUILT, params) == {3.0: 0.6, 100.0: 0.6}
    result = run_baseline(BUILT, params)
    assert result["baseline_c"] == 3.0 and result["baseline_val_accuracy"] == 0.6
    # test = validation: true 1 1 0 1 1, predicted 1 1 0 0 0, so accuracy 3/5; class 1 has
    # precision 2/2, recall 2/4, F1 2/3; class 0 has precision 1/3, recall 1/1, F1 1/2;
    # macro F1 = (2/3 + 1/2) / 2 = 7/12
    assert result["baseline_accuracy"] == 0.6
    assert result["baseline_macro_f1"] == round(7 / 12, 6)


def write_glove(path, rows):
    path.write_text("".join(f"{w} {' '.join(str(v) for v in vec)}\n" for w, vec in rows))


def test_glove_rows_follow_the_vocabulary(tmp_path):
    vocab = build_vocab(["cat cat dog", "cat emu"])  # ["", "[UNK]", "cat", "dog", "emu"]
    write_glove(tmp_path / "g.txt", [("dog", [1, 2]), ("zebra", [9, 9]), ("cat", [3, 4])])
    matrix, coverage = glove_matrix(tmp_path / "g.txt", vocab, 2)
    np.testing.assert_array_equal(matrix, [[0, 0], [0, 0], [3, 4], [1, 2], [0, 0]])
    assert coverage == pytest.approx(2 / 3)


def test_missing_rows_can_be_seeded_random_but_padding_stays_zero(tmp_path):
    vocab = build_vocab(["cat dog emu"])
    write_glove(tmp_path / "g.txt", [("cat", [1, -1]), ("dog", [2, 0])])
    first, _ = glove_matrix(tmp_path / "g.txt", vocab, 2, missing="random", seed=3)
    again, _ = glove_matrix(tmp_path / "g.txt", vocab, 2, missing="random", seed=3)
    np.testing.assert_array_equal(first, again)
    assert not first[0].any() and first[vocab.index["emu"]].any() and first[1].any()


def test_wrong_vector_width_names_the_line(tmp_path):
    vocab = build_vocab(["cat"])
    write_glove(tmp_path / "g.txt", [("the", [1, 2]), ("cat", [1, 2, 3])])
    with pytest.raises(ValueError, match=r"g.txt:2: expected 2 numbers after the word, got 3"):
        glove_matrix(tmp_path / "g.txt", vocab, 2)
