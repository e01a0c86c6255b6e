import dataclasses

import pytest
import yaml
from conftest import ROOT

from rnnlab import config
from rnnlab.config import ParamsError, TrainParams, from_mapping, load_params

SECTIONS = {
    "download": config.DownloadParams, "prepare": config.PrepareParams,
    "vocab": config.VocabParams, "sequences": config.SequencesParams,
    "embeddings": config.EmbeddingsParams, "train": config.TrainParams,
    "baseline": config.BaselineParams, "evaluate": config.EvaluateParams,
}


def test_every_entry_of_the_real_params_file_is_valid():
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    checked = 0
    for stage, cls in SECTIONS.items():
        for name in params[stage]:
            load_params(stage, name, cls, ROOT / "params.yaml")
            checked += 1
    assert checked >= len(SECTIONS)


def imdb_train():
    return dict(yaml.safe_load((ROOT / "params.yaml").read_text())["train"]["imdb"])


def test_unknown_key_is_refused_with_its_name():
    values = imdb_train() | {"unitz": 128}
    with pytest.raises(ParamsError, match=r"train.imdb.unitz: unknown key"):
        from_mapping(TrainParams, values, "params.yaml: train.imdb")


def test_missing_key_is_refused():
    values = imdb_train()
    del values["units"]
    with pytest.raises(ParamsError, match=r"train.imdb.units: missing key"):
        from_mapping(TrainParams, values, "params.yaml: train.imdb")


@pytest.mark.parametrize("key, value, message", [
    ("units", "64", "expected int"),
    ("units", True, "expected int"),
    ("cell", "transformer", "expected one of simple_rnn | lstm | gru"),
    ("bidirectional", "yes", "expected bool"),
    ("learning_rate", "fast", "expected float"),
])
def test_mistyped_values_are_refused(key, value, message):
    with pytest.raises(ParamsError, match=f"train.imdb.{key}: {message}"):
        from_mapping(TrainParams, imdb_train() | {key: value}, "params.yaml: train.imdb")


def test_numbers_are_read_as_yaml_writes_them():
    values = imdb_train() | {"learning_rate": "1e-3", "dropout": 0, "clipnorm": None}
    params = from_mapping(TrainParams, values, "here")
    assert params.learning_rate == 0.001 and isinstance(params.dropout, float)
    assert params.clipnorm is None


def test_missing_section_names_the_known_ones(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("train:\n  imdb: {}\n")
    with pytest.raises(ParamsError, match=r"train.reuters: missing section \(known: imdb\)"):
        load_params("train", "reuters", TrainParams, path)


def test_dim_placeholders_are_filled():
    params = load_params("download", "glove", config.DownloadParams, ROOT / "params.yaml")
    wide = dataclasses.replace(params, dim=100).resolved()
    assert wide.mirror == "glove.6B.100d.txt.gz" and wide.expect == ["glove.6B.100d.txt"]
