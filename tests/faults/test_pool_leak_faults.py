"""A pretraining pool built from ANOTHER prepare entry of the corpus a fine-tuned task reads: that
entry splits the corpus its own way (another scheme, seed or fraction), so any split of it may
hold the text the task is measured on. params.yaml is refused with one line naming
`pretrain.<name>.pool`, and is left as it was.

Allowed: a pool of another corpus (the real config: sonnets and por_eng from Shakespeare), a
pool of the task's own entry without its held-out split, and Reuters' `scheme: pool` entry on a
task measured on `test` (it sets every Reuters task's test documents apart)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from rnnlab.core.errors import ParamsError
from rnnlab.core.params import read_yaml
from rnnlab.sections import load_all_params

RAW = read_yaml(ROOT / "params.yaml")


def reuters_finetune(params: dict, task: str, pool: str, splits: list[str]) -> None:
    """finetune.<task> from a pretraining `leak` of prepare.<pool>'s `splits`."""
    params["pretrain"]["leak"] = {"extends": "reuters_pretrain", "pool": pool, "splits": splits}
    params["finetune"] = {task: {"extends": "reuters_finetune", "pretrained": "leak"}}
    params["train"].pop(task)


def lm_finetune(params: dict, task: str, pool: str, splits: list[str]) -> None:
    """finetune_lm.<task> (sheldon's settings) from `leak`: pretrain.shakespeare_char's
    settings, pooling prepare.<pool>'s `splits`."""
    params["pretrain"]["leak"] = params["pretrain"]["shakespeare_char"] | {
        "pool": pool, "splits": splits}
    params["finetune_lm"][task] = params["finetune_lm"]["sheldon"] | {"pretrained": "leak"}
    params["train_lm"].pop(task, None)


def translation_from(params: dict, pool: str, splits: list[str]) -> None:
    """finetune_translation.por_eng from `leak`: pretrain.shakespeare_word's settings, pooling
    prepare.<pool>'s `splits`."""
    params["pretrain"]["leak"] = params["pretrain"]["shakespeare_word"] | {
        "pool": pool, "splits": splits}
    params["finetune_translation"]["por_eng"]["pretrained"] = "leak"


def another_entry(params: dict, name: str, like: str, **changes) -> None:
    params["prepare"][name] = copy.deepcopy(params["prepare"][like]) | changes


LEAKS = {  # case: (change, pretrain entry, task, held-out split, the pooled entry)
    "r8-from-r52-train": (lambda p: reuters_finetune(p, "r8", "r52", ["train"]), "r8", "test",
                          "r52"),
    "r8-from-reuters46-train-val": (
        lambda p: reuters_finetune(p, "r8", "reuters46", ["train", "val"]), "r8", "test",
        "reuters46"),
    "r52-from-r8-val": (lambda p: reuters_finetune(p, "r52", "r8", ["val"]), "r52", "test",
                        "r8"),
    "reuters46-from-r8-train": (lambda p: reuters_finetune(p, "reuters46", "r8", ["train"]),
                                "reuters46", "test", "r8"),
    "shakespeare_char-from-shakespeare_word": (
        lambda p: lm_finetune(p, "shakespeare_char", "shakespeare_word", ["train"]),
        "shakespeare_char", "val", "shakespeare_word"),
    "shakespeare_char-from-shakespeare_word-train-val": (
        lambda p: lm_finetune(p, "shakespeare_char", "shakespeare_word", ["train", "val"]),
        "shakespeare_char", "val", "shakespeare_word"),
    "sonnets-from-another-sonnets-split": (
        lambda p: (another_entry(p, "sonnets_b", "sonnets", seed=7),
                   lm_finetune(p, "sonnets", "sonnets_b", ["train"])),
        "sonnets", "test", "sonnets_b"),
    "por_eng-from-another-por_eng-split": (
        lambda p: (another_entry(p, "por_eng_b", "por_eng", seed=7),
                   translation_from(p, "por_eng_b", ["train"])),
        "por_eng", "test", "por_eng_b"),
    "por_eng-from-another-fraction": (
        lambda p: (another_entry(p, "por_eng_b", "por_eng", test_fraction=0.2),
                   translation_from(p, "por_eng_b", ["train", "val"])),
        "por_eng", "test", "por_eng_b"),
}


def write(tmp_path: Path, change) -> Path:
    params = copy.deepcopy(RAW)
    change(params)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


@pytest.mark.parametrize("case", LEAKS)
def test_a_pool_of_another_entry_of_the_same_corpus_is_refused(tmp_path, case):
    change, task, held_out, pooled = LEAKS[case]
    path = write(tmp_path, change)
    before = path.read_bytes()
    with pytest.raises(ParamsError) as err:
        load_all_params(path)
    message = str(err.value)
    assert "\n" not in message, message
    assert re.match(rf"^{re.escape(str(path))}: pretrain\.leak\.pool: prepare\.{pooled} is "
                    rf"another split of corpus '\w+', which \w+\.{task} reads as prepare\.\w+; "
                    rf"its splits .* could hold {task}'s {held_out} split, the text {task} is "
                    r"measured on", message), message
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]


ALLOWED = {
    "the-real-config": lambda p: None,
    "r8-from-the-reuters-pool": lambda p: reuters_finetune(p, "r8", "reuters_pool",
                                                           ["unlabelled"]),
    "reuters46-from-the-reuters-pool": lambda p: reuters_finetune(p, "reuters46",
                                                                  "reuters_pool", ["unlabelled"]),
    "sonnets-from-its-own-train": lambda p: lm_finetune(p, "sonnets", "sonnets", ["train"]),
    "por_eng-from-another-corpus": lambda p: translation_from(p, "shakespeare_word",
                                                              ["train", "val"]),
}


@pytest.mark.parametrize("case", ALLOWED)
def test_pools_that_cannot_hold_the_measured_text_are_allowed(tmp_path, case):
    load_all_params(write(tmp_path, ALLOWED[case]))


def test_the_pools_own_held_out_rule_still_comes_first(tmp_path):
    path = write(tmp_path, lambda p: lm_finetune(p, "sonnets", "sonnets", ["train", "val"])
                 or p["evaluate_lm"]["sonnets"].update(split="val"))
    with pytest.raises(ParamsError, match=r"finetune_lm\.sonnets\.pretrained: pretrain\.leak "
                                          r"pools sonnets's val split"):
        load_all_params(path)
