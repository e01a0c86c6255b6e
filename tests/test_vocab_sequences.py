import keras
import numpy as np
import pytest

from rnnlab.text.sequences import ngram_prefixes, pad_sequences, sliding_windows, texts_to_sequences
from rnnlab.text.tokenize import strip_markup, tokenize
from rnnlab.text.vocab import OOV_ID, PAD_ID, Vocab, build_vocab

TEXTS = ["the cat sat", "the dog sat", "a cat, a dog!", "The end."]


def test_vocab_orders_by_frequency_then_token():
    vocab = build_vocab(TEXTS)
    assert vocab.tokens[:2] == ["", "[UNK]"]
    # the: 3, a/cat/dog/sat: 2 each (ties alphabetical), end: 1
    assert vocab.tokens[2:] == ["the", "a", "cat", "dog", "sat", "end"]
    assert vocab.counts[2:] == [3, 2, 2, 2, 2, 1]


def test_vocab_is_independent_of_text_order():
    assert build_vocab(TEXTS).tokens == build_vocab(TEXTS[::-1]).tokens


def test_max_tokens_counts_padding_and_oov_and_min_freq_filters():
    assert len(build_vocab(TEXTS, max_tokens=4)) == 4
    assert build_vocab(TEXTS, max_tokens=4).tokens[2:] == ["the", "a"]
    assert "end" not in build_vocab(TEXTS, min_freq=2).index
    with pytest.raises(ValueError, match="max_tokens"):
        build_vocab(TEXTS, max_tokens=2)


def test_char_level_keeps_every_character():
    vocab = build_vocab(["abba c"], level="char", standardize="none")
    assert vocab.tokens[2:] == ["a", "b", " ", "c"]


def test_standardize_modes():
    assert tokenize("Don't STOP!", "word", "keras") == ["don't", "stop"]
    assert tokenize("Don't STOP!", "word", "lower_strip_punctuation") == ["don", "t", "stop"]
    assert tokenize("Don't STOP!", "word", "lower") == ["don't", "stop!"]
    assert strip_markup("good<br /><br />film &amp; cast") == "good  film & cast"


def test_encode_unknown_words_as_oov_or_dropped():
    vocab = build_vocab(TEXTS)
    assert vocab.encode("the zebra sat") == [vocab.index["the"], OOV_ID, vocab.index["sat"]]
    assert vocab.encode("the zebra sat", "drop") == [vocab.index["the"], vocab.index["sat"]]
    assert texts_to_sequences(["zebra"], vocab, "drop") == [[]]


def test_vocab_round_trips_through_json(tmp_path):
    vocab = build_vocab(TEXTS)
    vocab.save(tmp_path / "v.json")
    loaded = Vocab.load(tmp_path / "v.json")
    assert loaded.tokens == vocab.tokens and loaded.index == vocab.index
    assert (tmp_path / "v.json").read_bytes() == (vocab.save(tmp_path / "w.json") or
                                                 (tmp_path / "w.json").read_bytes())


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_padding_and_truncation_match_keras(padding, truncating):
    seqs = [[1, 2, 3, 4, 5], [6, 7], [], [8, 9, 10]]
    ours = pad_sequences(seqs, 3, padding, truncating)
    theirs = keras.utils.pad_sequences(seqs, maxlen=3, padding=padding, truncating=truncating)
    np.testing.assert_array_equal(ours, theirs)


def test_padding_modes_put_tokens_where_asked():
    assert pad_sequences([[1, 2, 3]], 2, "post", "post").tolist() == [[1, 2]]
    assert pad_sequences([[1, 2, 3]], 2, "pre", "pre").tolist() == [[2, 3]]
    assert pad_sequences([[1]], 3, "post", "pre").tolist() == [[1, PAD_ID, PAD_ID]]
    assert pad_sequences([[1]], 3, "pre", "pre").tolist() == [[PAD_ID, PAD_ID, 1]]
    with pytest.raises(ValueError, match="padding"):
        pad_sequences([[1]], 3, "middle")


def test_sliding_windows():
    x, y = sliding_windows(list(range(10)), sentence_size=3, step=2)
    assert x.tolist() == [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8]]
    assert y.tolist() == [3, 5, 7, 9]
    x, y = sliding_windows([1, 2], sentence_size=3, step=1)
    assert x.shape == (0, 3) and y.shape == (0,)


def test_ngram_prefixes_are_pre_padded_with_last_token_as_label():
    x, y = ngram_prefixes([[5, 6, 7], [8, 9]])
    assert x.tolist() == [[0, 5], [5, 6], [0, 8]]
    assert y.tolist() == [6, 7, 9]
