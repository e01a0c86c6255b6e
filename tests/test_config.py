import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from rnnlab import config
from rnnlab.config import ParamsError, TrainParams, from_mapping, load_params


def test_every_entry_of_the_real_params_file_is_valid():
    params = config.load_all_params(ROOT / "params.yaml")
    assert set(params) == set(config.SECTIONS)
    for section, cls in config.SECTIONS.items():
        for name in params[section]:
            assert isinstance(load_params(section, name, cls, ROOT / "params.yaml"), cls)


def run_params_stage(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "stages" / "params.py"), "all"],
                          cwd=folder, capture_output=True, text=True,
                          env=os.environ | {"PYTHONPATH": str(ROOT)})


def test_params_stage_writes_each_entry_and_only_the_changed_one_changes(tmp_path):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert run_params_stage(tmp_path).returncode == 0
    files = {p: p.read_bytes() for p in (tmp_path / "data" / "params").rglob("*.json")}
    assert len(files) == sum(len(entries) for entries in params.values())
    imdb = tmp_path / "data" / "params" / "train" / "imdb.json"
    assert json.loads(imdb.read_text()) == params["train"]["imdb"]

    params["train"]["imdb"]["units"] = 7
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert run_params_stage(tmp_path).returncode == 0
    changed = [p for p, data in files.items() if p.read_bytes() != data]
    assert changed == [imdb] and json.loads(imdb.read_text())["units"] == 7


def test_params_stage_refuses_an_unknown_section_in_one_line(tmp_path):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["trian"] = params["train"]
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    result = run_params_stage(tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "params all: error: params.yaml: trian: unknown section (expected one of: "
        + ", ".join(config.SECTIONS) + ")"]
    assert not (tmp_path / "data" / "params").exists()


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
