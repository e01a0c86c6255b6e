"""The params schema: ranges, keys that apply only sometimes, shared blocks (`extends`),
duplicate keys, rules across sections, and what the params stage writes (each entry resolved)."""

import dataclasses

import pytest
import yaml
from conftest import ROOT, real_params

from rnnlab.core.errors import ParamsError
from rnnlab.core.params import from_mapping, read_yaml, resolved
from rnnlab.sections import load_all_params, resolve_params
from rnnlab.tasks.classify.params import TrainParams
from rnnlab.tasks.lm.params import LMSequencesParams
from rnnlab.text.vocab import VocabParams


def real(section: str, name: str) -> dict:
    return dict(real_params()[section][name])


def train(**changes) -> dict:
    return {k: v for k, v in (real("train", "r8") | changes).items() if v is not ...}


@pytest.mark.parametrize("key, value, message", [
    ("units", 0, "expected a value ≥ 1, got 0"),
    ("layers", 0, "expected a value ≥ 1, got 0"),
    ("learning_rate", -1, "expected a value > 0, got -1.0"),
    ("learning_rate", float("nan"), "expected a finite number, got nan"),
    ("dropout", 1.0, "expected a value ≥ 0 and < 1, got 1.0"),
    ("recurrent_dropout", 1.5, "expected a value ≥ 0 and < 1, got 1.5"),
    ("epochs", -1, "expected a value ≥ 1, got -1"),
    ("batch_size", 0, "expected a value ≥ 1, got 0"),
    ("clipnorm", 0, "expected a value > 0, got 0.0"),
])
def test_out_of_range_values_name_the_key_and_the_range(key, value, message):
    with pytest.raises(ParamsError) as err:
        from_mapping(TrainParams, train(**{key: value}), "params.yaml: train.r8")
    assert str(err.value) == f"params.yaml: train.r8.{key}: {message}"


def test_a_list_is_checked_element_by_element():
    values = real("shared", "sonnets_course") | {"units": [150, 0]}
    from rnnlab.tasks.lm.params import TrainLMParams

    with pytest.raises(ParamsError, match=r"train_lm.sonnets.units: expected a value ≥ 1, got 0"):
        from_mapping(TrainLMParams, values, "params.yaml: train_lm.sonnets")
    with pytest.raises(ParamsError, match=r"sonnets.bidirectional: lists 2 values for 3 layers"):
        from_mapping(TrainLMParams, values | {"units": [1, 2, 3]}, "params.yaml: train_lm.sonnets")


def test_a_key_that_does_not_apply_is_refused_and_says_when_it_does():
    with pytest.raises(ParamsError) as err:
        from_mapping(TrainParams, train(embedding_dim=64), "params.yaml: train.r8")
    assert str(err.value) == ("params.yaml: train.r8.embedding_dim: does not apply to this entry "
                              "(embedding: learned only; GloVe fixes its own size); remove it")
    with pytest.raises(ParamsError, match=r"train.r8.conv_kernel: does not apply"):
        from_mapping(TrainParams, train(conv_kernel=5), "params.yaml: train.r8")


def test_a_key_that_applies_is_required_or_takes_its_default():
    with pytest.raises(ParamsError, match=r"train.r8.embedding_dim: missing key \(embedding: "
                                          r"learned only"):
        from_mapping(TrainParams, train(embedding="learned"), "params.yaml: train.r8")
    with pytest.raises(ParamsError, match=r"train.r8.conv_kernel: missing key"):
        from_mapping(TrainParams, train(conv_filters=32, conv_pool=2), "params.yaml: train.r8")
    deep = from_mapping(TrainParams, train(layers=2), "here")
    assert deep.between_dense == 0  # the default of a key that applies once layers > 1
    assert resolved(deep)["between_dense"] == 0


def test_null_on_a_sometimes_key_means_not_set():
    """How an entry drops a key it inherits: `{extends: translator, attention: null}`."""
    entry = from_mapping(TrainParams, train(embedding_dim=None), "here")
    assert entry.embedding_dim is None and "embedding_dim" not in resolved(entry)


def test_resolved_fills_defaults_and_leaves_out_what_does_not_apply():
    vocab = from_mapping(VocabParams, {"level": "word", "standardize": "keras",
                                       "max_tokens": 100, "min_freq": 1}, "here")
    assert resolved(vocab) == {"level": "word", "standardize": "keras", "max_tokens": 100,
                               "min_freq": 1, "end_of_line": False}
    prefixes = from_mapping(LMSequencesParams, {"recipe": "prefixes"}, "here")
    assert resolved(prefixes) == {"recipe": "prefixes", "maxlen": None}


def test_changing_a_default_changes_the_resolved_entry(monkeypatch):
    """So the stage whose entry it is re-runs: the params stage writes resolved entries."""
    values = {"level": "word", "standardize": "keras", "max_tokens": 100, "min_freq": 1}
    before = resolved(from_mapping(VocabParams, values, "here"))
    changed = dataclasses.make_dataclass("VocabParams", [("end_of_line", bool, True)],
                                         bases=(VocabParams,), frozen=True, kw_only=True)
    after = resolved(from_mapping(changed, values, "here"))
    assert before["end_of_line"] is False and after["end_of_line"] is True


def test_duplicate_keys_are_refused_naming_the_line(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("train:\n  r8: {units: 1}\n  r8: {units: 2}\n")
    with pytest.raises(ParamsError, match=r"params.yaml: not valid YAML \(duplicate key 'r8' "
                                          r"in \"<unicode string>\", line 3"):
        read_yaml(path)
    path.write_text("vocab: {}\nvocab: {}\n")
    with pytest.raises(ParamsError, match="duplicate key 'vocab'"):
        read_yaml(path)


def test_extends_gives_each_entry_its_own_values():
    """The block's keys, then the entry's own over them, key by key: a list or a mapping is
    replaced whole, not merged; a block may extend another; the input is left as it was."""
    raw = {"shared": {"base": {"p": 1, "q": [1, 2], "r": {"s": 1}},
                      "more": {"extends": "base", "q": [3], "t": None}},
           "a": {"x": {"extends": "base"}, "y": {"extends": "more", "r": {"u": 2}, "p": 0},
                 "z": {"p": 5}}}
    before = repr(raw)
    assert resolve_params(raw) == {
        "shared": {"base": {"p": 1, "q": [1, 2], "r": {"s": 1}},
                   "more": {"p": 1, "q": [3], "r": {"s": 1}, "t": None}},
        "a": {"x": {"p": 1, "q": [1, 2], "r": {"s": 1}},
              "y": {"p": 0, "q": [3], "r": {"u": 2}, "t": None}, "z": {"p": 5}}}
    assert repr(raw) == before
    # what is not a mapping of mappings is left for check_params to name
    assert resolve_params([1]) == [1] and resolve_params({"vocab": 3}) == {"vocab": 3}


@pytest.mark.parametrize("text, message", [
    ("", "expected a mapping of stage sections, got an empty file"),
    ("- a\n- b\n", "expected a mapping of stage sections, got list"),
    ("vocab:\n", "vocab: expected a mapping of entries"),
    ("vocab: {a: [\n", "not valid YAML"),
])
def test_an_empty_or_malformed_params_file_is_one_line(tmp_path, text, message):
    path = tmp_path / "params.yaml"
    path.write_text(text)
    with pytest.raises(ParamsError, match=message):
        load_all_params(path)


def test_prepare_entries_are_checked_by_their_corpus_schema(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("prepare:\n  r8: {corpus: reuters, scheme: r8, val_fraction: 0.1, seed: 1, "
                    "block_lines: 14}\n")
    with pytest.raises(ParamsError, match=r"prepare.r8.block_lines: unknown key"):
        load_all_params(path)
    path.write_text("prepare:\n  x: {corpus: nosuch}\n")
    with pytest.raises(ParamsError, match=r"prepare.x.corpus: expected one of imdb \| por_eng"):
        load_all_params(path)
    path.write_text("prepare:\n  x: {corpus: imdb, val_fraction: 0, seed: 1}\n")
    with pytest.raises(ParamsError, match=r"prepare.x.val_fraction: expected a value > 0"):
        load_all_params(path)


def test_rules_across_sections(tmp_path):
    params = real_params()
    path = tmp_path / "params.yaml"
    window = params["evaluate_lm"]["sonnets"].pop("eval_window")
    path.write_text(yaml.safe_dump(params))
    with pytest.raises(ParamsError, match=r"evaluate_lm.sonnets.eval_window: needs this entry "
                                          r"\(lm_sequences.sonnets.recipe is windows"):
        load_all_params(path)
    params["evaluate_lm"]["sonnets"]["eval_window"] = window
    params["evaluate_translation"]["por_eng"]["data"] = "other"
    path.write_text(yaml.safe_dump(params))
    with pytest.raises(ParamsError, match=r"evaluate_translation.por_eng.data: is 'other' but "
                                          r"finetune_translation.por_eng.data is 'por_eng'"):
        load_all_params(path)


@pytest.mark.parametrize("section, name, change, message", [
    ("embeddings", "r8", {"pool": "nosuch"}, r"embeddings.r8.pool: no prepare entry 'nosuch'$"),
    ("train", "r8", None, r"combine.r8: no train or finetune entry 'r8' whose model it could "
                          r"mix$"),
    ("baseline", "r8", None, r"combine.r8: no baseline entry 'r8' whose classical model it "
                             r"could mix$"),
])
def test_what_embeddings_and_combine_read_must_exist(tmp_path, section, name, change, message):
    params = real_params()
    if change is None:
        del params[section][name]
    else:
        params[section][name] |= change
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    with pytest.raises(ParamsError, match=message):
        load_all_params(path)


def test_shared_blocks_are_no_stage_but_must_be_a_mapping(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("shared:\n  v: {level: word, standardize: keras, max_tokens: 9, "
                    "min_freq: 1}\nvocab:\n  a: {extends: v}\n  b: {extends: v, min_freq: 2}\n")
    entries = load_all_params(path)
    assert set(entries) == {"vocab"} and entries["vocab"]["b"].min_freq == 2
    assert entries["vocab"]["a"].min_freq == 1
    path.write_text("shared: [1, 2]\nvocab:\n  a: {level: word}\n")
    with pytest.raises(ParamsError, match=r"shared: expected a mapping of blocks to extend$"):
        load_all_params(path)
    path.write_text("shared: {v: 3}\nvocab:\n  a: {level: word}\n")
    with pytest.raises(ParamsError, match=r"shared.v: expected a mapping of keys, got int$"):
        load_all_params(path)


def test_the_real_file_shares_its_blocks():
    text = (ROOT / "params.yaml").read_text()
    assert text.count("extends: ") >= 30
    entries = load_all_params(ROOT / "params.yaml")
    wide = entries["train"]["reuters46"]  # one block, written once, and its own overrides
    narrow = dataclasses.replace(wide, units=64, dropout=0.0, embedding_dropout=0.0)
    assert narrow == entries["train"]["r8"]
    assert entries["train"]["imdb"].pooling == "concat"  # an entry's own override
