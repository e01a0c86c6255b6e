"""Pretraining and fine-tuning: pools never hold test text, rows are mapped by token, the copied
weights are the pretrained ones, frozen layers stay frozen, and bad combinations are refused by
the params check before anything trains."""

from __future__ import annotations

import dataclasses
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from conftest import real_params as resolved_params

from rnnlab.core.errors import DataError, ParamsError
from rnnlab.core.params import check_params, from_mapping
from rnnlab.sections import SECTIONS, check_across
from rnnlab.tasks.lm.pretrain import PretrainParams, pool_texts
from rnnlab.tasks.transfer import shared_rows
from rnnlab.text.vocab import EOL, Vocab, build_vocab

MIRROR = ROOT.parent / "shared" / "datasets" / "reuters21578_files.tar.gz"


def real_params() -> dict:
    """The real params, with the documented Reuters fine-tuning (shared blocks) switched on."""
    params = resolved_params()
    params["pretrain"]["reuters"] = dict(params["shared"]["reuters_pretrain"])
    params["finetune"]["r8"] = dict(params["shared"]["reuters_finetune"])
    del params["train"]["r8"]
    return params


def pretrain_entry(**changes) -> PretrainParams:
    values = real_params()["pretrain"]["reuters"] | changes
    return from_mapping(PretrainParams, values, "params.yaml: pretrain.reuters")


def test_a_pool_refuses_the_test_split_in_one_line():
    with pytest.raises(ParamsError) as err:
        pretrain_entry(splits=["unlabelled", "test"])
    assert str(err.value).startswith("params.yaml: pretrain.reuters.splits: 'test' would put "
                                     "test text into the pool")


def test_pool_texts_take_only_the_named_splits_and_hold_some_out():
    table = pd.DataFrame({"id": [str(i) for i in range(40)], "text": [f"doc {i}" for i in
                                                                       range(40)],
                          "split": ["unlabelled"] * 30 + ["test"] * 10})
    train, val = pool_texts(table, pretrain_entry(val_fraction=0.1), "x.parquet")
    pooled = set(train["text"]) | set(val["text"])
    assert pooled == {f"doc {i}" for i in range(30)} and len(val) == 3
    assert train["eol"].all()
    with pytest.raises(DataError, match="x.parquet: has no split unsup"):
        pool_texts(table, pretrain_entry(splits=["unsup"]), "x.parquet")


@pytest.mark.skipif(not MIRROR.is_file(), reason="needs the Reuters mirror in ../shared")
def test_the_real_reuters_pool_holds_no_test_document(tmp_path):
    from rnnlab.corpora.reuters import SCHEMES, make_dataset, pool_table
    from rnnlab.corpora.reuters_sgml import parse_reuters

    with tarfile.open(MIRROR) as tar:
        tar.extractall(tmp_path, filter="data")
    raw = next(p.parent for p in tmp_path.rglob("reut2-000.sgm"))
    docs = parse_reuters(raw)
    pool = pool_table(docs, seed=42)
    pooled = pool[pool["split"] == "unlabelled"]
    for scheme in SCHEMES:
        dataset = make_dataset(docs, scheme, 42)
        test = dataset[dataset["split"] == "test"]
        assert not set(pooled["id"]) & set(test["id"].astype(str)), scheme
        assert not set(pooled["text"]) & set(test["text"]), scheme
    assert len(pooled) > 15_000  # most of the corpus is still there to learn from


def vocab(tokens: list[str]) -> Vocab:
    return Vocab(["", "[UNK]", EOL, *tokens], "word", "keras")


def test_shared_rows_map_tokens_to_their_rows_in_the_other_vocabulary():
    target, source = vocab(["good", "film", "rare"]), vocab(["film", "bad", "good"])
    rows, source_rows = shared_rows(target, source)
    assert rows.tolist() == [0, 1, 2, 3, 4]  # padding, OOV, EOL, good, film ("rare": none)
    assert source_rows.tolist() == [0, 1, 2, 5, 3]


def tiny_pretrained(source: Vocab):
    import keras

    from rnnlab.tasks.lm.model import build_language_model
    from rnnlab.tasks.lm.params import TrainLMParams

    keras.utils.set_random_seed(0)
    values = real_params()["pretrain"]["reuters"] | {"embedding_dim": 4, "units": 3}
    params = from_mapping(TrainLMParams, {k: v for k, v in values.items()
                                          if k in TrainLMParams.__dataclass_fields__}, "lm")
    return build_language_model(params, len(source), many_to_many=True), params


def tiny_classifier(target: Vocab, **changes):
    from rnnlab.tasks.classify.model import build_classifier
    from rnnlab.tasks.classify.params import FinetuneParams

    values = real_params()["finetune"]["r8"] | {"embedding_dim": 4, "units": 3} | changes
    params = from_mapping(FinetuneParams, values, "finetune.r8")
    return build_classifier(params, len(target), 3), params


def test_a_fine_tuned_model_starts_with_the_pretrained_rows_and_layers():
    from rnnlab.tasks.transfer import copy_pretrained

    target, source = vocab(["good", "film", "rare"]), vocab(["film", "bad", "good"])
    lm, _ = tiny_pretrained(source)
    classifier, _ = tiny_classifier(target)
    fresh_rare = classifier.get_layer("embedding").get_weights()[0][5].copy()
    copied = copy_pretrained(classifier, lm, target, source, "finetune.r8")
    assert copied == ["embedding", "gru_0"]
    pretrained = lm.get_layer("embedding").get_weights()[0]
    tuned = classifier.get_layer("embedding").get_weights()[0]
    np.testing.assert_array_equal(tuned[3], pretrained[5])  # "good"
    np.testing.assert_array_equal(tuned[4], pretrained[3])  # "film"
    np.testing.assert_array_equal(tuned[5], fresh_rare)  # not in the pool: left as it was
    for mine, theirs in zip(classifier.get_layer("gru_0").get_weights(),
                            lm.get_layer("gru_0").get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_a_vocabulary_with_no_shared_word_is_refused():
    from rnnlab.tasks.transfer import copy_pretrained

    target, source = vocab(["good"]), vocab(["bad"])
    lm, _ = tiny_pretrained(source)
    classifier, _ = tiny_classifier(target)
    with pytest.raises(DataError, match="finetune.r8: the task's vocabulary shares no token"):
        copy_pretrained(classifier, lm, target, source, "finetune.r8")


def test_frozen_layers_do_not_change_in_the_frozen_epochs(tmp_path):
    from rnnlab.tasks import fit
    from rnnlab.tasks.classify import data

    target = vocab([f"w{i}" for i in range(20)])
    classifier, params = tiny_classifier(target, epochs=2, freeze_epochs=1, patience=1,
                                         batch_size=8)
    params = dataclasses.replace(params, epochs=1)  # stop after the frozen epoch, to look at it
    rng = np.random.default_rng(0)
    x = rng.integers(3, len(target), (32, 6)).astype("int32")
    y, lengths = rng.integers(0, 3, 32).astype("int32"), np.full(32, 6)
    before = {name: classifier.get_layer(name).get_weights() for name in
              ("embedding", "gru_0", "probabilities")}
    fit.fit(classifier, data.train_dataset(x, y, lengths, params, "post"),
            data.eval_dataset(x, y, lengths, 32, "post"), params, tmp_path / "live",
            tmp_path / "backup", frozen=["embedding", "gru_0"], freeze_epochs=1)
    for name in ("embedding", "gru_0"):
        for old, new in zip(before[name], classifier.get_layer(name).get_weights(), strict=True):
            np.testing.assert_array_equal(old, new)
    assert not np.array_equal(before["probabilities"][0],
                              classifier.get_layer("probabilities").get_weights()[0])
    assert all(classifier.get_layer(n).trainable for n in ("embedding", "gru_0"))
    assert not (tmp_path / "backup").exists() or not any((tmp_path / "backup").rglob("*.h5"))


def checked_params(params: dict) -> dict:
    params.pop("shared", None)
    return check_params(params, SECTIONS, Path("params.yaml"))


@pytest.mark.parametrize("change, message", [
    (lambda p: p["finetune"]["r8"].update(pretrained="nowhere"),
     "finetune.r8.pretrained: no pretrain entry 'nowhere'"),
    (lambda p: p["finetune"]["r8"].update(units=32),
     "finetune.r8: layers [['gru', 32]] does not match pretrain.reuters's [['gru', 256]]"),
    (lambda p: p["train"].update(r8=p["train"]["r52"]),
     "finetune.r8: also in train"),
    (lambda p: p["finetune_lm"]["sheldon"].update(pretrained="shakespeare_word"),
     "finetune_lm.sheldon: embedding_dim"),
    (lambda p: p["prepare"]["reuters_pool"].update(seed=7),
     "prepare.reuters_pool.seed: 7 is not the reuters46 entries' seed"),
])
def test_bad_pretraining_combinations_fail_the_params_check_in_one_line(change, message):
    params = real_params()
    change(params)
    with pytest.raises(ParamsError, match=message.replace("[", r"\[").replace("]", r"\]")) as err:
        check_across(checked_params(params), Path("params.yaml"))
    assert "\n" not in str(err.value)


def test_a_fine_tuned_language_model_may_not_pool_its_own_held_out_text():
    params = real_params()
    params["pretrain"]["mine"] = params["pretrain"]["shakespeare_char"] | {
        "pool": "sheldon", "splits": ["train", "val"]}
    params["finetune_lm"]["sheldon"]["pretrained"] = "mine"
    with pytest.raises(ParamsError, match="pretrain.mine pools sheldon's val split"):
        check_across(checked_params(params), Path("params.yaml"))


def test_the_vocabulary_of_a_pool_reserves_the_line_end():
    from rnnlab.tasks.lm.pretrain import pool_vocab

    train = pd.DataFrame({"text": ["a b", "b c"], "eol": [True, True]})
    built = pool_vocab(train, pretrain_entry(max_tokens=None, min_freq=1))
    assert built.tokens[:3] == ["", "[UNK]", EOL]
    assert built.tokens == build_vocab(train["text"], reserved=(EOL,)).tokens
