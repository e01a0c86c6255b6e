"""A model folder's meta.json checked against what it describes: each field takes a value of its
kind (padding, truncating and unknown from their sets, a recipe the generator knows, maxlen and
context positive whole numbers, label names a list of distinct names) before Keras loads; and,
once the model is loaded, the label count agrees with the output layer's width, maxlen with a
fixed input length, and the vocabulary's size with the embedding's rows (a language model's
output width too).

Each disagreement is a one-line DataError naming models/<task>/meta.json and the field, and the
folder is left as it was. The models are tiny hand-made Keras models saved with
`save_model_folder`, as a training stage saves its own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from faultkit import snapshot

from rnnlab.core.errors import DataError
from rnnlab.core.model_folder import save_model_folder
from rnnlab.tasks.classify.predict import Classifier
from rnnlab.tasks.lm.generate import Generator
from rnnlab.tasks.translate.decode import Translator
from rnnlab.text.vocab import EOL, Vocab

WORDS = ["", "[UNK]", EOL, "thy", "love"]
CLASSIFY = {"task": "imdb", "label_names": ["neg", "pos"], "maxlen": 10, "padding": "pre",
            "truncating": "pre", "unknown": "oov"}
LM = {"task": "sonnets", "recipe": "windows", "context": 5, "epochs_run": 1}
LOADERS = {"classify": Classifier, "lm": Generator, "translate": Translator}


def refused(load, folder: Path, field: str, match: str) -> None:
    before = snapshot(folder.parent)
    with pytest.raises(DataError) as err:
        load(folder)
    message = str(err.value)
    assert "\n" not in message, message
    assert re.fullmatch(rf"{re.escape(str(folder / 'meta.json'))}: {field}: {match}",
                        message), message
    assert snapshot(folder.parent) == before


# ------------------------------------------------------------------ meta.json values (no Keras)


def plain_folder(root: Path, family: str, meta: dict) -> Path:
    """A folder its loader reads up to the model (model.keras empty: never loaded here)."""
    from test_model_folder_faults import META, VOCABS

    folder = root / "models" / meta.get("task", family)
    folder.mkdir(parents=True)
    (folder / "model.keras").write_bytes(b"")
    for name, content in ({"meta.json": META[family] | meta} | VOCABS[family]).items():
        (folder / name).write_text(json.dumps(content), encoding="utf-8")
    return folder


VALUES = [  # family, field, bad value, what the message says it expected
    ("classify", "label_names", "neg", "a list of at least 2 distinct label names"),
    ("classify", "label_names", [], "a list of at least 2"),
    ("classify", "label_names", ["pos"], "a list of at least 2"),
    ("classify", "label_names", ["a", "a"], "a list of at least 2 distinct label names"),
    ("classify", "label_names", [0, 1], "a list of at least 2"),
    ("classify", "maxlen", 0, "a whole number >= 1"),
    ("classify", "maxlen", -5, "a whole number >= 1"),
    ("classify", "maxlen", "10", "a whole number >= 1"),
    ("classify", "maxlen", 10.5, "a whole number >= 1"),
    ("classify", "maxlen", True, "a whole number >= 1"),
    ("classify", "maxlen", None, "a whole number >= 1"),
    ("classify", "padding", "middle", "one of pre, post"),
    ("classify", "padding", "PRE", "one of pre, post"),
    ("classify", "padding", None, "one of pre, post"),
    ("classify", "padding", ["pre"], "one of pre, post"),
    ("classify", "truncating", "both", "one of pre, post"),
    ("classify", "truncating", 0, "one of pre, post"),
    ("classify", "unknown", "skip", "one of oov, drop"),
    ("lm", "recipe", "sliding", "one of windows, prefixes"),
    ("lm", "recipe", None, "one of windows, prefixes"),
    ("lm", "context", 0, "a whole number >= 1"),
    ("lm", "context", -1, "a whole number >= 1"),
    ("lm", "context", "5", "a whole number >= 1"),
    ("lm", "context", 2.5, "a whole number >= 1"),
    ("lm", "context", True, "a whole number >= 1"),
    ("lm", "epochs_run", -1, "a whole number >= 0"),
    ("lm", "epochs_run", "3", "a whole number >= 0"),
    ("translate", "max_source_words", 0, "a whole number >= 1"),
    ("translate", "max_source_words", "10", "a whole number >= 1"),
    ("translate", "epochs_run", -2, "a whole number >= 0"),
]


@pytest.mark.parametrize("family, field, value, expected", VALUES,
                         ids=[f"{f}-{k}-{v!r}" for f, k, v, _ in VALUES])
def test_a_meta_field_of_the_wrong_kind_is_named(tmp_path, family, field, value, expected):
    folder = plain_folder(tmp_path, family, {field: value})
    refused(LOADERS[family], folder, field, rf"expected {re.escape(expected)}.*, got "
                                            rf"{re.escape(repr(value))}")


# ------------------------------------------------------------------ meta.json against the model


def classifier_model(vocab: int, outputs: int, length: int | None = None):
    import keras

    activation = "sigmoid" if outputs == 1 else "softmax"
    return keras.Sequential([keras.Input((length,), dtype="int32"),
                             keras.layers.Embedding(vocab, 4),
                             keras.layers.GlobalAveragePooling1D(),
                             keras.layers.Dense(outputs, activation=activation)])


def lm_model(vocab: int, outputs: int):
    import keras

    return keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(vocab, 4),
                             keras.layers.GRU(4, return_sequences=True),
                             keras.layers.Dense(outputs)])


def saved(root: Path, model, family: str, meta: dict, words: list[str] = WORDS) -> Path:
    folder = root / "models" / meta["task"]
    save_model_folder(folder, model, family, meta,
                      {"vocab.json": Vocab(words, "word", "keras")})
    return folder


def load_model(loader):
    def load(folder: Path):
        return loader(folder).model

    return load


@pytest.mark.parametrize("labels, outputs", [(2, 1), (2, 2), (3, 3)],
                         ids=["binary-sigmoid", "binary-softmax", "three-classes"])
def test_a_classifier_that_agrees_with_its_meta_loads(tmp_path, labels, outputs):
    meta = CLASSIFY | {"label_names": [f"c{i}" for i in range(labels)]}
    folder = saved(tmp_path, classifier_model(len(WORDS), outputs, 10), "classify", meta)
    assert Classifier(folder).model.output_shape[-1] == outputs


CLASSIFIER_FAULTS = {  # labels, (vocab rows, outputs, input length), field, message
    "two-labels-three-units": (2, (5, 3, None), "label_names",
                               r"2 labels, but the model's output layer has 3 units "
                               r"\(expected 1 \(a sigmoid\) or 2\)"),
    "three-labels-a-sigmoid": (3, (5, 1, None), "label_names",
                               r"3 labels, but the model's output layer has 1 units "
                               r"\(expected 3\)"),
    "five-labels-four-units": (5, (5, 4, None), "label_names",
                               r"5 labels, but the model's output layer has 4 units "
                               r"\(expected 5\)"),
    "maxlen-10-input-12": (2, (5, 2, 12), "maxlen",
                           r"10, but the model reads sequences of 12 tokens"),
    "vocabulary-5-embedding-30": (2, (30, 2, None), "vocab.json",
                                  r"5 tokens, but the model's embedding has 30 rows"),
    "vocabulary-5-embedding-4": (2, (4, 2, 10), "vocab.json",
                                 r"5 tokens, but the model's embedding has 4 rows"),
}


@pytest.mark.parametrize("case", CLASSIFIER_FAULTS)
def test_a_classifier_that_disagrees_with_its_meta_is_named(tmp_path, case):
    labels, (rows, outputs, length), field, match = CLASSIFIER_FAULTS[case]
    meta = CLASSIFY | {"label_names": [f"c{i}" for i in range(labels)]}
    folder = saved(tmp_path, classifier_model(rows, outputs, length), "classify", meta)
    refused(load_model(Classifier), folder, field, match)


@pytest.mark.parametrize("rows, outputs, match", [
    (5, 5, None),
    (9, 5, r"5 tokens, but the model's embedding has 9 rows"),
    (5, 7, r"5 tokens, but the model's output layer has 7 units"),
], ids=["agrees", "embedding-rows", "output-width"])
def test_a_language_model_against_its_vocabulary(tmp_path, rows, outputs, match):
    folder = saved(tmp_path, lm_model(rows, outputs), "lm", LM)
    if match is None:
        assert Generator(folder).model.output_shape[-1] == outputs
    else:
        refused(load_model(Generator), folder, "vocab.json", match)


@pytest.mark.parametrize("side", ["source", "target"])
def test_a_translator_whose_vocabulary_size_disagrees_is_named(tmp_path, side):
    from test_model_folder_faults import VOCABS

    size = len(VOCABS["translate"][f"{side}_vocab.json"]["index_word"])
    folder = plain_folder(tmp_path, "translate", {f"{side}_vocab_size": size + 1})
    refused(Translator, folder, f"{side}_vocab_size",
            rf"{size + 1}, but {side}_vocab.json has {size} tokens")


def test_a_translator_whose_vocabulary_sizes_agree_loads(tmp_path):
    from test_model_folder_faults import VOCABS

    sizes = {f"{side}_vocab_size": len(VOCABS["translate"][f"{side}_vocab.json"]["index_word"])
             for side in ("source", "target")}
    assert Translator(plain_folder(tmp_path, "translate", sizes)).meta["family"] == "translate"
