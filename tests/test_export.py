"""The SavedModel export reads raw text exactly as `Classifier` does: same standardization, ids,
truncation and padding, so the same probabilities and labels from the graph alone."""

import json

import numpy as np
import pytest
from conftest import real_params

from rnnlab.core.errors import DataError
from rnnlab.core.params import from_mapping
from rnnlab.tasks.classify.params import TrainParams
from rnnlab.text.vocab import build_vocab

WORDS = ["film", "great", "dull", "plot", "actor", "don't", "story", "long", "bad", "fine",
         "music", "scene", "end", "love", "hate", "slow", "fun", "café", "naïve", "ΟΔΟΣ"]
NOISE = [".", ",", "!", "?", "...", " -", "(", ")", "'", '"', ":", ";", "<br />", "&amp;"]
SPACES = [" ", "  ", "\t", "\n", "\u00a0", "\u3000", "\u2028", "\x1c"]
UNKNOWN = ["zyzzyva", "Quux", "[UNK]", "ÉLAN", "İstanbul"]


def texts(n, longest, seed):
    """Texts of 0 to `longest` words: mixed case, punctuation, odd whitespace, unknown words."""
    rng = np.random.default_rng(seed)
    out = ["", "!!! ...", "FILM", "a" * 30, "Fine. " * (2 * longest)]
    while len(out) < n:
        words = []
        for _ in range(rng.integers(1, longest + 1)):
            word = str(rng.choice(WORDS + UNKNOWN if rng.random() < 0.8 else UNKNOWN))
            word = word.upper() if rng.random() < 0.2 else word.title() if rng.random() < 0.2 \
                else word
            words.append(word + (str(rng.choice(NOISE)) if rng.random() < 0.3 else ""))
        out.append("".join(w + str(rng.choice(SPACES)) for w in words).strip())
    return out


def model_folder(folder, labels, standardize, sequences, **train):
    """A classifier saved as the train stage saves one, every weight drawn by NumPy (so the
    outputs are far from uniform and depend on every token, order and padding included)."""
    import keras

    from rnnlab.core.model_folder import save_model_folder
    from rnnlab.tasks.classify.model import build_classifier

    base = real_params()["train"]["imdb"]
    params = from_mapping(TrainParams, base | {"embedding": "learned", "embedding_dim": 6,
                                               "units": 5} | train, "test")
    vocab = build_vocab(texts(40, 8, seed=1), "word", standardize, max_tokens=16)
    keras.utils.set_random_seed(0)
    model = build_classifier(params, len(vocab), len(labels))
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 1.0, w.shape).astype(w.dtype) for w in model.get_weights()])
    save_model_folder(folder, model, "classify", {"task": folder.name, "label_names": labels}
                      | sequences, {"vocab.json": vocab})
    return folder


CASES = {
    "binary-pre-unmasked": (["neg", "pos"], "keras",
                            dict(maxlen=12, padding="pre", truncating="pre", unknown="oov"),
                            dict(mask_zero=False, pooling="last", bidirectional=False)),
    "binary-pre-masked-concat": (["neg", "pos"], "keras",  # imdb's fine-tuned default
                                 dict(maxlen=12, padding="pre", truncating="pre", unknown="oov"),
                                 dict(mask_zero=True, pooling="concat", bidirectional=False)),
    "three-post-masked": (["a", "b", "c"], "lower_strip_punctuation",
                          dict(maxlen=10, padding="post", truncating="post", unknown="drop"),
                          dict(mask_zero=True, pooling="max", bidirectional=True)),
}


@pytest.mark.parametrize("case", CASES)
def test_the_saved_model_gives_the_classifiers_probabilities_and_labels(tmp_path, case):
    import tensorflow as tf

    from rnnlab.tasks.classify.export import export_classifier
    from rnnlab.tasks.classify.predict import Classifier

    labels, standardize, sequences, train = CASES[case]
    folder = model_folder(tmp_path / case, labels, standardize, sequences, **train)
    out = export_classifier(folder, tmp_path / "exports" / case)
    assert (out / "saved_model.pb").is_file() and not list(out.parent.glob(".*.tmp"))
    loaded = tf.saved_model.load(str(out))  # kept: `serve` alone does not keep the variables
    serve = loaded.serve

    batch = texts(60, 25, seed=2)
    expected = Classifier(folder).probabilities(batch)
    result = serve(tf.constant(batch))
    got = result["probabilities"].numpy()
    assert got.dtype == np.float32 and got.shape == (len(batch), len(labels))
    # texts `rnnlab predict` refuses ("", "!!! ...", unknown words only) are refused here too:
    # label "", probabilities 0 (tests/faults/test_text_rule_faults.py)
    answered = result["error"].numpy() == b""
    assert 0 < answered.sum() < len(batch) and not got[~answered].any()
    expected = np.where(answered[:, None], expected, 0)
    print(f"{case}: max abs difference {np.abs(got - expected).max():.2e}")
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    assert [s.decode() for s in result["label"].numpy()] == [
        labels[i] if ok else "" for i, ok in zip(expected.argmax(1), answered, strict=True)]
    assert np.isfinite(expected).all()  # empty texts too ("", "!!! ..."): one unknown word
    assert expected.std(axis=0).min() > 0.05  # outputs that differ: the comparison has teeth
    # a text's answer does not depend on the request around it, masked or not
    alone = serve(tf.constant(batch[5:6]))["probabilities"].numpy()
    np.testing.assert_allclose(alone[0], got[5], rtol=0, atol=1e-6)


def test_character_vocabularies_and_occupied_targets_are_refused(tmp_path):
    from rnnlab.tasks.classify.export import export_classifier

    folder = tmp_path / "chars"
    folder.mkdir()
    (folder / "model.keras").write_bytes(b"PK\x05\x06" + bytes(18))
    (folder / "meta.json").write_text(json.dumps({
        "family": "classify", "task": "chars", "label_names": ["neg", "pos"], "maxlen": 10,
        "padding": "post", "truncating": "post", "unknown": "oov"}))
    (folder / "vocab.json").write_text(json.dumps({"level": "char", "standardize": "none",
                                                   "index_word": ["", "[UNK]", "a"]}))
    with pytest.raises(DataError, match="char-level vocabulary; only word-level"):
        export_classifier(folder, tmp_path / "out")
    (folder / "vocab.json").write_text(json.dumps({"level": "word", "standardize": "keras",
                                                   "index_word": ["", "[UNK]", "a"]}))
    with pytest.raises(DataError, match="inside the model folder"):
        export_classifier(folder, folder / "saved_model")
    with pytest.raises(DataError, match="exists and is not a SavedModel"):
        export_classifier(folder, tmp_path)
    assert (folder / "model.keras").is_file()
