"""Classifier metrics, tables and samples against numbers worked out by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from rnnlab.core.samples import markdown_blocks, markdown_table, spaced
from rnnlab.tasks.classify.evaluate import (
    binary_metrics,
    confusion_table,
    multiclass_metrics,
    per_class_table,
    roc_table,
    samples_markdown,
)

# -- binary: 5 positives, 3 negatives ----------------------------------------------------------
#
#   example      0    1    2    3    4    5    6    7
#   true         1    1    1    1    1    0    0    0
#   probability .9   .8   .7   .4   .2   .6   .3   .1
#   >= 0.5       1    1    1    0    0    1    0    0
#
# confusion at 0.5 (rows true, columns predicted):   pred 0  pred 1
#                                           true 0     2 TN    1 FP
#                                           true 1     2 FN    3 TP
# accuracy  = (3 + 2) / 8 = 0.625
# precision = 3 / (3 + 1) = 0.75, recall = 3 / (3 + 2) = 0.6
# f1        = 2 * 0.75 * 0.6 / (0.75 + 0.6) = 0.9 / 1.35 = 2/3
# class 0: precision 2 / (2 + 2) = 1/2, recall 2 / 3, f1 = 2 * (1/2)(2/3) / (7/6) = 4/7
# macro_f1  = (2/3 + 4/7) / 2 = 13/21 = 0.619048
# loss      = -(ln .9 + ln .8 + ln .7 + ln .4 + ln .2 + ln(1-.6) + ln(1-.3) + ln(1-.1)) / 8
#           = -ln(.9² · .8 · .7² · .4² · .2) / 8 = -ln(0.01016064) / 8 = 0.573654
# roc_auc   = positive-negative pairs ranked right / all 15 pairs: .9, .8 and .7 beat all three
#             negatives (9), .4 beats .3 and .1 (2), .2 beats .1 (1): 12/15 = 0.8
Y_BINARY = np.array([1, 1, 1, 1, 1, 0, 0, 0])
P_BINARY = np.array([0.9, 0.8, 0.7, 0.4, 0.2, 0.6, 0.3, 0.1])


def test_binary_metrics_match_the_hand_computation():
    assert binary_metrics(Y_BINARY, P_BINARY, 0.5) == {
        "accuracy": 0.625, "loss": 0.573654, "precision": 0.75, "recall": 0.6,
        "f1": 0.666667, "macro_f1": 0.619048, "roc_auc": 0.8}
    assert round(-math.log(0.9 ** 2 * 0.8 * 0.7 ** 2 * 0.4 ** 2 * 0.2) / 8, 6) == 0.573654
    assert round(13 / 21, 6) == 0.619048


def test_binary_threshold_is_used_and_a_probability_at_it_counts_as_positive():
    # at 0.4, example 3 (p = .4, true 1) becomes a TP: TP 4, FN 1, FP 1, TN 2
    # accuracy 6/8, precision 4/5, recall 4/5, f1 4/5; class 0: precision 2/3, recall 2/3,
    # f1 2/3; macro_f1 (4/5 + 2/3) / 2 = 11/15 = 0.733333; loss and roc_auc do not depend on it
    assert binary_metrics(Y_BINARY, P_BINARY, 0.4) == {
        "accuracy": 0.75, "loss": 0.573654, "precision": 0.8, "recall": 0.8, "f1": 0.8,
        "macro_f1": 0.733333, "roc_auc": 0.8}


def test_binary_loss_clips_certain_wrong_answers():
    # p = 0 for a positive is clipped to 1e-7: loss (-ln 1e-7 - ln(1 - 1e-7)) / 2 = 8.059048,
    # finite; predictions 0 0 against 1 0: precision and recall of class 1 are 0 (no division
    # error), class 0 has f1 2 * (1/2)(1) / (3/2) = 2/3, so macro_f1 = 1/3
    result = binary_metrics(np.array([1, 0]), np.array([0.0, 0.0]), 0.5)
    assert result == {"accuracy": 0.5, "loss": 8.059048, "precision": 0.0, "recall": 0.0,
                      "f1": 0.0, "macro_f1": 0.333333, "roc_auc": 0.5}


def test_roc_table_points_and_the_clipped_first_threshold():
    # descending probabilities: .9 P, .8 P, .7 P, .6 N, .4 P, .3 N, .2 P, .1 N; each threshold
    # t gives (false positives / 3, true positives / 5) of the examples with p >= t. scikit-learn
    # drops .8, which lies on the straight run between .9 and .7, and starts at an infinite
    # threshold, written out as 1.0
    table = roc_table(Y_BINARY, P_BINARY)
    assert list(table.columns) == ["fpr", "tpr", "threshold"]
    np.testing.assert_allclose(table["threshold"], [1.0, 0.9, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1])
    np.testing.assert_allclose(table["fpr"], [0, 0, 0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1])
    np.testing.assert_allclose(table["tpr"], [0, 0.2, 0.6, 0.6, 0.8, 0.8, 1, 1])


# -- three classes: supports 3, 2, 2 ---------------------------------------------------------
#
#   example   true  probabilities      argmax  p(true)
#   0         a     .7  .2  .1         a       .7
#   1         a     .5  .3  .2         a       .5
#   2         a     .4  .5  .1         b       .4
#   3         b     .1  .8  .1         b       .8
#   4         b     .2  .5  .3         b       .5
#   5         c     .1  .1  .8         c       .8
#   6         c     .5  .1  .4         a       .4
#
# confusion (rows true, columns predicted):   a  b  c
#                                        a    2  1  0
#                                        b    0  2  0
#                                        c    1  0  1
# a: precision 2/3, recall 2/3, f1 2/3
# b: precision 2/3, recall 2/2, f1 2 * (2/3)(1) / (5/3) = 4/5
# c: precision 1/1, recall 1/2, f1 2 * (1)(1/2) / (3/2) = 2/3
# accuracy    = 5/7 = 0.714286
# macro_f1    = (2/3 + 4/5 + 2/3) / 3 = 32/45 = 0.711111
# weighted_f1 = (3 · 2/3 + 2 · 4/5 + 2 · 2/3) / 7 = 74/105 = 0.704762
# loss        = -ln(.7 · .5 · .4 · .8 · .5 · .8 · .4) / 7 = -ln(0.01792) / 7 = 0.574548
Y_MULTI = np.array([0, 0, 0, 1, 1, 2, 2])
P_MULTI = np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.4, 0.5, 0.1], [0.1, 0.8, 0.1],
                    [0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.5, 0.1, 0.4]])
NAMES = ["a", "b", "c"]


def test_multiclass_metrics_match_the_hand_computation():
    assert multiclass_metrics(Y_MULTI, P_MULTI) == {
        "accuracy": 0.714286, "macro_f1": 0.711111, "weighted_f1": 0.704762, "loss": 0.574548}
    assert [round(v, 6) for v in (5 / 7, 32 / 45, 74 / 105, -math.log(0.01792) / 7)] == [
        0.714286, 0.711111, 0.704762, 0.574548]


def test_multiclass_macro_f1_leaves_out_a_class_absent_from_the_test_split():
    # a fourth class column that never occurs and is never predicted cannot be measured: macro
    # F1 averages the three that occur, 32/45 = 0.711111, as the baseline's scikit-learn default
    # does (a 0 for it would give (32/15) / 4 = 0.533333); weighted F1 gives it no weight anyway
    padded = np.hstack([P_MULTI * 0.99, np.full((7, 1), 0.01)])
    result = multiclass_metrics(Y_MULTI, padded)
    assert result["macro_f1"] == 0.711111 and result["weighted_f1"] == 0.704762
    assert result["accuracy"] == 0.714286


def test_per_class_table_rows_and_support():
    table = per_class_table(Y_MULTI, P_MULTI.argmax(axis=1), NAMES)
    expected = pd.DataFrame({"class": NAMES, "precision": [0.666667, 0.666667, 1.0],
                             "recall": [0.666667, 1.0, 0.5], "f1": [0.666667, 0.8, 0.666667],
                             "support": [3, 2, 2]})
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    # a class with no examples and no predictions gets a row of zeros, support 0
    table = per_class_table(Y_MULTI, P_MULTI.argmax(axis=1), [*NAMES, "d"])
    assert table.iloc[3].tolist() == ["d", 0.0, 0.0, 0.0, 0]


def test_confusion_table_has_one_named_row_per_example():
    table = confusion_table(Y_MULTI, P_MULTI.argmax(axis=1), NAMES)
    assert table.to_dict("list") == {"actual": ["a", "a", "a", "b", "b", "c", "c"],
                                     "predicted": ["a", "a", "b", "b", "b", "c", "a"]}
    # counted up, it is the confusion matrix above
    counts = pd.crosstab(table["actual"], table["predicted"]).reindex(
        index=NAMES, columns=NAMES, fill_value=0)
    assert counts.to_numpy().tolist() == [[2, 1, 0], [0, 2, 0], [1, 0, 1]]


def test_samples_markdown_takes_evenly_spaced_rows():
    texts = [f"text {i}" for i in range(7)]
    texts[3] = "a | b\n  c" + "x" * 300  # escaped pipe, collapsed whitespace, cut at 200
    out = samples_markdown(texts, Y_MULTI, P_MULTI.argmax(axis=1), P_MULTI, NAMES, 3)
    # spaced(7, 3) = linspace(0, 6, 3) = rows 0, 3, 6; the probability is the predicted class's
    assert out == (
        "| true | predicted | probability | text (first 200 characters) |\n"
        "|---|---|---|---|\n"
        "| a | a | 0.700 | text 0 |\n"
        "| b | b | 0.800 | a \\| b c" + "x" * (200 - len("a | b\n  c")) + " |\n"
        "| c | a | 0.500 | text 6 |\n")
    assert samples_markdown(texts, Y_MULTI, P_MULTI.argmax(axis=1), P_MULTI, NAMES, 0) == (
        "| true | predicted | probability | text (first 200 characters) |\n|---|---|---|---|\n")


# -- rnnlab.core.samples ----------------------------------------------------------------------

@pytest.mark.parametrize("total, count, expected", [
    (10, 4, [0, 3, 6, 9]),  # 9 / 3 = 3 apart
    (10, 3, [0, 4, 9]),  # 0, 4.5, 9, rounded down
    (7, 3, [0, 3, 6]),
    (5, 10, [0, 1, 2, 3, 4]),  # fewer rows than asked for: all of them, once
    (5, 5, [0, 1, 2, 3, 4]),
    (100, 1, [0]),
    (1, 3, [0]),
    (0, 3, []),
    (5, 0, []),
])
def test_spaced(total, count, expected):
    assert spaced(total, count) == expected


def test_spaced_is_sorted_distinct_and_spans_the_items():
    for total in range(2, 200):
        for count in range(2, 30):
            rows = spaced(total, count)
            assert len(rows) == len(set(rows)) == min(total, count)
            assert rows == sorted(rows) and rows[0] == 0 and rows[-1] == total - 1
            gaps = np.diff(rows)
            assert gaps.max() - gaps.min() <= 1  # evenly spaced, up to rounding


def test_markdown_table_escapes_pipes_and_collapses_whitespace():
    out = markdown_table(["name", "value"], [["x | y", "two\n  lines\t here"], [1, 0.5]])
    assert out == ("| name | value |\n"
                   "|---|---|\n"
                   "| x \\| y | two lines here |\n"
                   "| 1 | 0.5 |\n")
    assert markdown_table(["a"], []) == "| a |\n|---|\n"


def test_markdown_blocks_keep_text_verbatim_under_headings():
    out = markdown_blocks("Intro.", [("First", "line one\n  line two | kept"), ("Empty", "")])
    assert out == ("Intro.\n\n"
                   "### First\n\n```\nline one\n  line two | kept\n```\n\n"
                   "### Empty\n\n```\n\n```\n")
    assert markdown_blocks("Only.", []) == "Only.\n"
