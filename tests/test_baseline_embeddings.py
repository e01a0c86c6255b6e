import numpy as np
import pandas as pd
import pytest

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


def test_baseline_learns_the_signal_and_picks_c_on_validation():
    params = BaselineParams(classifier="logistic_regression", c_grid=[0.01, 10.0], ngram_max=2,
                            min_df=1, sublinear_tf=True, seed=0)
    result = run_baseline(table(), params)
    assert result["baseline_c"] in (0.01, 10.0)
    assert result["baseline_accuracy"] >= 0.8
    assert set(result) == {"baseline_accuracy", "baseline_macro_f1", "baseline_c",
                           "baseline_val_accuracy"}


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
