"""In-domain word vectors (rnnlab/text/word2vec.py) and the embeddings entry that asks for them."""

import numpy as np
import pytest

from rnnlab.core.errors import ParamsError
from rnnlab.core.params import from_mapping
from rnnlab.text.embeddings import EmbeddingsParams
from rnnlab.text.vocab import build_vocab
from rnnlab.text.word2vec import pool_sentences, train_word2vec, word2vec_matrix

TEXTS = ["the film was great and the acting was great",
         "the film was awful and the plot was awful",
         "a great cast and a great story", "an awful cast and an awful script"] * 20
WORD2VEC = {"pool": "imdb", "word2vec_splits": ["train", "unsup"], "word2vec_dim": 8,
            "word2vec_window": 2, "word2vec_epochs": 2, "word2vec_min_count": 1,
            "word2vec_skip_gram": True, "seed": 0}


def vectors(seed=0, texts=TEXTS, min_count=1):
    vocab = build_vocab(texts)
    return vocab, train_word2vec(pool_sentences(texts, vocab), 8, 2, 3, min_count, True, seed)


def test_word2vec_gives_the_same_vectors_for_the_same_seed():
    _, first = vectors(seed=3)
    _, again = vectors(seed=3)
    _, other = vectors(seed=4)
    assert first.keys() == again.keys()
    assert all(np.array_equal(first[w], again[w]) for w in first)
    assert not all(np.array_equal(first[w], other[w]) for w in first)


def test_pool_words_are_the_vocabularys_tokens():
    vocab = build_vocab(["Great, film!"])
    assert pool_sentences(["Great, film!"], vocab) == [["great", "film"]]


@pytest.mark.parametrize("missing", ["zeros", "random"])
def test_rows_follow_the_vocabulary_and_padding_stays_zero(missing):
    vocab, learned = vectors(texts=TEXTS + ["rare"], min_count=2)  # "rare" gets no vector
    matrix, coverage = word2vec_matrix(learned, vocab, 8, missing, seed=1)
    assert matrix.shape == (len(vocab), 8) and matrix.dtype == np.float32
    assert not matrix[0].any()
    for word, row in vocab.index.items():
        if word in learned:
            np.testing.assert_array_equal(matrix[row], learned[word])
    assert matrix[vocab.index["rare"]].any() == (missing == "random")
    assert coverage == pytest.approx((len(vocab) - 3) / (len(vocab) - 2))


def test_an_empty_pool_is_refused_in_one_line():
    with pytest.raises(Exception, match="^word2vec: the pool has no words$"):
        train_word2vec([[], []], 8, 2, 1, 1, True, 0)


@pytest.mark.parametrize("vectors_kind", ["glove", "word2vec", "glove+word2vec"])
def test_every_vectors_kind_checks_its_keys(vectors_kind):
    base = {"vectors": vectors_kind, "missing": "zeros", "pool": "imdb"}
    if vectors_kind == "glove":
        params = from_mapping(EmbeddingsParams, base, "embeddings.imdb")
        assert params.word2vec_dim is None
        with pytest.raises(ParamsError, match=r"embeddings.imdb.word2vec_dim: .*word2vec"):
            from_mapping(EmbeddingsParams, base | {"word2vec_dim": 8}, "embeddings.imdb")
        return
    params = from_mapping(EmbeddingsParams, base | WORD2VEC, "embeddings.imdb")
    assert params.word2vec_dim == 8
    with pytest.raises(ParamsError, match=r"^embeddings.imdb.word2vec_splits: 'test' would "
                       r"put test text into the vectors"):
        from_mapping(EmbeddingsParams, base | WORD2VEC | {"word2vec_splits": ["train", "test"]},
                     "embeddings.imdb")


def test_every_entry_names_its_pool():
    with pytest.raises(ParamsError, match=r"embeddings.r8.*pool"):
        from_mapping(EmbeddingsParams, {"missing": "zeros"}, "embeddings.r8")
