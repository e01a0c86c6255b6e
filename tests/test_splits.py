import pandas as pd
import pytest

from rnnlab.text.splits import carve_validation


def table():
    labels = [0] * 50 + [1] * 30 + [2] * 1
    return pd.DataFrame({"label": labels + [0, 1], "split": ["train"] * 81 + ["test"] * 2})


def test_validation_is_stratified_seeded_and_leaves_test_alone():
    out = carve_validation(table(), 0.2, seed=1)
    val = out[out["split"] == "val"]
    assert val["label"].value_counts().to_dict() == {0: 10, 1: 6}
    assert (out.loc[81:, "split"] == "test").all()
    assert out[out["label"] == 2]["split"].tolist() == ["train"]  # a lone doc stays in train
    assert carve_validation(table(), 0.2, seed=1).equals(out)
    assert not carve_validation(table(), 0.2, seed=2).equals(out)


def test_bad_fraction_is_refused():
    with pytest.raises(ValueError, match="val_fraction must be between 0 and 1"):
        carve_validation(table(), 1.5, seed=0)
