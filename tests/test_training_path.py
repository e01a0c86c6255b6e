"""The one training path (`rnnlab.tasks.training`): every family trains through it, its model
summary goes to the model folder, and a failed training leaves the previous curves in place."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, real_params

from rnnlab.core.params import from_mapping
from rnnlab.sections import SECTIONS
from rnnlab.tasks import training
from rnnlab.tasks.lm.params import TrainLMParams

TRAINING_STAGES = {"train": "CLASSIFY", "finetune": "CLASSIFY", "train_lm": "LANGUAGE_MODEL",
                   "finetune_lm": "LANGUAGE_MODEL", "train_translation": "TRANSLATE",
                   "finetune_translation": "TRANSLATE", "pretrain": "PRETRAIN"}


def families() -> dict[str, training.Family]:
    from rnnlab.tasks.classify.train import CLASSIFY
    from rnnlab.tasks.lm.train import LANGUAGE_MODEL, PRETRAIN
    from rnnlab.tasks.translate.train import TRANSLATE

    return {"CLASSIFY": CLASSIFY, "LANGUAGE_MODEL": LANGUAGE_MODEL, "PRETRAIN": PRETRAIN,
            "TRANSLATE": TRANSLATE}


@pytest.mark.parametrize("stage", sorted(TRAINING_STAGES))
def test_every_training_stage_is_the_one_path_in_a_few_lines(stage):
    source = (ROOT / "stages" / f"{stage}.py").read_text()
    assert len(source.splitlines()) <= 20
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
             and getattr(node.func, "id", None) == "train_and_save"]
    assert len(calls) == 1
    family, section = calls[0].args[0].id, calls[0].args[1].value
    assert (family, section) == (TRAINING_STAGES[stage], stage)
    assert SECTIONS[stage] is families()[family].sections[stage]


def test_the_params_sections_come_from_the_families():
    for family in families().values():
        for section, schema in family.sections.items():
            assert SECTIONS[section] is schema


class Tiny(training.Family):
    """A next-token model on a few random windows: the path without any corpus."""

    kind = "lm"
    sections = {"tiny": TrainLMParams}

    def inputs(self, name: str, params: TrainLMParams) -> training.Inputs:
        from rnnlab.tasks.lm import data
        from rnnlab.tasks.lm.model import build_language_model
        from rnnlab.text.vocab import Vocab

        vocab = Vocab(["", "[UNK]", "a", "b", "c"], "word", "none")
        x = np.random.default_rng(0).integers(1, 5, size=(16, 6))
        return training.Inputs(
            train=data.arrays_dataset(x, x, 4, params.seed),
            val=data.arrays_dataset(x, x, 4, seed=None), vocab=vocab,
            build=lambda: build_language_model(params, len(vocab), many_to_many=True),
            files={"vocab.json": vocab}, meta={"task": name, "recipe": "windows",
                                                "level": "word", "context": 6})


def tiny_params() -> TrainLMParams:
    values = real_params()["train_lm"]["shakespeare_char"] | {
        "embedding_dim": 3, "units": 4, "epochs": 2, "batch_size": 4, "dense_units": 0}
    values.pop("l2", None)
    return from_mapping(TrainLMParams, values, "tiny")


def test_a_training_saves_its_summary_in_the_model_folder_not_in_the_log(tmp_path, monkeypatch,
                                                                       capsys):
    monkeypatch.chdir(tmp_path)
    training.train_and_save(Tiny(), "tiny", "toy", tiny_params())
    folder = Path("models/toy")
    assert "embedding" in (folder / training.SUMMARY_FILE).read_text()
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["epochs_run"] == 2 and meta["task"] == "toy"
    out = capsys.readouterr().out
    assert "Total params" not in out
    assert out.splitlines()[-1].startswith("toy: trained 2 epochs in ")


def test_a_failed_training_leaves_the_previous_curves_and_model(tmp_path, monkeypatch):
    from rnnlab.tasks import fit

    monkeypatch.chdir(tmp_path)
    training.train_and_save(Tiny(), "tiny", "toy", tiny_params())
    curves = Path("plots/train/toy")
    before = {p: p.read_bytes() for p in sorted(curves.rglob("*")) if p.is_file()}
    model_before = Path("models/toy/model.keras").read_bytes()
    assert before

    def failing_fit(model, train, val, params, live_dir, *args, **kwargs):
        (live_dir / "metrics.json").write_text("half")
        (live_dir / "new.tsv").write_text("step\n")
        raise RuntimeError("the machine ran out of memory in epoch 2")

    monkeypatch.setattr(fit, "fit", failing_fit)
    with pytest.raises(RuntimeError, match="out of memory"):
        training.train_and_save(Tiny(), "tiny", "toy", tiny_params())
    assert {p: p.read_bytes() for p in sorted(curves.rglob("*")) if p.is_file()} == before
    assert Path("models/toy/model.keras").read_bytes() == model_before
    assert not any(Path(".rnnlab/before").rglob("*.tsv"))  # the copy is cleaned up


@pytest.mark.parametrize("existed", [True, False])
def test_restored_on_failure_puts_back_exactly_what_was_there(tmp_path, monkeypatch, existed):
    monkeypatch.chdir(tmp_path)
    folder = Path("plots/train/task")
    if existed:
        folder.mkdir(parents=True)
        (folder / "a.tsv").write_text("old")
    with pytest.raises(KeyError), training.restored_on_failure(folder):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "a.tsv").write_text("new")
        (folder / "b.tsv").write_text("new")
        raise KeyError("boom")
    assert folder.is_dir() == existed
    if existed:
        assert [p.name for p in folder.iterdir()] == ["a.tsv"]
        assert (folder / "a.tsv").read_text() == "old"
    with training.restored_on_failure(folder):  # success keeps the new curves
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "c.tsv").write_text("new")
    assert (folder / "c.tsv").read_text() == "new"
