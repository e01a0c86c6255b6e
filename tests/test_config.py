import copy
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, real_params

from rnnlab.core.errors import DataError, ParamsError
from rnnlab.core.params import from_mapping, load_entry, resolved, schema_of
from rnnlab.corpora.download import DownloadParams
from rnnlab.sections import RESOLVED_FILE, SECTIONS, load_all_params, resolved_yaml
from rnnlab.tasks.classify.params import TrainParams


def test_every_entry_of_the_real_params_file_is_valid():
    params = load_all_params(ROOT / "params.yaml")
    raw = real_params()
    assert set(params) == set(SECTIONS) == set(raw) - {"shared"}  # shared: blocks, no stage
    for section, schema in SECTIONS.items():
        assert set(params[section]) == set(raw[section])
        for name, entry in params[section].items():
            cls = schema_of(schema, raw[section][name], f"{section}.{name}")
            assert isinstance(entry, cls)
            # what its stage reads back from the params stage's file is the same entry
            written = json.loads(json.dumps(resolved(entry)))
            hook = getattr(entry, "resolved", None)
            assert from_mapping(cls, written, "here") == (hook() if callable(hook) else entry)


def test_the_committed_resolved_file_is_what_the_params_stage_writes():
    """params.resolved.yaml (git-tracked; `dvc params diff` and `dvc exp show` read it) is in
    step with params.yaml: run `dvc repro params` after editing params.yaml."""
    text = resolved_yaml(load_all_params(ROOT / "params.yaml"))
    assert (ROOT / RESOLVED_FILE).read_text(encoding="utf-8") == text
    assert yaml.safe_load(text)["train"]["r8"]["units"] == 64  # inherited from shared


def run_params_stage(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "stages" / "params.py"), "all"],
                          cwd=folder, capture_output=True, text=True,
                          env=os.environ | {"PYTHONPATH": str(ROOT)})


def test_params_stage_writes_each_entry_and_only_the_changed_one_changes(tmp_path):
    params = real_params()
    text = (ROOT / "params.yaml").read_text(encoding="utf-8")
    (tmp_path / "params.yaml").write_text(text, encoding="utf-8")
    assert run_params_stage(tmp_path).returncode == 0
    files = {p: p.read_bytes() for p in (tmp_path / "data" / "params").rglob("*.json")}
    assert len(files) == sum(len(entries) for section, entries in params.items()
                             if section != "shared")
    # each entry is written resolved: defaults filled in, keys that do not apply left out
    checked = load_all_params(tmp_path / "params.yaml")
    for path in files:
        section, name = path.parent.name, path.stem
        assert json.loads(path.read_text()) == resolved(checked[section][name]), path
    r8 = tmp_path / "data" / "params" / "train" / "r8.json"

    # the block train.r8 extends (r52, reuters46 and imdb write their own units)
    assert text.count("\n    units: 64\n") == 1 and params["shared"]["reuters_train"]["units"] == 64
    (tmp_path / "params.yaml").write_text(text.replace("\n    units: 64\n", "\n    units: 7\n"))
    assert run_params_stage(tmp_path).returncode == 0
    changed = [p for p, data in files.items() if p.read_bytes() != data]
    assert changed == [r8] and json.loads(r8.read_text())["units"] == 7
    everything = yaml.safe_load((tmp_path / RESOLVED_FILE).read_text())
    assert everything["train"]["r8"] == json.loads(r8.read_text())


def test_params_stage_refuses_an_unknown_section_in_one_line(tmp_path):
    params = real_params()
    params["trian"] = copy.deepcopy(params["train"])
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    result = run_params_stage(tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "params all: error: params.yaml: trian: unknown section (expected one of: "
        + ", ".join(SECTIONS) + ")"]
    assert not (tmp_path / "data" / "params").exists()


def imdb_train():
    return dict(real_params()["train"]["imdb"])


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


def test_missing_entry_says_how_to_write_it(in_tmp):
    """A stage reads its entry from the file the params stage wrote; none there is one line."""
    with pytest.raises(DataError, match=r"train/reuters.json: missing: no entry train.reuters "
                                        r"\(run `dvc repro params`"):
        load_entry("train", "reuters", TrainParams)
    entry = from_mapping(TrainParams, imdb_train(), "here")
    path = in_tmp / "data" / "params" / "train" / "imdb.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(resolved(entry)))
    assert load_entry("train", "imdb", TrainParams) == entry
    path.write_text(json.dumps(resolved(entry) | {"unitz": 1}))
    with pytest.raises(ParamsError, match=r"train/imdb.json: train.imdb.unitz: unknown key"):
        load_entry("train", "imdb", TrainParams)


def test_an_empty_entry_names_its_first_missing_key(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("train:\n  imdb: {}\n")
    with pytest.raises(ParamsError, match=r"params.yaml: train.imdb.seed: missing key"):
        load_all_params(path)


def test_dim_placeholders_are_filled():
    params = load_all_params(ROOT / "params.yaml")["download"]["glove"]
    assert isinstance(params, DownloadParams)
    wide = dataclasses.replace(params, dim=100).resolved()
    assert wide.mirror == "glove.6B.100d.txt.gz" and wide.expect == ["glove.6B.100d.txt"]
