"""Faults in params.yaml: every bounded number out of range, wrong types, missing, unknown and
duplicate keys, keys that do not apply, broken `extends` (unknown block, cycle, not a name, an
inherited key dvc.yaml reads), anchors, aliases and merge keys, empty or invalid YAML; and the
`params` stage, which must fail with one line and leave data/params as it was.

Each case writes a params file into a temporary folder (the real params.yaml, its entries
resolved and one value changed; or a single real entry, where only its own section matters) and
reads it with `load_all_params`, as the `params` stage does.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import re
import shutil
import subprocess
import sys
import time
import typing
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, real_params
from faultkit import leftovers, one_line, snapshot

from rnnlab.core.errors import ParamsError
from rnnlab.core.params import from_mapping, read_yaml, resolved
from rnnlab.sections import SECTIONS, load_all_params
from rnnlab.tasks.classify.params import TrainParams

REAL = real_params()  # every entry's values in effect (and `shared`, each block resolved)
RAW = read_yaml(ROOT / "params.yaml")  # as written: entries `extends` the shared blocks
CHECKED = load_all_params(ROOT / "params.yaml")
SIGNS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}

# Fields that apply to no entry of the real file: the changes that make them apply.
ENABLE = {
    ("train", "embedding_dim"): {"embedding": "learned", "embedding_dim": 64},
    ("train", "conv_kernel"): {"conv_filters": 16, "conv_kernel": 5, "conv_pool": 2},
    ("train", "conv_pool"): {"conv_filters": 16, "conv_kernel": 5, "conv_pool": 2},
    ("train", "between_dense"): {"layers": 2},
    ("train_lm", "l2"): {"dense_units": 64},
    ("embeddings", "seed"): {"missing": "random", "seed": 0},
    ("lm_sequences", "maxlen"): {"recipe": "prefixes", "sentence_size": ..., "step": ...},
}

# Bounded fields no entry can use: their `when` needs what the schema's check() refuses, so no
# change makes them apply and they get no range case. test_what_would_make_an_unusable_field_
# apply_is_refused shows the refusal, and a NOT_APPLYING case still covers each.
UNUSABLE = {
    ("pretrain", "l2"): "dense_units > 0, which PretrainParams.check refuses",
    ("finetune_lm", "l2"): "dense_units > 0, which FinetuneLMParams.check refuses",
}


def with_changes(entry: dict, values: dict) -> dict:
    """`entry` with `values` set (`...`: the key removed)."""
    entry = dict(entry)
    for key, value in values.items():
        if value is ...:
            entry.pop(key, None)
        else:
            entry[key] = value
    return entry


class Unaliased(yaml.SafeDumper):
    """A value two entries share is written out twice, never as an anchor (refused)."""

    def ignore_aliases(self, data) -> bool:
        return True


def write_params(folder: Path, params: dict) -> Path:
    path = folder / "params.yaml"
    path.write_text(yaml.dump(params, Dumper=Unaliased, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def changed(section: str, name: str, *, whole: bool = False, **values) -> dict:
    """The real `section` (the whole real file if `whole`) with `values` set in `section.name`
    (`...`: the key removed)."""
    params = copy.deepcopy(REAL if whole else {section: REAL[section]})
    params[section][name] = with_changes(params[section][name], values)
    return params


def load_error(folder: Path, params: dict) -> str:
    path = write_params(folder, params)
    with pytest.raises(ParamsError) as err:
        load_all_params(path)
    message = str(err.value)
    assert "\n" not in message
    return message.removeprefix(f"{path}: ")


def classes() -> list[tuple[str, type, list[str]]]:
    """(section, dataclass, entries it checks) for every schema the real file uses."""
    out: dict[tuple[str, type], list[str]] = {}
    for section in SECTIONS:
        for name, entry in CHECKED[section].items():
            out.setdefault((section, type(entry)), []).append(name)
    return [(section, cls, names) for (section, cls), names in out.items()]


def applies(field: dataclasses.Field, entry: object) -> bool:
    return "when" not in field.metadata or field.metadata["when"](entry)


# ------------------------------------------------------------------ ranges


def violating(bound: str, limit: float, is_float: bool) -> float | int:
    """The nearest value outside the bound: the limit itself for an open one."""
    step = 0.5 if is_float else 1
    value = {"gt": limit, "lt": limit, "ge": limit - step, "le": limit + step}[bound]
    return float(value) if is_float else int(value)


def range_cases():
    for section, cls, names in classes():
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            bounds = field.metadata.get("bounds") or {}
            if not bounds or (section, field.name) in UNUSABLE:
                continue
            hint = hints[field.name]
            is_list = any(typing.get_origin(option) is list  # list[float] | None too
                          for option in (hint, *typing.get_args(hint)))
            options = [hint, *typing.get_args(hint)]
            is_float = float in [*options, *(arg for o in options for arg in typing.get_args(o))]
            fitting = [n for n in names if applies(field, CHECKED[section][n])]
            fitting.sort(key=lambda n: getattr(CHECKED[section][n], field.name) is None)
            name = fitting[0] if fitting else names[0]
            enable = ENABLE.get((section, field.name), {})
            usable = bool(fitting or enable)
            for bound, limit in bounds.items():
                value = violating(bound, limit, is_float)
                yield pytest.param(section, name, field.name, value, is_list, enable, bounds,
                                   usable, id=f"{section}.{name}.{field.name}-{bound}{limit}")


@pytest.mark.parametrize("section, name, key, value, is_list, enable, bounds, usable",
                         list(range_cases()))
def test_out_of_range(tmp_path, section, name, key, value, is_list, enable, bounds, usable):
    if not usable:
        pytest.fail(f"{section}.{key} applies to no real entry: add the change that makes it "
                    "apply to ENABLE")
    values = with_changes(REAL[section][name], enable | {key: [value] if is_list else value})
    wanted = " and ".join(f"{SIGNS[b]} {limit}" for b, limit in bounds.items())
    message = load_error(tmp_path, {section: {name: values}})
    assert message == f"{section}.{name}.{key}: expected a value {wanted}, got {value!r}"


def test_every_bounded_field_of_every_schema_has_a_range_case():
    covered = {(section, type(CHECKED[section][name]), key)
               for section, name, key, *_ in (p.values for p in range_cases())}
    bounded = {(section, cls, f.name) for section, cls, _ in classes()
               for f in dataclasses.fields(cls) if f.metadata.get("bounds")}
    unusable = {(section, cls, key) for section, cls, key in bounded
                if (section, key) in UNUSABLE}
    assert {(section, key) for section, _, key in unusable} == set(UNUSABLE)  # none stale
    assert covered == bounded - unusable and len(covered) >= 70


@pytest.mark.parametrize("section, name, message", [
    ("pretrain", "shakespeare_word", "dense_units: tasks copy the output layer, which must read "
                                     "the recurrent state; expected 0"),
    ("finetune_lm", "sheldon", "dense_units: the pretrained output layer reads the recurrent "
                               "state; expected 0"),
], ids=["pretrain", "finetune_lm"])
def test_what_would_make_an_unusable_field_apply_is_refused(tmp_path, section, name, message):
    """Why UNUSABLE holds what it does: the change that would make `l2` apply is refused."""
    assert (section, "l2") in UNUSABLE
    params = changed(section, name, dense_units=64, l2=0.01)
    assert load_error(tmp_path, params) == f"{section}.{name}.{message}"


@pytest.mark.parametrize("section, name, key, value", [
    ("train", "r8", "learning_rate", math.inf),
    ("train", "r8", "dropout", math.nan),
    ("evaluate_lm", "sonnets", "temperature", -math.inf),
    ("ngram", "sonnets", "discount", math.nan),
], ids=["learning_rate-inf", "dropout-nan", "temperature-minus-inf", "discount-nan"])
def test_a_non_finite_number_is_refused(tmp_path, section, name, key, value):
    message = load_error(tmp_path, changed(section, name, **{key: value}))
    assert message == f"{section}.{name}.{key}: expected a finite number, got {value!r}"


def test_a_glove_dim_below_one_is_refused(tmp_path):
    message = load_error(tmp_path, changed("download", "glove", dim=0))
    assert message.startswith("download.glove.dim: expected a value ≥ 1")


# ------------------------------------------------------------------ types


def typed(section, name, key, value, expected):
    return pytest.param(section, name, key, value, expected, id=f"{section}.{key}={value!r}")


@pytest.mark.parametrize("section, name, key, value, expected", [
    typed("train", "r8", "units", "64", "expected int, got '64'"),
    typed("train", "r8", "units", 64.5, "expected int, got 64.5"),
    typed("train", "r8", "epochs", True, "expected int, got True"),
    typed("train", "r8", "learning_rate", "fast", "expected float, got 'fast'"),
    typed("train", "r8", "learning_rate", False, "expected float, got False"),
    typed("train", "r8", "mask_zero", "yes", "expected bool, got 'yes'"),
    typed("train", "r8", "mask_zero", 1, "expected bool, got 1"),
    typed("train", "r8", "cell", "transformer",
          "expected one of simple_rnn | lstm | gru, got 'transformer'"),
    typed("train", "r8", "optimizer", "adamw",
          "expected one of adam | rmsprop | sgd, got 'adamw'"),
    typed("train", "r8", "pooling", None,
          "expected one of last | max | mean | concat, got None"),
    typed("baseline", "imdb", "c_grid", 1.0, "expected a list, got 1.0"),
    typed("baseline", "imdb", "c_grid", [1.0, "x"], "[1]: expected float, got 'x'"),
    typed("evaluate_lm", "sonnets", "prompts", "a prompt", "expected a list, got 'a prompt'"),
    typed("evaluate_lm", "sonnets", "prompts", ["ok", 1], "[1]: expected str, got 1"),
    typed("download", "glove", "member_sha256", ["x"], "expected a mapping, got ['x']"),
    typed("download", "imdb", "unpack", "rar",
          "expected one of file | tar | zip | gzip, got 'rar'"),
    typed("download", "imdb", "expect", "aclImdb.tar", "expected a list, got 'aclImdb.tar'"),
    typed("download", "glove", "dim", "50", "expected int, got '50'"),
    typed("vocab", "imdb", "level", "sentence", "expected one of word | char, got 'sentence'"),
    typed("prepare", "r8", "scheme", "r10",
          "expected one of r8 | r52 | reuters46 | pool, got 'r10'"),
    typed("evaluate_translation", "por_eng", "data", 7, "expected str, got 7"),
])
def test_a_wrong_type_names_the_key_and_the_type_expected(tmp_path, section, name, key, value,
                                                          expected):
    message = load_error(tmp_path, changed(section, name, **{key: value}))
    separator = "" if expected.startswith("[") else ": "  # a list's element: by its index
    assert message == f"{section}.{name}.{key}{separator}{expected}"


def test_a_yaml_1_1_exponent_string_is_read_as_the_number_it_means(tmp_path):
    """Documented: YAML 1.1 reads `1e-3` as a string; a float key accepts it."""
    path = tmp_path / "params.yaml"
    text = (ROOT / "params.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("learning_rate: 0.001\n", "learning_rate: 1e-3\n", 1))
    assert load_all_params(path)["train"]["r8"].learning_rate == 0.001


@pytest.mark.parametrize("section, name, changes, message", [
    ("baseline", "imdb", {"c_grid": []}, "c_grid: expected at least one value"),
    ("ngram", "sonnets", {"smoothings": [], "k": ..., "discount": ...},
     "smoothings: expected at least one of add_k, kneser_ney"),
    ("ngram", "sonnets", {"score_order": 4}, "score_order: 4 with kneser_ney is not among the "
                                             "models fitted (orders 1..3, add_k, kneser_ney)"),
    ("ngram", "sonnets", {"score_order": 1}, "score_order: kneser_ney needs an order of at "
                                             "least 2"),
    ("train", "r8", {"cell": ["gru", "lstm"]}, "cell: lists 2 values for 1 layers"),
    ("train_lm", "shakespeare_char", {"units": [256, 128], "bidirectional": [False] * 3},
     "units: lists 2 values for 3 layers"),
], ids=["empty-c_grid", "no-smoothing", "score-order-above-max", "kneser-ney-unigram",
        "cell-list-too-long", "lists-disagree"])
def test_an_entry_that_contradicts_itself_names_the_key(tmp_path, section, name, changes,
                                                        message):
    assert load_error(tmp_path, changed(section, name, **changes)) == f"{section}.{name}.{message}"


# ------------------------------------------------------------------ pretraining and fine-tuning


def finetuned_classifier(**values) -> dict:
    """The real file with `finetune.r8` from shared.reuters_finetune (`values` set in it), and no
    train.r8: params.yaml's own example, less its pretrain.reuters."""
    params = copy.deepcopy(REAL)
    del params["train"]["r8"]
    params["finetune"] = {"r8": with_changes(REAL["shared"]["reuters_finetune"], values)}
    return params


def also_in_train_lm() -> dict:
    params = copy.deepcopy(REAL)
    params["train_lm"]["sheldon"] = REAL["train_lm"]["shakespeare_char"]
    return params


def pooling_sheldon() -> dict:
    """finetune_lm.sheldon from a pretraining that pools sheldon's train and val lines."""
    params = changed("finetune_lm", "sheldon", whole=True, pretrained="sheldon_lines")
    params["pretrain"]["sheldon_lines"] = with_changes(REAL["pretrain"]["shakespeare_char"],
                                                       {"pool": "sheldon"})
    return params


def no_pretrain() -> dict:
    params = copy.deepcopy(REAL)
    params["pretrain"] = {}  # an empty section is accepted; what needs an entry of it is not
    return params


@pytest.mark.parametrize("params, message", [
    pytest.param(changed("pretrain", "shakespeare_word", splits=["train", "test"]),
                 "pretrain.shakespeare_word.splits: 'test' would put test text into the pool; "
                 "pool only splits no task is measured on", id="pool-of-test"),
    pytest.param(changed("pretrain", "shakespeare_word", splits=[]),
                 "pretrain.shakespeare_word.splits: expected at least one split to pool",
                 id="pool-of-nothing"),
    pytest.param(changed("pretrain", "shakespeare_char", bidirectional=True),
                 "pretrain.shakespeare_char.bidirectional: a windows language model would see "
                 "the tokens it must predict", id="bidirectional-pretraining"),
    pytest.param(changed("pretrain", "shakespeare_word", whole=True, pool="shakespeare"),
                 "pretrain.shakespeare_word.pool: no prepare entry 'shakespeare'",
                 id="pool-not-prepared"),
    pytest.param(changed("finetune_lm", "sheldon", whole=True, pretrained="sheldon"),
                 "finetune_lm.sheldon.pretrained: no pretrain entry 'sheldon' (expected one of: "
                 "shakespeare_word, shakespeare_char)", id="missing-pretraining"),
    pytest.param(no_pretrain(),
                 "finetune_lm.sonnets.pretrained: no pretrain entry 'shakespeare_word' "
                 "(expected one of: none)", id="no-pretraining-at-all"),
    pytest.param(changed("finetune_lm", "sheldon", whole=True, units=256),
                 "finetune_lm.sheldon: layers [['gru', 256]] does not match "
                 "pretrain.shakespeare_char's [['gru', 384]] (cell and units per layer must "
                 "agree)", id="units-differ"),
    pytest.param(changed("finetune_lm", "sonnets", whole=True, embedding_dim=64),
                 "finetune_lm.sonnets: embedding_dim 64 does not match "
                 "pretrain.shakespeare_word's 128 (cell and units per layer must agree)",
                 id="embedding-dim-differs"),
    pytest.param(also_in_train_lm(),
                 "finetune_lm.sheldon: also in train_lm; a task's model is trained one way "
                 "(remove one entry)", id="trained-two-ways"),
    pytest.param(pooling_sheldon(),
                 "finetune_lm.sheldon.pretrained: pretrain.sheldon_lines pools sheldon's val "
                 "split, the text sheldon is measured on", id="pools-its-held-out-text"),
    pytest.param(changed("lm_sequences", "sonnets", whole=True, recipe="prefixes",
                         sentence_size=..., step=...),
                 "finetune_lm.sonnets.pretrained: lm_sequences.sonnets.recipe must be windows, "
                 "the pretrained model's", id="prefixes-recipe"),
    pytest.param(finetuned_classifier(),
                 "finetune.r8.pretrained: no pretrain entry 'reuters' (expected one of: "
                 "shakespeare_word, shakespeare_char)", id="classifier-missing-pretraining"),
    pytest.param(finetuned_classifier(bidirectional=True),
                 "finetune.r8.bidirectional: a pretrained language model reads left to right; "
                 "expected false", id="classifier-bidirectional"),
    pytest.param(changed("finetune_translation", "por_eng", strategy="mirrored"),
                 "finetune_translation.por_eng.strategy: translation trains on one device; "
                 "expected default, got mirrored", id="translation-strategy"),
    pytest.param(changed("prepare", "reuters_pool", whole=True, seed=7),
                 "prepare.reuters_pool.seed: 7 is not the reuters46 entries' seed [42], so "
                 "their test documents would be pooled", id="pool-seed-not-reuters46s"),
])
def test_a_pretraining_or_fine_tuning_that_cannot_work_is_one_line(tmp_path, params, message):
    assert load_error(tmp_path, params) == message


# ------------------------------------------------------------------ keys


def first_required(cls: type) -> str:
    return next(f.name for f in dataclasses.fields(cls) if "when" not in f.metadata
                and f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING)


SECTION_ENTRIES = [(section, next(iter(REAL[section]))) for section in SECTIONS
                   if REAL[section]]  # a section may have no entries (finetune)


@pytest.mark.parametrize("section, name", SECTION_ENTRIES, ids=[s for s, _ in SECTION_ENTRIES])
def test_a_missing_key_is_named(tmp_path, section, name):
    key = first_required(type(CHECKED[section][name]))
    message = load_error(tmp_path, changed(section, name, **{key: ...}))
    if section == "prepare":  # the corpus picks the schema
        assert message.startswith(f"prepare.{name}.corpus: expected one of imdb | por_eng")
    else:
        assert message == f"{section}.{name}.{key}: missing key"


@pytest.mark.parametrize("section, name", SECTION_ENTRIES, ids=[s for s, _ in SECTION_ENTRIES])
def test_an_unknown_key_is_named_with_the_keys_expected(tmp_path, section, name):
    fields = [f.name for f in dataclasses.fields(type(CHECKED[section][name]))]
    message = load_error(tmp_path, changed(section, name, colour="blue"))
    assert message == (f"{section}.{name}.colour: unknown key (expected one of: "
                       f"{', '.join(fields)})")


def test_a_typo_never_trains_the_default(tmp_path):
    """The module's own example: `-S train.r52.unitz=128`."""
    message = load_error(tmp_path, changed("train", "r52", unitz=128))
    assert message.startswith("train.r52.unitz: unknown key (expected one of: seed, ")


NBSVM_KEYS = ("nbsvm_c_grid", "nbsvm_ngram_max", "nbsvm_min_df", "nbsvm_beta_grid")
NOT_APPLYING = [
    ("train", "r8", "embedding_dim", 64, "embedding: learned only; GloVe fixes its own size", {}),
    ("train", "r8", "conv_kernel", 5, "conv_filters > 0 only", {}),
    ("train", "r8", "conv_pool", 2, "conv_filters > 0 only", {}),
    ("train", "r8", "between_dense", 32, "layers > 1 only", {}),
    ("train", "r8", "bucket_span", 20, "bucketing: true only", {"bucketing": False}),
    ("finetune_translation", "por_eng", "attention", "luong", "architecture: attention only",
     {"architecture": "basic"}),
    ("lm_sequences", "sonnets", "sentence_size", 10, "recipe: windows only",
     {"recipe": "prefixes", "step": ...}),
    ("lm_sequences", "sonnets", "step", 10, "recipe: windows only",
     {"recipe": "prefixes", "sentence_size": ...}),
    ("lm_sequences", "shakespeare_char", "maxlen", 10, "recipe: prefixes only", {}),
    ("ngram", "sonnets", "k", 0.5, "add_k smoothing only",
     {"smoothings": ["kneser_ney"]}),
    ("ngram", "sonnets", "discount", 0.5, "kneser_ney smoothing only",
     {"smoothings": ["add_k"], "score_smoothing": "add_k"}),
    ("train_lm", "shakespeare_char", "l2", 0.01, "dense_units > 0 only", {}),
    ("pretrain", "shakespeare_word", "l2", 0.01, "dense_units > 0 only", {}),
    ("finetune_lm", "sheldon", "l2", 0.01, "dense_units > 0 only", {}),
    ("embeddings", "reuters46", "seed", 1, "missing: random or word2vec vectors only", {}),
    *[("embeddings", "reuters46", key, value, "word2vec vectors only", {})
      for key, value in (("word2vec_splits", ["train"]), ("word2vec_dim", 50),
                         ("word2vec_window", 5), ("word2vec_epochs", 1),
                         ("word2vec_min_count", 1), ("word2vec_skip_gram", True))],
    ("prepare", "reuters_pool", "val_fraction", 0.1, "not with scheme: pool", {}),
    *[("evaluate_lm", "sheldon", key, value, "dynamic_learning_rate set only",
       {"dynamic_learning_rate": ...} | {
           other: ... for other in ("dynamic_segment", "dynamic_streams") if other != key})
      for key, value in (("dynamic_segment", 20), ("dynamic_decay", 0.1),
                         ("dynamic_streams", 2))],
    *[("baseline", "r8", key, value, "models: nbsvm only", {"models": ["tfidf"]} | {
        other: ... for other in NBSVM_KEYS if other != key})
      for key, value in (("nbsvm_c_grid", [0.1]), ("nbsvm_ngram_max", 2), ("nbsvm_min_df", 1),
                         ("nbsvm_beta_grid", [0.5]))],
]


@pytest.mark.parametrize("section, name, key, value, reason, changes", NOT_APPLYING,
                         ids=[f"{s}.{n}.{k}" for s, n, k, *_ in NOT_APPLYING])
def test_a_key_that_does_not_apply_is_refused(tmp_path, section, name, key, value, reason,
                                              changes):
    message = load_error(tmp_path, changed(section, name, **changes, **{key: value}))
    assert message == (f"{section}.{name}.{key}: does not apply to this entry ({reason}); "
                       "remove it")


def test_every_key_that_applies_only_sometimes_has_a_case():
    covered = {(section, key) for section, _, key, *_ in NOT_APPLYING}
    when = {(section, f.name) for section, cls, _ in classes() for f in dataclasses.fields(cls)
            if "when" in f.metadata}
    assert covered == when


REQUIRED_WHEN = [
    ("train", "r8", {"embedding": "learned"}, "embedding_dim",
     "embedding: learned only; GloVe fixes its own size"),
    ("train", "r8", {"conv_filters": 8, "conv_pool": 2}, "conv_kernel", "conv_filters > 0 only"),
    ("train", "r8", {"conv_filters": 8, "conv_kernel": 3}, "conv_pool", "conv_filters > 0 only"),
    ("train", "r8", {"bucket_span": ...}, "bucket_span", "bucketing: true only"),
    ("finetune_translation", "por_eng", {"attention": ...}, "attention",
     "architecture: attention only"),
    ("lm_sequences", "shakespeare_char", {"step": ...}, "step", "recipe: windows only"),
    ("ngram", "sonnets", {"k": ...}, "k", "add_k smoothing only"),
    ("train_lm", "shakespeare_char", {"dense_units": 64}, "l2", "dense_units > 0 only"),
    ("embeddings", "reuters46", {"missing": "random"}, "seed",
     "missing: random or word2vec vectors only"),
    *[("embeddings", "reuters46", {"vectors": "word2vec", "seed": 1} | {
        other: 1 for other in ("word2vec_dim", "word2vec_window", "word2vec_epochs",
                               "word2vec_min_count") if other != key} | {
        "word2vec_splits": ["train"], "word2vec_skip_gram": True}, key,
       "word2vec vectors only")
      for key in ("word2vec_dim", "word2vec_window", "word2vec_epochs", "word2vec_min_count")],
    ("evaluate_lm", "sheldon", {"dynamic_segment": ...}, "dynamic_segment",
     "dynamic_learning_rate set only"),
    ("prepare", "r8", {"val_fraction": ...}, "val_fraction", "not with scheme: pool"),
]


@pytest.mark.parametrize("section, name, changes, key, reason", REQUIRED_WHEN,
                         ids=[f"{s}.{n}.{k}" for s, n, _, k, _ in REQUIRED_WHEN])
def test_a_key_that_applies_and_has_no_default_is_required(tmp_path, section, name, changes, key,
                                                           reason):
    message = load_error(tmp_path, changed(section, name, **changes))
    assert message == f"{section}.{name}.{key}: missing key ({reason})"


@pytest.mark.parametrize("text, message", [
    ("train:\n  r8: {units: 1, units: 2}\n", "duplicate key 'units'"),
    ("train:\n  r8:\n    units: 1\n    units: 2\n", "duplicate key 'units'"),
    ("vocab:\n  imdb: {level: word}\n  imdb: {level: char}\n", "duplicate key 'imdb'"),
    ("shared:\n  w: {level: word}\n  w: {level: char}\nvocab: {}\n", "duplicate key 'w'"),
], ids=["in-a-flow-entry", "in-a-block-entry", "an-entry-twice", "a-block-twice"])
def test_a_duplicate_key_is_refused_naming_its_line(tmp_path, text, message):
    path = tmp_path / "params.yaml"
    path.write_text(text)
    with pytest.raises(ParamsError, match=rf"params.yaml: not valid YAML \({message} in "
                                          r"\"<unicode string>\", line \d+"):
        load_all_params(path)


def test_a_section_repeated_at_the_end_of_the_real_file_is_refused(tmp_path):
    path = tmp_path / "params.yaml"
    text = (ROOT / "params.yaml").read_text(encoding="utf-8")
    path.write_text(text + "\nvocab:\n  imdb: {level: word}\n", encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    line = len(lines) - lines[::-1].index("vocab:")  # the second one, the one refused
    with pytest.raises(ParamsError, match=rf"duplicate key 'vocab' .*line {line}, column 1"):
        load_all_params(path)


# ------------------------------------------------------------------ shared blocks (`extends`)


def extended(**entries) -> dict:
    """The real `shared` blocks and `train` section as written, with `entries` replacing or
    adding train entries (`...`: the entry removed)."""
    train = {k: v for k, v in {**RAW["train"], **entries}.items() if v is not ...}
    return {"shared": copy.deepcopy(RAW["shared"]), "train": copy.deepcopy(train)}


def test_an_entry_cannot_drop_an_inherited_key_that_always_applies(tmp_path):
    """`key: null` drops only a key that applies sometimes; `units` always does."""
    params = extended(imdb={"extends": "reuters_train", "units": None})
    assert load_error(tmp_path, params) == "train.imdb.units: expected int, got None"


def test_an_inherited_key_that_stops_applying_is_refused_until_set_to_null(tmp_path):
    params = extended(imdb={"extends": "reuters_train", "bucketing": False})
    assert load_error(tmp_path, params) == ("train.imdb.bucket_span: does not apply to this "
                                            "entry (bucketing: true only); remove it")
    params["train"]["imdb"]["bucket_span"] = None
    entry = load_all_params(write_params(tmp_path, params))["train"]["imdb"]
    assert "bucket_span" not in resolved(entry) and entry.units == 64


def test_a_block_that_extends_a_block_is_resolved_first(tmp_path):
    """shared.wide extends reuters_train; the entry's own keys win over both."""
    params = extended(imdb={"extends": "wide", "dropout": 0.1})
    params["shared"]["wide"] = {"extends": "reuters_train", "units": 96, "dropout": 0.4}
    entry = load_all_params(write_params(tmp_path, params))["train"]["imdb"]
    assert (entry.units, entry.dropout, entry.cell) == (96, 0.1, "gru")


BLOCKS = ", ".join(RAW["shared"])


def cyclic(*pairs: tuple[str, str]) -> dict:
    params = extended(imdb={"extends": pairs[0][0]})
    params["shared"] |= {name: {"extends": parent, "units": 8} for name, parent in pairs}
    return params


@pytest.mark.parametrize("params, message", [
    pytest.param(extended(imdb={"extends": "reuters_trian", "units": 8}),
                 f"train.imdb.extends: no shared block 'reuters_trian' (expected one of: "
                 f"{BLOCKS})", id="unknown-block"),
    pytest.param(cyclic(("a", "b"), ("b", "a")),
                 "shared.b.extends: a -> b -> a is a cycle; expected a block that does not "
                 "extend itself", id="cycle"),
    pytest.param(cyclic(("a", "a")),
                 "shared.a.extends: a -> a is a cycle; expected a block that does not extend "
                 "itself", id="extends-itself"),
    pytest.param(extended(imdb={"extends": ["reuters_train", "svm"]}),
                 "train.imdb.extends: expected the name of a shared block, got "
                 "['reuters_train', 'svm']", id="a-list"),
    pytest.param(extended(imdb={"extends": None, "units": 8}),
                 "train.imdb.extends: expected the name of a shared block, got None",
                 id="null"),
    pytest.param({**extended(), "shared": {**RAW["shared"], "reuters_train": [1, 2]}},
                 "shared.reuters_train: expected a mapping of keys, got list",
                 id="block-not-a-mapping"),
    pytest.param({**RAW, "prepare": {**RAW["prepare"], "r8": {"extends": "reuters",
                                                              "scheme": "r8"}}},
                 "prepare.r8.corpus: inherited from shared.reuters; expected in the entry "
                 "itself (dvc.yaml reads ${item.corpus} from it as written)",
                 id="inherited-foreach-key"),
    pytest.param({**RAW, "evaluate_translation": {"por_eng": {"extends": "decode"}}},
                 "evaluate_translation.por_eng.data: inherited from shared.decode; expected "
                 "in the entry itself (dvc.yaml reads ${item.data} from it as written)",
                 id="inherited-foreach-key-data"),
])
def test_a_broken_extends_is_one_line_naming_the_entry(tmp_path, params, message):
    assert load_error(tmp_path, params) == message


def billion_laughs(levels: int = 9) -> str:
    """The YAML bomb: nine aliases of nine aliases of ... `lol`, 9**9 strings once expanded."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


ANCHORS = [
    pytest.param("shared:\n  w: &w {level: word}\nvocab:\n  imdb: {extends: w}\n",
                 "shared.w: anchor &w (line 2)", id="anchor"),
    pytest.param("vocab:\n  imdb: {level: word}\n  r8: *w\n", "vocab.r8: alias *w (line 3)",
                 id="alias"),
    pytest.param("vocab:\n  imdb: {<<: {level: word, min_freq: 1}, standardize: keras}\n",
                 "vocab.imdb: merge key << (line 2)", id="merge-key"),
    pytest.param("vocab:\n  imdb:\n    level: word\n    prompts: [a, *p]\n",
                 "vocab.imdb.prompts.1: alias *p (line 4)", id="alias-in-a-list"),
    pytest.param(billion_laughs(), "l0: anchor &l0 (line 1)", id="alias-bomb"),
]
REFUSAL = "; expected no anchors, aliases or merge keys (a block in shared and `extends: " \
          "<block>` share values)"


@pytest.mark.parametrize("text, message", ANCHORS)
def test_anchors_aliases_and_merge_keys_are_refused_in_one_line(tmp_path, text, message):
    """DVC's `-S` would write every merged value out in full: shared blocks use `extends`."""
    path = tmp_path / "params.yaml"
    path.write_text(text)
    started = time.perf_counter()
    with pytest.raises(ParamsError) as err:
        load_all_params(path)
    assert time.perf_counter() - started < 1  # the bomb too: refused before it is built
    assert str(err.value) == f"{path}: {message}{REFUSAL}"


def test_a_quoted_merge_key_is_a_plain_key(tmp_path):
    """Only a plain `<<` is YAML's merge key; quoted, it is a key like any other (unknown)."""
    path = tmp_path / "params.yaml"
    path.write_text("vocab:\n  imdb: {'<<': {level: word}, level: word}\n")
    with pytest.raises(ParamsError, match=r"vocab.imdb.<<: unknown key"):
        load_all_params(path)


# ------------------------------------------------------------------ the file itself


@pytest.mark.parametrize("content, message", [
    (b"# only a comment\n", "expected a mapping of stage sections, got an empty file"),
    (b"---\n", "expected a mapping of stage sections, got an empty file"),
    (b"hello\n", "expected a mapping of stage sections, got str"),
    (b"train:\n\tr8: {}\n", r"not valid YAML \(while scanning for the next token found "
                            r"character '\\t'"),
    (b"train: {r8: 'unclosed}\n", r"not valid YAML \(while scanning a quoted scalar"),
    (b"vocab: {}\n---\ntrain: {}\n", r"not valid YAML \(expected a single document"),
    (b"trian: {r8: {}}\n", r"trian: unknown section \(expected one of: download, prepare, "),
    (b"vocab: [imdb]\n", "vocab: expected a mapping of entries"),
    (b"vocab: {imdb: 3}\n", "vocab.imdb: expected a mapping, got int"),
    (b"prepare: {imdb: }\n", r"prepare.imdb.corpus: expected one of imdb \| por_eng \| reuters "
                             r"\| shakespeare \| sheldon \| sonnets, got None"),
    (b"vocab:\n  imdb: {level: word}\n\xff\n", r"not UTF-8 text \(invalid start byte at byte "
                                              r"29\)"),
], ids=["comment-only", "empty-document", "a-scalar", "tab-indent", "unclosed-quote",
        "two-documents", "unknown-section", "section-a-list", "entry-a-number", "entry-null",
        "not-utf8"])
def test_a_broken_params_file_is_one_line_naming_it(tmp_path, content, message):
    path = tmp_path / "params.yaml"
    path.write_bytes(content)
    with pytest.raises(ParamsError) as err:
        load_all_params(path)
    assert "\n" not in str(err.value)
    assert str(err.value).startswith(f"{path}: ")
    assert re.search(message, str(err.value)), str(err.value)


def test_a_missing_params_file_says_where_to_run_from(tmp_path):
    with pytest.raises(ParamsError, match=r"params.yaml: not found \(run from the repository "
                                          r"root\)$"):
        load_all_params(tmp_path / "params.yaml")


def test_a_folder_named_params_yaml_is_one_line(tmp_path):
    (tmp_path / "params.yaml").mkdir()
    with pytest.raises(ParamsError, match=r"params.yaml: is a folder, expected a YAML file$"):
        load_all_params(tmp_path / "params.yaml")


def test_from_mapping_refuses_what_is_not_a_mapping():
    for value, kind in ((None, "NoneType"), ([1], "list"), ("units: 3", "str")):
        with pytest.raises(ParamsError, match=rf"^here: expected a mapping, got {kind}$"):
            from_mapping(TrainParams, value, "here")


# ------------------------------------------------------------------ the params stage


def run_stage(folder: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(ROOT / "stages" / "params.py"), "all"],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    """A folder where the params stage ran on the real file: data/params as it writes it."""
    folder = tmp_path_factory.mktemp("stage")
    write_params(folder, REAL)
    result = run_stage(folder)
    assert result.returncode == 0, result.stderr
    assert (folder / "data" / "params" / "train" / "r8.json").is_file()
    return folder


STAGE_CASES = [
    pytest.param(changed("train", "r8", whole=True, units=0),
                 "train.r8.units: expected a value ≥ 1, got 0", id="out-of-range"),
    pytest.param(changed("lm_sequences", "shakespeare_char", whole=True, maxlen=5),
                 "lm_sequences.shakespeare_char.maxlen: does not apply to this entry (recipe: "
                 "prefixes only); remove it", id="does-not-apply"),
    pytest.param(changed("evaluate_lm", "sonnets", whole=True, eval_window=...),
                 "evaluate_lm.sonnets.eval_window: needs this entry "
                 "(lm_sequences.sonnets.recipe is windows)", id="across-sections"),
]


@pytest.mark.parametrize("params, message", STAGE_CASES)
def test_the_params_stage_fails_in_one_line_and_writes_nothing(tmp_path, params, message):
    write_params(tmp_path, params)
    result = run_stage(tmp_path)
    assert result.returncode == 1
    assert one_line(result.stderr) == f"params all: error: params.yaml: {message}"
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("content, message", [
    (None, "params.yaml: not found (run from the repository root)"),
    ("train: {r8: [\n", "params.yaml: not valid YAML (while parsing a flow node expected the "
                        "node content, but found '<stream end>' in \"<unicode string>\", line 2, "
                        "column 1: ^)"),
], ids=["no-params-file", "invalid-yaml"])
def test_a_failed_params_stage_leaves_the_last_good_output_unchanged(tmp_path, written,
                                                                     content, message):
    shutil.copytree(written / "data", tmp_path / "data")
    before = snapshot(tmp_path / "data")
    if content is not None:
        (tmp_path / "params.yaml").write_text(content)
    result = run_stage(tmp_path)
    assert result.returncode == 1
    assert one_line(result.stderr) == f"params all: error: {message}"
    assert snapshot(tmp_path / "data") == before
    assert leftovers(tmp_path) == []


def test_an_entry_name_that_is_a_path_is_refused(tmp_path):
    params = copy.deepcopy(REAL)
    params["vocab"]["../../evil"] = params["vocab"]["imdb"]
    write_params(tmp_path, params)
    result = run_stage(tmp_path)
    written_outside = sorted(p.name for p in (tmp_path / "data").glob("*.json"))
    assert written_outside == []
    assert result.returncode == 1 and "vocab.../../evil" in one_line(result.stderr)


def test_a_file_where_the_params_folder_goes_is_one_line(tmp_path):
    write_params(tmp_path, REAL)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "params").write_text("not a folder")
    result = run_stage(tmp_path)
    assert leftovers(tmp_path) == []
    assert result.returncode == 1
    assert one_line(result.stderr) == ("params all: error: data/params: is a file, expected a "
                                       "folder (remove it, then run again)")
    assert (tmp_path / "data" / "params").read_text() == "not a folder"  # a user's file: kept


@pytest.mark.parametrize("content, message", [
    pytest.param(extended(imdb={"extends": "reuters_trian"}),
                 f"train.imdb.extends: no shared block 'reuters_trian' (expected one of: "
                 f"{BLOCKS})", id="unknown-block"),
    pytest.param(cyclic(("a", "b"), ("b", "a")),
                 "shared.b.extends: a -> b -> a is a cycle; expected a block that does not "
                 "extend itself", id="cycle"),
    pytest.param(extended(imdb={"extends": 3}),
                 "train.imdb.extends: expected the name of a shared block, got 3",
                 id="not-a-name"),
    pytest.param({**RAW, "pretrain": {**RAW["pretrain"], "reuters": {
        "extends": "reuters_pretrain"}}},
                 "pretrain.reuters.pool: inherited from shared.reuters_pretrain; expected in "
                 "the entry itself (dvc.yaml reads ${item.pool} from it as written)",
                 id="inherited-foreach-key"),
    pytest.param("shared:\n  w: &w {level: word}\nvocab:\n  imdb: {extends: w}\n",
                 "shared.w: anchor &w (line 2)" + REFUSAL, id="anchor"),
    pytest.param("vocab:\n  imdb: {level: word}\n  r8: *w\n",
                 "vocab.r8: alias *w (line 3)" + REFUSAL, id="alias"),
    pytest.param("vocab:\n  imdb: {<<: {level: word}, standardize: keras}\n",
                 "vocab.imdb: merge key << (line 2)" + REFUSAL, id="merge-key"),
    pytest.param(billion_laughs(), "l0: anchor &l0 (line 1)" + REFUSAL, id="alias-bomb"),
])
def test_the_params_stage_refuses_broken_sharing_in_one_line(tmp_path, content, message):
    if isinstance(content, str):
        (tmp_path / "params.yaml").write_text(content)
    else:
        write_params(tmp_path, content)
    result = run_stage(tmp_path)
    assert result.returncode == 1
    assert one_line(result.stderr) == f"params all: error: params.yaml: {message}"
    assert not (tmp_path / "data").exists() and not (tmp_path / "params.resolved.yaml").exists()
