"""rnnlab.tasks.lm.ngram against nltk.lm: per-token probabilities, sentence log-probs and
perplexities.

The reference models are built the documented nltk way (`padded_everygram_pipeline` + `fit`;
test n-grams from `ngrams(pad_both_ends(s, n), n)`) on a small seeded random corpus.

What "agrees with nltk" means (nltk 3.10, checked by the tests below)
---------------------------------------------------------------------
The reference model is built the standard nltk way::

    from nltk.lm import KneserNeyInterpolated, Laplace, Lidstone
    from nltk.lm.preprocessing import pad_both_ends, padded_everygram_pipeline
    from nltk.util import ngrams

    train, vocab = padded_everygram_pipeline(order, sentences)
    lm = Lidstone(k, order)            # or Laplace(order), or
    lm = KneserNeyInterpolated(order, discount=d)
    lm.fit(train, vocab)

and for that `lm`, `NgramModel(order, smoothing, k=k, discount=d).fit(sentences)` gives

* `model.logprob(w, ctx) == lm.logscore(w, ctx) * ln 2` (natural log; nltk's is base 2), i.e.
  `exp(logprob) == lm.score(w, ctx)`, for any context of at most `order - 1` tokens.
  A shorter context is scored as nltk scores it (the lower-order estimate, *not* padded with
  `<s>`). A longer one is cut to its last `order - 1` tokens, as nltk's Kneser-Ney does
  (nltk's Lidstone does not cut: it looks the long context up among n-grams it never counted and
  returns 1 / |V|; we do not copy that bug).
* `model.perplexity(sents) == lm.perplexity(test_ngrams)` with the test n-grams made the same way
  as the training ones: `test_ngrams = [g for s in sents for g in ngrams(pad_both_ends(s,
  n=order), order)]`. So every sentence is padded with `order - 1` `<s>` on the left and
  `order - 1` `</s>` on the right, and the *predicted tokens* are the last items of those
  n-grams: the sentence's words plus `order - 1` end symbols (one `</s>` for a bigram model,
  two for a trigram model, none for a unigram model, since nltk pads with `order - 1` symbols).
  Perplexity is `exp(-mean natural-log probability)` over all predicted tokens of the corpus,
  the same number as nltk's `2 ** (-mean log2 probability)`.
* `sentence_logprob(s)` is the sum of `logprob` over those same n-grams of one sentence and
  `word_probs(s)` lists each predicted token with its probability.

The tests require agreement to 1e-6 relative; in practice the numbers are the same floating
point operations as nltk's and agree to the last bit or two.

Vocabulary and unknown words (as `nltk.lm.Vocabulary` with its default `unk_cutoff=1`): the
vocabulary is every token of the padded training sentences (so `<s>` and `</s>` too, except for
an order-1 model, which has no padding) plus `<UNK>`; its size |V| counts `<UNK>` once more even
if the training text contains the literal string `<UNK>`, as nltk's does. Any other token, in the
predicted word or in the context, is replaced by `<UNK>` before scoring. (`model.vocabulary` is
the same collection as `list(lm.vocab)`, possibly in another order.)

nltk behaviours that are reproduced on purpose
---------------------------------------------
* Kneser-Ney's lowest level is the continuation probability N1+(. w) / N1+(. .) (how many
  distinct words precede `w`, over the number of distinct bigram types), with no uniform term.
  `<UNK>` never follows anything in training, so under Kneser-Ney an unknown word has
  probability 0: `logprob` is `-inf` and the perplexity of any text with an unknown word is `inf`
  (nltk gives the same). Use add-k smoothing to score text with unknown words.
* Only the highest order uses raw counts: alpha = max(c(ctx w) - d, 0) / c(ctx .) and
  gamma = d * N1+(ctx .) / c(ctx .). Lower orders use continuation counts,
  alpha = max(N1+(. ctx w) - d, 0) / N1+(. ctx .), but their gamma's numerator is still
  N1+(ctx .) from *raw* counts. Where the two differ (a context that starts a sentence, e.g.
  `<s>` in a trigram model, which is followed by `<s>` but never preceded by anything) the
  probabilities for that context do not sum to exactly 1, in nltk and here.
* A context never seen in training contributes alpha = 0, gamma = 1 (its lower order is used).
* nltk's Kneser-Ney cannot score anything with `order=1` (its unigram level divides by the
  number of bigram types, which an order-1 model never counts: ZeroDivisionError), so
  `NgramModel(1, "kneser_ney")` raises ValueError.
* Unlike nltk's `fit`, which adds to the counts it already holds, `fit` here starts afresh.
"""

from __future__ import annotations

import functools
import math
import random

import pytest
from nltk.lm import KneserNeyInterpolated, Laplace, Lidstone
from nltk.lm.preprocessing import pad_both_ends, padded_everygram_pipeline
from nltk.util import ngrams

from rnnlab.tasks.lm.ngram import EOS, UNK, NgramModel

REL = 1e-6
WORDS = [f"w{i:02d}" for i in range(24)]


def _corpus(seed: int, n_sentences: int, words: list[str]) -> list[list[str]]:
    """Zipf-ish word choice plus a sticky 'next word' so that bigrams and trigrams repeat."""
    rng = random.Random(seed)
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    sentences = []
    for _ in range(n_sentences):
        sentence: list[str] = []
        for _ in range(rng.randint(0, 9)):
            if sentence and rng.random() < 0.4:
                prev = words.index(sentence[-1]) if sentence[-1] in words else 0
                sentence.append(words[(prev + 1) % len(words)])
            else:
                sentence.append(rng.choices(words, weights)[0])
        sentences.append(sentence)
    return sentences


TRAIN = _corpus(0, 300, WORDS[:20]) + [[], ["w00"], ["w19", "w19", "w19"]]
# Held out: words the training text never has (w20..w23, "zebra") as well as known ones.
HELD_OUT = _corpus(1, 40, WORDS) + [["zebra"], [], ["w01", "zebra", "w02"]]
HELD_OUT_KNOWN = _corpus(2, 40, WORDS[:20])

# (order, smoothing, k, discount)
CASES = [
    (1, "add_k", 1.0, 0.75),
    (1, "add_k", 0.3, 0.75),
    (2, "add_k", 1.0, 0.75),
    (2, "add_k", 0.05, 0.75),
    (3, "add_k", 1.0, 0.75),
    (3, "add_k", 0.5, 0.75),
    (2, "kneser_ney", 1.0, 0.75),
    (3, "kneser_ney", 1.0, 0.75),
    (3, "kneser_ney", 1.0, 0.3),
    (4, "kneser_ney", 1.0, 0.75),  # two continuation-count levels
]
IDS = [f"order{o}-{s}-k{k}-d{d}" for o, s, k, d in CASES]


@functools.cache
def nltk_model(order: int, smoothing: str, k: float, discount: float):
    train, vocab = padded_everygram_pipeline(order, TRAIN)
    if smoothing == "kneser_ney":
        lm = KneserNeyInterpolated(order, discount=discount)
    else:
        lm = Laplace(order) if k == 1 else Lidstone(k, order)
    lm.fit(train, vocab)
    return lm


@functools.cache
def our_model(order: int, smoothing: str, k: float, discount: float) -> NgramModel:
    return NgramModel(order, smoothing, k=k, discount=discount).fit(TRAIN)


def heldout_ngrams(sentences: list[list[str]], order: int) -> list[tuple[str, ...]]:
    return [g for s in sentences for g in ngrams(pad_both_ends(s, n=order), order)]


def assert_close(ours: float, ref: float, what: str) -> None:
    if math.isinf(ref) or ref == 0:
        assert ours == ref, f"{what}: {ours!r} != nltk {ref!r}"
    else:
        assert math.isclose(ours, ref, rel_tol=REL), f"{what}: {ours!r} != nltk {ref!r}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_token_probabilities_match_nltk(case):
    lm, model = nltk_model(*case), our_model(*case)
    order = case[0]
    assert model.vocab_size == len(lm.vocab)
    assert sorted(model.vocabulary) == sorted(lm.vocab)
    grams = heldout_ngrams(HELD_OUT + TRAIN[:20], order)
    zeros = 0
    for gram in grams:
        word, context = gram[-1], gram[:-1]
        ref = lm.score(word, context)
        zeros += ref == 0
        assert_close(math.exp(model.logprob(word, context)), ref, f"P({word} | {context})")
        ref_log = lm.logscore(word, context) * math.log(2)
        assert_close(model.logprob(word, list(context)), ref_log, f"log P({word} | {context})")
    # Kneser-Ney gives unknown words probability 0 (nltk quirk); add-k never does.
    assert (zeros > 0) == (case[1] == "kneser_ney")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_shorter_contexts_match_nltk(case):
    """A context shorter than order - 1 is scored as nltk scores it (lower-order estimate)."""
    lm, model = nltk_model(*case), our_model(*case)
    order = case[0]
    for gram in heldout_ngrams(HELD_OUT_KNOWN[:10], order):
        for cut in range(1, order):
            word, context = gram[-1], gram[cut:-1]
            ref = lm.score(word, context)
            assert_close(math.exp(model.logprob(word, context)), ref, f"P({word} | {context})")


@pytest.mark.parametrize("case", [c for c in CASES if c[1] == "kneser_ney"], ids=str)
def test_longer_context_is_truncated_like_nltk_kneser_ney(case):
    lm, model = nltk_model(*case), our_model(*case)
    context = ("w03", "zebra", "w01", "w02")
    for word in ("w03", "w04", "w00", EOS):
        assert_close(math.exp(model.logprob(word, context)), lm.score(word, context), word)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sentence_logprob_and_word_probs_match_nltk(case):
    lm, model = nltk_model(*case), our_model(*case)
    order = case[0]
    for sentence in HELD_OUT[:15] + HELD_OUT[-3:] + HELD_OUT_KNOWN[:15]:
        grams = list(ngrams(pad_both_ends(sentence, n=order), order))
        ref = [lm.score(g[-1], g[:-1]) for g in grams]
        pairs = model.word_probs(sentence)
        assert [w for w, _ in pairs] == [g[-1] for g in grams]
        for (word, p), r in zip(pairs, ref, strict=True):
            assert_close(p, r, f"P({word}) in {sentence}")
        ref_log = math.fsum(lm.logscore(g[-1], g[:-1]) for g in grams) * math.log(2)
        assert_close(model.sentence_logprob(sentence), ref_log, f"log P({sentence})")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_perplexity_matches_nltk(case):
    lm, model = nltk_model(*case), our_model(*case)
    order = case[0]
    for held_out in (HELD_OUT, HELD_OUT_KNOWN):
        ref = lm.perplexity(heldout_ngrams(held_out, order))
        assert_close(model.perplexity(held_out), ref, "perplexity")
    # Only Kneser-Ney on text with unknown words is infinite; the rest must be a real check.
    assert math.isfinite(model.perplexity(HELD_OUT_KNOWN))
    assert math.isinf(model.perplexity(HELD_OUT)) == (case[1] == "kneser_ney")


def test_perplexity_counts_every_end_symbol_nltk_predicts():
    """Order n predicts n - 1 `</s>` per sentence (none for unigrams), as nltk's padding does."""
    for order in (1, 2, 3):
        model = our_model(order, "add_k", 1.0, 0.75)
        sentence = ["w01", "w02"]
        assert [w for w, _ in model.word_probs(sentence)] == sentence + [EOS] * (order - 1)
        logps = [math.log(p) for _, p in model.word_probs(sentence)]
        assert math.isclose(model.perplexity([sentence]), math.exp(-sum(logps) / len(logps)))


@pytest.mark.parametrize("smoothing", ["add_k", "kneser_ney"])
@pytest.mark.parametrize("order", [2, 3])
def test_probabilities_sum_to_one_over_vocabulary(order, smoothing):
    model = NgramModel(order, smoothing, k=0.5).fit(TRAIN)
    assert UNK in model.vocabulary and len(model.vocabulary) == model.vocab_size
    seen = next(tuple(s[: order - 1]) for s in TRAIN if len(s) >= order)
    unseen = ("zebra", "w03")[-(order - 1) :] if order == 3 else ("zebra",)
    for context in (seen, unseen, ("w05",)):
        total = math.fsum(math.exp(model.logprob(w, context)) for w in model.vocabulary)
        assert total == pytest.approx(1.0, abs=1e-9), context


def test_kneser_ney_sentence_start_context_does_not_sum_to_one_like_nltk():
    """Documented nltk quirk: the middle level's gamma uses raw counts, and `<s>` is followed by
    `<s>` but never preceded, so P(. | <s> <s>) sums to a bit more than 1 (in nltk too)."""
    case = (3, "kneser_ney", 1.0, 0.75)
    lm, model = nltk_model(*case), our_model(*case)
    context = ("<s>", "<s>")
    ours = math.fsum(math.exp(model.logprob(w, context)) for w in model.vocabulary)
    ref = math.fsum(lm.score(w, context) for w in lm.vocab)
    assert ours > 1 + 1e-6
    assert ours == pytest.approx(ref, rel=1e-9)


def test_unknown_words_are_mapped_to_unk():
    model = our_model(2, "add_k", 1.0, 0.75)
    lm = nltk_model(2, "add_k", 1.0, 0.75)
    assert model.logprob("zebra", ["w01"]) == model.logprob("giraffe", ["w01"])
    assert model.logprob("zebra", ["w01"]) == model.logprob(UNK, ["w01"])
    assert model.logprob("w02", ["zebra"]) == model.logprob("w02", ["giraffe"])
    assert_close(math.exp(model.logprob("w02", ["zebra"])), lm.score("w02", ["zebra"]), "ctx")
    kn = our_model(2, "kneser_ney", 1.0, 0.75)
    assert kn.logprob("zebra", ["w01"]) == -math.inf


def test_literal_unk_in_training_text_matches_nltk():
    train = TRAIN[:50] + [[UNK, "w01"], ["w02", UNK]]
    lm = Lidstone(0.5, 2)
    lm.fit(*padded_everygram_pipeline(2, train))
    model = NgramModel(2, "add_k", k=0.5).fit(train)
    assert model.vocab_size == len(lm.vocab)  # nltk counts <UNK> twice here
    for word, context in [("zebra", ("w01",)), (UNK, ("w01",)), ("w01", (UNK,)), ("w01", ("x",))]:
        assert_close(math.exp(model.logprob(word, context)), lm.score(word, context), word)


def test_kneser_ney_order_one_is_rejected_because_nltk_cannot_score_it():
    lm = KneserNeyInterpolated(1, discount=0.75)
    lm.fit(*padded_everygram_pipeline(1, TRAIN))
    with pytest.raises(ZeroDivisionError):
        lm.score("w01")
    with pytest.raises(ValueError, match="kneser_ney needs order >= 2"):
        NgramModel(1, "kneser_ney")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order": 0}, "order must be an integer >= 1"),
        ({"order": -2}, "order must be an integer >= 1"),
        ({"order": 2.5}, "order must be an integer >= 1"),
        ({"order": 2, "smoothing": "witten_bell"}, "unknown smoothing 'witten_bell'"),
        ({"order": 2, "smoothing": "add_k", "k": 0}, "k .* must be a finite number > 0"),
        ({"order": 2, "smoothing": "add_k", "k": -1.0}, "k .* must be a finite number > 0"),
        ({"order": 2, "discount": 0.0}, "discount must be strictly between 0 and 1"),
        ({"order": 2, "discount": 1.0}, "discount must be strictly between 0 and 1"),
        ({"order": 2, "discount": 1.5}, "discount must be strictly between 0 and 1"),
        ({"order": 2, "discount": -0.1}, "discount must be strictly between 0 and 1"),
    ],
)
def test_invalid_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NgramModel(**kwargs)


def test_valid_arguments_and_smoothing_spellings_are_accepted():
    assert NgramModel(1, "add_k", k=1e-9).smoothing == "add_k"
    assert NgramModel(2, "Kneser-Ney", discount=0.999).smoothing == "kneser_ney"
    assert NgramModel(3).smoothing == "kneser_ney"


def test_misuse_raises_clear_errors():
    with pytest.raises(RuntimeError, match="not fitted"):
        NgramModel(2).logprob("a", ["b"])
    with pytest.raises(ValueError, match="empty corpus"):
        NgramModel(2).fit([])
    with pytest.raises(ValueError, match="empty corpus"):
        NgramModel(1, "add_k").fit([[], []])
    with pytest.raises(ValueError, match="at least one predicted token"):
        our_model(1, "add_k", 1.0, 0.75).perplexity([[]])


def test_refit_starts_afresh():
    model = NgramModel(2, "add_k").fit([["a", "b"]])
    model.fit(TRAIN)
    assert model.vocab_size == our_model(2, "add_k", 1.0, 0.75).vocab_size
    assert model.perplexity(HELD_OUT) == our_model(2, "add_k", 1.0, 0.75).perplexity(HELD_OUT)
