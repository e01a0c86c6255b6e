"""A stored n-gram model (models/ngram/<task>.npz) whose order is out of bounds: above 10 (a
forged file whose refit would not end) or below 1, or not a whole number. Each is a one-line
DataError naming the file, raised before any refit; the file is left as it was. Orders 1 and 10,
the bounds, load."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from rnnlab.core.errors import DataError
from rnnlab.tasks.lm import ngram_eval
from rnnlab.tasks.lm.ngram_eval import MAX_STORED_ORDER, load_scorer
from rnnlab.text.vocab import EOL

CONFIG = {"order": 2, "smoothing": "add_k", "k": 1.0, "discount": 0.75, "level": "word",
          "standardize": "keras"}
TOKENS = np.asarray(["", "[UNK]", EOL, "thy", "love"])


def stored(root: Path, order: object, smoothing: str = "add_k") -> Path:
    path = root / "models" / "ngram" / "sonnets.npz"
    path.parent.mkdir(parents=True)
    config = CONFIG | {"order": order, "smoothing": smoothing}
    np.savez(path, train=np.asarray([2, 3, 4, 2]), vocab=TOKENS,
             config=np.asarray(json.dumps(config)))
    return path


@pytest.mark.parametrize("order", [1, MAX_STORED_ORDER])
def test_the_bounds_load(tmp_path, order):
    model, _ = load_scorer(stored(tmp_path, order))
    assert model.order == order == int(order)


ABOVE = [MAX_STORED_ORDER + 1, 12, 100, 10**9, 2**63]
BELOW = [0, -1, -100]
NOT_WHOLE = [2.5, "3", True, None, [2]]


@pytest.mark.parametrize("order", ABOVE + BELOW + NOT_WHOLE,
                         ids=[repr(o) for o in ABOVE + BELOW + NOT_WHOLE])
def test_an_order_out_of_bounds_is_named(tmp_path, monkeypatch, order):
    path = stored(tmp_path, order)
    before = path.read_bytes()

    def no_refit(*args, **kwargs):
        raise AssertionError("refitted a model whose order is out of bounds")

    monkeypatch.setattr(ngram_eval.NgramModel, "fit", no_refit)
    with pytest.raises(DataError) as err:
        load_scorer(path)
    message = str(err.value)
    assert "\n" not in message, message
    expected = (rf"order must be an integer between 1 and {MAX_STORED_ORDER}, got {order}"
                if order in ABOVE
                else rf"order must be an integer >= 1, got {re.escape(repr(order))}")
    assert re.fullmatch(rf"{re.escape(str(path))}: not an rnnlab n-gram model \({expected}\)",
                        message), message
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["sonnets.npz"]


@pytest.mark.parametrize("smoothing", ["add_k", "kneser_ney"])
def test_the_bound_holds_for_every_smoothing(tmp_path, smoothing):
    path = stored(tmp_path, MAX_STORED_ORDER + 1, smoothing)
    with pytest.raises(DataError, match=rf"^{re.escape(str(path))}: .*between 1 and 10, got 11"):
        load_scorer(path)
