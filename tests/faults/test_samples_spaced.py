"""`spaced` (rnnlab/core/samples.py), the rows every samples table shows: exact, not float.

Index `i` of `k` is `i * (total - 1) / (k - 1)` rounded down. The float `linspace` it used
to be rounded 14.999… down to 14 where the exact value is 15, so a samples table could show the
row before the one its rule names. (The plain cases are in tests/test_evaluation.py.)
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from rnnlab.core.samples import spaced


@pytest.mark.parametrize("total, count, index, row", [
    (31, 23, 11, 15),  # 11 * 30 / 22 = 15 exactly; linspace gave 14.999…
    (46, 34, 11, 15),
    (61, 45, 22, 30),
])
def test_an_exact_whole_number_is_that_row(total, count, index, row):
    assert spaced(total, count)[index] == row


def test_every_index_is_the_exact_value_rounded_down():
    for total in range(1, 300):
        for count in range(1, 70):
            k = min(count, total)
            exact = [0] if k == 1 else [math.floor(Fraction(i * (total - 1), k - 1))
                                        for i in range(k)]
            assert spaced(total, count) == exact, (total, count)


def test_huge_totals_stay_exact():
    # beyond 2**53 a float cannot even hold the last index
    total = 2**60 + 3
    assert spaced(total, 3) == [0, 2**59 + 1, 2**60 + 2]
