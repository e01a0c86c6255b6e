"""Faults in trained-model folders (models/<task>/) and n-gram model files: a folder, model or
meta.json that is missing, not JSON, not a mapping, of no or the wrong family, or lacking the
keys its family needs; vocabularies that are damaged; a model.keras that is truncated, not a
zip or crafted (refused in Keras's safe mode); and .npz files that are truncated, incomplete or
carry a pickle, which must be refused and never unpickled.

Each is a one-line `DataError` (a `ParamsError` for a translator's recorded params) naming the
file, raised before Keras loads wherever the fault is in the folder's JSON, and the folder is
left as it was. Only three cases load Keras (a damaged model.keras), one per task family.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import real_params
from faultkit import snapshot

from rnnlab.core.errors import DataError, ParamsError
from rnnlab.tasks.classify.predict import Classifier
from rnnlab.tasks.lm.generate import Generator
from rnnlab.tasks.lm.ngram_eval import load_scorer
from rnnlab.tasks.translate.data import END, START
from rnnlab.tasks.translate.decode import Translator
from rnnlab.text.vocab import EOL

WORDS = {"level": "word", "standardize": "keras", "index_word": ["", "[UNK]", EOL, "thy", "love"]}
PAIRS = {"level": "word", "standardize": "keras", "index_word": ["", "[UNK]", START, END, "cat"]}
TRANSLATOR_PARAMS = real_params()["finetune_translation"]["por_eng"]
META = {
    "classify": {"family": "classify", "task": "imdb", "label_names": ["neg", "pos"],
                 "maxlen": 10, "padding": "pre", "truncating": "pre", "unknown": "oov"},
    "lm": {"family": "lm", "task": "sonnets", "recipe": "prefixes", "context": 5,
           "epochs_run": 1},
    "translate": {"family": "translate", "task": "por_eng", "max_source_words": 10,
                  "epochs_run": 1, "params": TRANSLATOR_PARAMS},
}
VOCABS = {"classify": {"vocab.json": WORDS}, "lm": {"vocab.json": WORDS},
          "translate": {"source_vocab.json": WORDS, "target_vocab.json": PAIRS}}
LOADERS = {"classify": Classifier, "lm": Generator, "translate": Translator}


def model_folder(root: Path, family: str, meta=..., files: dict | None = None) -> Path:
    """A folder its loader accepts (model.keras empty: Keras never reads it here), with
    `meta` (`...`: the family's own) as meta.json and `files` replacing the vocabularies
    (a str is written as is; None removes the file)."""
    folder = root / "models" / family
    folder.mkdir(parents=True)
    (folder / "model.keras").write_bytes(b"")
    meta = META[family] if meta is ... else meta
    for name, content in ({"meta.json": meta} | VOCABS[family] | (files or {})).items():
        if content is not None:
            text = content if isinstance(content, str) else json.dumps(content)
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def refused(load, folder: Path, match: str, error: type = DataError) -> str:
    before = snapshot(folder.parent)
    with pytest.raises(error) as err:
        load(folder)
    message = str(err.value)
    assert "\n" not in message and re.search(match, message), message
    assert snapshot(folder.parent) == before  # reading a folder never changes it
    return message


@pytest.fixture
def no_keras(monkeypatch):
    """Any attempt to load a Keras model fails at once: these faults are found before that."""
    def load(folder):
        raise AssertionError(f"loaded the Keras model of {folder}")

    for loader in ("rnnlab.tasks.classify.predict.load_inference_model",
                   "rnnlab.tasks.lm.generate.load_keras_model",
                   "rnnlab.tasks.translate.decode.load_keras_model"):
        monkeypatch.setattr(loader, load)


def test_every_family_loads_the_minimal_folder(tmp_path, no_keras):
    """The folders below differ from this one by their fault alone."""
    for family, load in LOADERS.items():
        assert load(model_folder(tmp_path / family, family)).meta["family"] == family


# ------------------------------------------------------------------ model.keras and meta.json


@pytest.mark.parametrize("family", LOADERS)
@pytest.mark.parametrize("fault", ["no-folder", "no-model-file", "model-file-is-a-folder"])
def test_a_folder_without_a_model_says_how_to_get_one(tmp_path, family, fault):
    folder = tmp_path / "models" / family
    if fault != "no-folder":
        folder = model_folder(tmp_path, family)
        (folder / "model.keras").unlink()
        if fault == "model-file-is-a-folder":
            (folder / "model.keras").mkdir()
    else:
        folder.parent.mkdir(parents=True)
    refused(LOADERS[family], folder, rf"^{folder / 'model.keras'}: no trained model \(run "
                                     r"`dvc repro` or `dvc pull` first\)$")


META_FAULTS = [
    ("missing", None, r"meta.json: missing"),
    ("not-json", "{family: lm}", r"meta.json: not valid JSON \(Expecting property name "
                                 r"enclosed in double quotes at line 1\)$"),
    ("truncated", json.dumps(META["lm"])[:30], r"meta.json: not valid JSON \("),
    ("empty", "", r"meta.json: not valid JSON \(Expecting value at line 1\)$"),
    ("a-list", [META["lm"]], r"meta.json: not an rnnlab model folder \(no `family`\)$"),
    ("a-string", "\"lm\"", r"meta.json: not an rnnlab model folder \(no `family`\)$"),
    ("no-family", {k: v for k, v in META["lm"].items() if k != "family"},
     r"meta.json: not an rnnlab model folder \(no `family`\)$"),
    ("null-family", META["lm"] | {"family": None},
     r"meta.json: not an rnnlab model folder \(no `family`\)$"),
    ("unknown-family", META["lm"] | {"family": "gan"}, r"meta.json: not an rnnlab model folder"),
]


@pytest.mark.parametrize("meta, match", [m[1:] for m in META_FAULTS],
                         ids=[m[0] for m in META_FAULTS])
def test_a_bad_meta_json_is_named(tmp_path, meta, match):
    folder = model_folder(tmp_path, "lm", meta)
    refused(Generator, folder, rf"^{folder / 'meta.json'}: " + match.removeprefix("meta.json: "))


@pytest.mark.parametrize("kind", ["not-utf8", "a-folder"])
def test_an_unreadable_meta_json_is_named(tmp_path, kind):
    folder = model_folder(tmp_path, "lm", None)
    if kind == "a-folder":
        (folder / "meta.json").mkdir()
        match = "is a folder, expected a file"
    else:
        (folder / "meta.json").write_bytes(b'{"family": "lm", "task": "s\xe9"}')
        match = r"not UTF-8 text \(invalid continuation byte at byte 27\)"
    refused(Generator, folder, rf"^{folder / 'meta.json'}: {match}$")


@pytest.mark.parametrize("written, expected", [
    ("classify", "lm"), ("lm", "translate"), ("translate", "classify"),
], ids=["classifier-as-lm", "lm-as-translator", "translator-as-classifier"])
def test_a_folder_of_another_family_is_named(tmp_path, written, expected):
    folder = model_folder(tmp_path, written)
    refused(LOADERS[expected], folder, rf"^{folder}: a {written} model, expected a {expected} "
                                       r"model$")


@pytest.mark.parametrize("family, missing", [
    ("classify", ["label_names"]), ("classify", ["padding", "unknown"]),
    ("lm", ["recipe"]), ("lm", ["context", "epochs_run"]),
    ("translate", ["params"]), ("translate", ["max_source_words"]),
], ids=lambda v: "-".join(v) if isinstance(v, list) else v)
def test_a_meta_json_without_its_family_keys_is_named(tmp_path, family, missing):
    meta = {k: v for k, v in META[family].items() if k not in missing}
    folder = model_folder(tmp_path, family, meta)
    refused(LOADERS[family], folder, rf"^{folder / 'meta.json'}: no {', '.join(missing)} \(a "
                                     r"damaged model folder, or one written by another version: "
                                     r"retrain or `dvc pull` it\)$")


@pytest.mark.parametrize("params, match", [
    ("por_eng", r"params: expected a mapping, got str$"),
    (TRANSLATOR_PARAMS | {"units": 0}, r"params.units: expected a value ≥ 1, got 0$"),
    (TRANSLATOR_PARAMS | {"layers": 2}, r"params.layers: unknown key \(expected one of: "),
], ids=["not-a-mapping", "out-of-range", "unknown-key"])
def test_a_translator_with_bad_recorded_params_is_named(tmp_path, params, match):
    folder = model_folder(tmp_path, "translate", META["translate"] | {"params": params})
    refused(Translator, folder, rf"^{folder / 'meta.json'}: {match}", ParamsError)


# ------------------------------------------------------------------ vocabularies


VOCAB_FAULTS = [
    ("missing", None, r"missing \(run the stage that writes it first\)$"),
    ("not-json", '{"level": "word",', r"not valid JSON \("),
    ("a-list", ["", "[UNK]"], r"not a vocabulary file \(no list indices must be integers"),
    ("no-index_word", {"level": "word", "standardize": "keras"},
     r"not a vocabulary file \(no 'index_word'\)$"),
    ("index_word-a-number", WORDS | {"index_word": 5},
     r"not a vocabulary file \(no 'int' object is not iterable\)$"),
    ("no-level", {k: v for k, v in WORDS.items() if k != "level"},
     r"not a vocabulary file \(no 'level'\)$"),
]


@pytest.mark.parametrize("family, name", [("classify", "vocab.json"), ("lm", "vocab.json"),
                                          ("translate", "source_vocab.json"),
                                          ("translate", "target_vocab.json")],
                         ids=["classify", "lm", "translate-source", "translate-target"])
@pytest.mark.parametrize("content, match", [v[1:] for v in VOCAB_FAULTS],
                         ids=[v[0] for v in VOCAB_FAULTS])
def test_a_bad_vocabulary_is_named(tmp_path, family, name, content, match):
    folder = model_folder(tmp_path, family, files={name: content})
    refused(LOADERS[family], folder, rf"^{folder / name}: {match}")


@pytest.mark.parametrize("token", [START, END])
def test_a_target_vocabulary_without_its_start_or_end_token_is_named(tmp_path, token):
    tokens = [t for t in PAIRS["index_word"] if t != token]
    folder = model_folder(tmp_path, "translate",
                          files={"target_vocab.json": PAIRS | {"index_word": tokens}})
    refused(Translator, folder, rf"^{folder / 'target_vocab.json'}: no {token} token \(")


def test_a_language_model_vocabulary_without_the_line_end_is_named(tmp_path, no_keras):
    tokens = [t for t in WORDS["index_word"] if t != EOL]
    folder = model_folder(tmp_path, "lm", files={"vocab.json": WORDS | {"index_word": tokens}})
    refused(lambda f: Generator(f).generate("thy love", 3, 0.8, 0, 1), folder,
            rf"^{folder / 'vocab.json'}: no end-of-line token '\\n' \(")


# ------------------------------------------------------------------ model.keras (loads Keras)


def crafted_keras(path: Path) -> None:
    """A .keras zip whose config names a builtin function as its class."""
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.0.0"}))
        archive.writestr("config.json", json.dumps({"module": "builtins", "class_name": "eval",
                                                    "config": {"source": "1"}}))
        archive.writestr("model.weights.h5", b"")


def truncated_keras(path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", json.dumps({"class_name": "Sequential"}) + " " * 4000)
    path.write_bytes(path.read_bytes()[:200])


@pytest.mark.parametrize("family, damage, reason", [
    ("classify", truncated_keras, ""),
    ("lm", lambda path: path.write_bytes(b""), "File not found"),
    ("translate", crafted_keras, "Could not locate class 'eval'"),
], ids=["classify-truncated-zip", "lm-zero-bytes", "translate-crafted-config"])
def test_a_damaged_model_file_is_one_line_on_first_use(tmp_path, family, damage, reason):
    folder = model_folder(tmp_path, family)
    damage(folder / "model.keras")
    loaded = LOADERS[family](folder)  # the JSON is fine: nothing is read from model.keras yet
    refused(lambda _: loaded.model, folder, rf"^{folder / 'model.keras'}: not a loadable Keras "
                                            rf"model \({reason}")


# ------------------------------------------------------------------ n-gram models (.npz)


CONFIG = {"order": 2, "smoothing": "add_k", "k": 1.0, "discount": 0.75, "level": "word",
          "standardize": "keras"}
TOKENS = np.asarray(["", "[UNK]", EOL, "thy", "love"])


def scorer(path: Path, train=(2, 3, 4, 2), vocab=TOKENS, config=CONFIG) -> Path:
    arrays = {"train": np.asarray(train), "vocab": vocab, "config": config}
    if isinstance(config, dict):
        arrays["config"] = json.dumps(config)
    np.savez(path, **{k: np.asarray(v) for k, v in arrays.items() if v is not None})
    return path


def test_the_minimal_scorer_loads(tmp_path):
    model, vocab = load_scorer(scorer(tmp_path / "s.npz"))
    assert model.order == 2 and vocab.tokens == TOKENS.tolist()


@pytest.mark.parametrize("fault, match", [
    ("missing", r"no n-gram model \(run `dvc repro` or `dvc pull` first\)$"),
    ("a-folder", r"no n-gram model \(run `dvc repro` or `dvc pull` first\)$"),
    ("zero-bytes", r"not a readable .npz file \(No data left in file\)$"),
    ("truncated", r"not a readable .npz file \(File is not a zip file\)$"),
    ("a-text-file", r"not a readable .npz file \("),
    ("no-config", r"not an rnnlab n-gram model \('config'\)$"),
    ("no-vocab", r"not an rnnlab n-gram model \('vocab'\)$"),
    ("config-not-json", r"not an rnnlab n-gram model \(Expecting value: line 1"),
    ("config-a-list", r"not an rnnlab n-gram model \(list indices must be integers"),
    ("config-without-order", r"not an rnnlab n-gram model \('order'\)$"),
    ("ids-past-the-vocabulary", r"not an rnnlab n-gram model \(list index out of range\)$"),
    ("ids-not-integers", r"not an rnnlab n-gram model \(list indices must be integers"),
])
def test_a_bad_ngram_file_is_named(tmp_path, fault, match):
    path = tmp_path / "ngram" / "sonnets.npz"
    path.parent.mkdir()
    if fault == "a-folder":
        path.mkdir()
    elif fault in ("zero-bytes", "truncated", "a-text-file"):
        good = scorer(tmp_path / "good.npz").read_bytes()
        path.write_bytes({"zero-bytes": b"", "truncated": good[: len(good) // 2],
                          "a-text-file": b"order=2\nsmoothing=add_k\n"}[fault])
    elif fault != "missing":
        scorer(path, **{
            "no-config": {"config": None}, "no-vocab": {"vocab": None},
            "config-not-json": {"config": "order: 2"},
            "config-a-list": {"config": json.dumps([2, "add_k"])},
            "config-without-order": {"config": {k: v for k, v in CONFIG.items()
                                                if k != "order"}},
            "ids-past-the-vocabulary": {"train": (2, 3, 99)},
            "ids-not-integers": {"train": (2.0, 3.5)},
        }[fault])
    refused(load_scorer, path, rf"^{path}: {match}")


class Opens:
    """Unpickling this calls `open(path, "w")`: proof that a pickle was run."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


@pytest.mark.parametrize("member", ["config", "vocab", "train"])
def test_a_pickle_in_an_ngram_file_is_refused_and_never_run(tmp_path, member):
    marker = tmp_path / "pickle-was-run"
    arrays = {"train": np.asarray([2, 3]), "vocab": TOKENS, "config": np.asarray(
        json.dumps(CONFIG))}
    arrays[member] = np.asarray([Opens(marker)], dtype=object)
    path = tmp_path / "ngram.npz"
    np.savez(path, **arrays)
    refused(load_scorer, path, rf"^{path}: not a readable .npz file \(Object arrays cannot be "
                               r"loaded when allow_pickle=False\)$")
    assert not marker.exists()


def test_an_npz_member_that_is_not_an_array_is_named(tmp_path):
    import zipfile

    path = tmp_path / "ngram.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.npy", b"not an array")
        archive.writestr("vocab.npy", b"not an array")
        archive.writestr("train.npy", b"not an array")
    refused(load_scorer, path, rf"^{path}: not a readable .npz file \(member 'config' is not a "
                               r"\.npy array\)$")


@pytest.mark.parametrize("config, match", [
    (CONFIG | {"order": 0}, r"order must be an integer >= 1, got 0"),
    (CONFIG | {"order": "3"}, r"order must be an integer >= 1, got '3'"),
    (CONFIG | {"smoothing": "magic"}, r"unknown smoothing 'magic'; expected one of"),
    (CONFIG | {"smoothing": "kneser_ney", "order": 1}, r"kneser_ney needs order >= 2"),
    (CONFIG | {"k": 0}, r"k \(the add-k pseudo-count\) must be a finite number > 0, got 0"),
    (CONFIG | {"discount": 1.5}, r"discount must be strictly between 0 and 1, got 1.5"),
    (CONFIG | {"level": "sentence"}, r"unknown tokenization level 'sentence'"),
    (CONFIG | {"standardize": "upper"}, r"unknown standardize mode 'upper'"),
], ids=["order-0", "order-a-string", "unknown-smoothing", "kneser-ney-order-1", "k-0",
        "discount-1.5", "unknown-level", "unknown-standardize"])
def test_an_ngram_file_with_impossible_settings_is_named(tmp_path, config, match):
    path = scorer(tmp_path / "ngram.npz", config=config)
    refused(load_scorer, path, rf"^{path}: not an rnnlab n-gram model \({match}")


@pytest.mark.parametrize("train, match", [
    ((2, 3, -1, 2), r"train: token ids must be ≥ 0, got -1\)$"),
    ((), r"train: no token ids, expected the training stream\)$"),
], ids=["negative-id", "no-ids"])
def test_impossible_token_ids_in_an_ngram_file_are_refused(tmp_path, train, match):
    path = scorer(tmp_path / "ngram.npz", train=train)
    refused(load_scorer, path, rf"^{path}: not an rnnlab n-gram model \({match}")
