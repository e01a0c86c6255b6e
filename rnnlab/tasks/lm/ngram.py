"""Count-based n-gram language models: add-k (Lidstone) and interpolated Kneser-Ney.

Why this module exists: n-gram perplexities are the baseline the recurrent models are compared
with, and `nltk.lm` (the reference implementation people know) is far too slow on a real corpus:
its Kneser-Ney scorer rescans every stored context for each word it scores. `NgramModel` gives
the same numbers from precomputed count tables (numpy arrays, looked up in batches).

Agreement with nltk (3.10): `logprob(w, ctx) == lm.logscore(w, ctx) * ln 2` for nltk's
`Lidstone`/`Laplace`/`KneserNeyInterpolated` fitted through `padded_everygram_pipeline`, and equal
sentence log-probabilities and perplexities, to 1e-6 relative. The exact definition (padding,
vocabulary and `<UNK>`, the nltk behaviours reproduced on purpose) is in `tests/test_ngram.py`,
which checks it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import chain

import numpy as np

BOS, EOS, UNK = "<s>", "</s>", "<UNK>"
SMOOTHINGS = ("add_k", "kneser_ney")


class _Index(dict):
    """token -> id, where a token not in the dict reads as the `<UNK>` id (without being added)."""

    unk: int = 0

    def __missing__(self, key: str) -> int:
        return self.unk


def _normalize_smoothing(smoothing: str) -> str:
    name = str(smoothing).strip().lower().replace("-", "_")
    if name not in SMOOTHINGS:
        raise ValueError(f"unknown smoothing {smoothing!r}; expected one of {SMOOTHINGS}")
    return name


def _take(values: np.ndarray, uid: np.ndarray) -> np.ndarray:
    """`values[uid]`, with 0 where `uid` is -1 (an n-gram or context never seen in training)."""
    if len(values) == 0:
        return np.zeros(len(uid))
    return np.where(uid >= 0, values[np.maximum(uid, 0)], 0.0)


class NgramModel:
    """An n-gram language model whose probabilities match `nltk.lm` (see the module docstring).

    `smoothing` is `"add_k"` (Lidstone: (c + k) / (N + k |V|); `k=1` is Laplace) or
    `"kneser_ney"` (nltk's `KneserNeyInterpolated` with discount `discount`). After `fit`,
    `vocabulary` holds the vocabulary tokens (with `<UNK>`) and `vocab_size` their number |V|.
    """

    def __init__(
        self,
        order: int,
        smoothing: str = "kneser_ney",
        k: float = 1.0,
        discount: float = 0.75,
    ) -> None:
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
            raise ValueError(f"order must be an integer >= 1, got {order!r}")
        self.order = int(order)
        self.smoothing = _normalize_smoothing(smoothing)
        if not (math.isfinite(k) and k > 0):
            raise ValueError(f"k (the add-k pseudo-count) must be a finite number > 0, got {k!r}")
        if not (0 < discount < 1):
            raise ValueError(f"discount must be strictly between 0 and 1, got {discount!r}")
        if self.smoothing == "kneser_ney" and self.order < 2:
            raise ValueError(
                "kneser_ney needs order >= 2: its unigram level is the continuation probability "
                "over bigram types, which an order-1 model does not have (nltk's "
                "KneserNeyInterpolated(1) fails with ZeroDivisionError)"
            )
        self.k = float(k)
        self.discount = float(discount)
        self._fitted = False

    # ------------------------------------------------------------------ fitting

    def _stream(
        self, lengths: np.ndarray, word_ids: np.ndarray, bos: int, eos: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Token ids of the sentences padded as nltk's `pad_both_ends(s, n=order)`, concatenated,
        and for each position the end (exclusive) of its padded sentence. The padding is
        inserted with numpy, so Python touches each word once (in the caller's id lookup)."""
        pad, n_sentences = self.order - 1, len(lengths)
        padded = lengths + 2 * pad
        ends = np.cumsum(padded)
        stream = np.full(int(ends[-1]) if len(ends) else 0, bos, dtype=np.int64)
        offsets = pad + 2 * pad * np.arange(n_sentences, dtype=np.int64)
        stream[np.arange(len(word_ids)) + np.repeat(offsets, lengths)] = word_ids
        if pad:
            eos_at = np.repeat(ends - pad, pad) + np.tile(np.arange(pad), n_sentences)
            stream[eos_at] = eos
        return stream, np.repeat(ends, padded)

    def fit(self, sentences: Sequence[Sequence[str]]) -> NgramModel:
        """Count every 1..order-gram of the padded sentences (nltk's `padded_everygram_pipeline`).

        Each level's n-grams get dense ids (`np.unique` of prefix-id * |ids| + last-token id), so
        all the counts Kneser-Ney needs become a few `bincount`s instead of per-query scans.
        """
        n = self.order
        if not isinstance(sentences, Sequence):
            sentences = list(sentences)
        lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
        n_words = int(lengths.sum())
        if not sentences or (n == 1 and n_words == 0):
            raise ValueError("cannot fit on an empty corpus (no tokens to count)")
        # One C-level pass: each word's first position; dense ids in first-occurrence order.
        first_seen: dict[str, int] = {}
        first = np.fromiter(
            map(first_seen.setdefault, chain.from_iterable(sentences), range(n_words)),
            dtype=np.int64,
            count=n_words,
        )
        rank = np.zeros(n_words, dtype=np.int64)
        rank[np.fromiter(first_seen.values(), dtype=np.int64, count=len(first_seen))] = np.arange(
            len(first_seen)
        )
        words = list(first_seen)
        if n > 1:  # the padding symbols are vocabulary (unless the text already has them)
            words += [t for t in (BOS, EOS) if t not in first_seen]
        index = _Index((word, i) for i, word in enumerate(words))
        index.unk = index.get(UNK, len(words))
        n_ids = len(words) + (UNK not in index)
        self._index = index
        self._n_ids = n_ids
        self.vocabulary: tuple[str, ...] = (*words, UNK)  # nltk adds <UNK> even if also seen
        self.vocab_size = len(self.vocabulary)

        ids, sent_end = self._stream(lengths, rank[first], index.get(BOS, -1), index.get(EOS, -1))
        total = len(ids)
        pos = np.arange(total)

        # Per level j (n-gram length; index 0 unused or "empty context"):
        codes: list[np.ndarray] = [np.empty(0, np.int64)] * (n + 1)  # sorted n-gram codes
        count: list[np.ndarray] = [np.empty(0)] * (n + 1)  # raw count of each j-gram
        prefix: list[np.ndarray] = [np.empty(0, np.int64)] * (n + 1)  # id of its (j-1)-prefix
        ctx_total: list[np.ndarray] = [np.asarray([float(total)])] * (n + 1)  # c(g .)
        ctx_types: list[np.ndarray] = [np.empty(0)] * (n + 1)  # N1+(g .) from raw counts
        cont: list[np.ndarray] = [np.empty(0)] * (n + 1)  # N1+(. g)
        ctx_cont_total: list[np.ndarray] = [np.empty(0)] * (n + 1)  # N1+(. g .)

        kneser_ney = self.smoothing == "kneser_ney"  # add-k needs only raw counts
        count[1] = np.bincount(ids, minlength=n_ids).astype(np.float64)
        level_ids = ids  # id of the j-gram starting at each position (-1: none)
        n_prev = n_ids
        for j in range(2, n + 1):
            starts = np.flatnonzero(pos + j <= sent_end)
            code = level_ids[starts] * n_ids + ids[starts + j - 1]
            uniq, inverse, counts = np.unique(code, return_inverse=True, return_counts=True)
            inverse = inverse.reshape(-1)
            codes[j], count[j] = uniq, counts.astype(np.float64)
            prefix[j] = uniq // n_ids
            ctx_total[j - 1] = np.bincount(prefix[j], weights=count[j], minlength=n_prev)
            if kneser_ney:
                ctx_types[j - 1] = np.bincount(prefix[j], minlength=n_prev).astype(np.float64)
                suffix = np.empty(len(uniq), dtype=np.int64)
                suffix[inverse] = level_ids[starts + 1]  # the (j-1)-gram after the first token
                cont[j - 1] = np.bincount(suffix, minlength=n_prev).astype(np.float64)
            next_ids = np.full(total, -1, dtype=np.int64)
            next_ids[starts] = inverse
            level_ids, n_prev = next_ids, len(uniq)
        for j in range(1, n - 1) if kneser_ney else ():
            ctx_cont_total[j] = np.bincount(
                prefix[j + 1], weights=cont[j + 1], minlength=len(cont[j])
            )

        self._codes, self._count, self._ctx_total = codes, count, ctx_total
        self._ctx_types, self._cont, self._ctx_cont_total = ctx_types, cont, ctx_cont_total
        self._n_bigram_types = float(len(codes[2])) if n >= 2 else 0.0
        self._fitted = True
        return self

    # ------------------------------------------------------------------ scoring

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise RuntimeError("NgramModel is not fitted yet: call fit(sentences) first")

    def _lookup(self, j: int, code: np.ndarray) -> np.ndarray:
        """Ids of j-grams (j >= 2) with the given codes; -1 for those never seen in training."""
        uniq = self._codes[j]
        if len(uniq) == 0:
            return np.full(len(code), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(uniq, code), len(uniq) - 1)
        return np.where(uniq[at] == code, at, -1)

    def _gram_ids(self, x: np.ndarray, col: int) -> list[np.ndarray]:
        """Ids of the grams `x[:, col:col+length]` for length 1..(width - col); [0] is unused."""
        out = [np.empty(0, np.int64), x[:, col]]
        for length in range(2, x.shape[1] - col + 1):
            prev = out[-1]
            code = np.where(prev >= 0, prev * self._n_ids + x[:, col + length - 1], -1)
            out.append(self._lookup(length, code))
        return out

    def _probs(self, x: np.ndarray) -> np.ndarray:
        """P(x[:, -1] | x[:, :-1]) for a (queries, context length + 1) array of token ids."""
        width = x.shape[1]
        top = width - 1  # context length
        if self.smoothing == "add_k":
            if top == 0:
                c, norm = self._count[1][x[:, 0]], self._ctx_total[0][0]
            else:
                grams = self._gram_ids(x, 0)
                c = _take(self._count[width], grams[width])
                norm = _take(self._ctx_total[top], grams[top])
            return (c + self.k) / (norm + self.vocab_size * self.k)

        d = self.discount
        p = self._cont[1][x[:, -1]] / self._n_bigram_types
        with np.errstate(divide="ignore", invalid="ignore"):
            for j in range(1, width):  # context length, lowest order first
                grams = self._gram_ids(x, width - 1 - j)
                ctx, full = grams[j], grams[j + 1]
                types = _take(self._ctx_types[j], ctx)
                if j == self.order - 1:  # highest order: raw counts
                    num = _take(self._count[j + 1], full)
                    tot = _take(self._ctx_total[j], ctx)
                else:  # lower orders: continuation counts
                    num = _take(self._cont[j + 1], full)
                    tot = _take(self._ctx_cont_total[j], ctx)
                alpha = np.maximum(num - d, 0.0) / tot
                gamma = d * types / tot
                p = np.where(types > 0, alpha + gamma * p, p)
        return p

    def _windows(self, sentences: Sequence[Sequence[str]]) -> np.ndarray:
        """Token-id rows of nltk's `ngrams(pad_both_ends(s, n=order), order)` for all sentences:
        each row is (context..., predicted token), unknown tokens mapped to `<UNK>`."""
        self._check_fitted()
        n = self.order
        if not isinstance(sentences, Sequence):
            sentences = list(sentences)
        lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
        words = chain.from_iterable(sentences)
        word_ids = np.fromiter(
            map(self._index.__getitem__, words), dtype=np.int64, count=int(lengths.sum())
        )
        ids, sent_end = self._stream(
            lengths, word_ids, self._index.get(BOS, -1), self._index.get(EOS, -1)
        )
        starts = np.flatnonzero(np.arange(len(ids)) + n <= sent_end)
        return ids[starts[:, None] + np.arange(n)]

    def _log(self, p: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(p)

    def logprob(self, word: str, context: Sequence[str] = ()) -> float:
        """Natural-log P(word | context): `lm.logscore(word, context) * ln 2` for nltk's `lm`.

        `context` is the preceding tokens; only the last `order - 1` are used, and none are
        added: pass the `<s>` padding yourself for the start of a sentence. `-inf` when the
        probability is 0 (an unknown word under Kneser-Ney, as in nltk).
        """
        self._check_fitted()
        context = tuple(context)[-(self.order - 1) :] if self.order > 1 else ()
        x = np.asarray([[self._index[t] for t in (*context, word)]], dtype=np.int64)
        return float(self._log(self._probs(x))[0])

    def word_probs(self, sentence: Sequence[str]) -> list[tuple[str, float]]:
        """Each predicted token of the padded sentence (its words, then the `</s>` padding) with
        its conditional probability, for printing; unknown words keep their spelling here."""
        words = [*sentence, *[EOS] * (self.order - 1)]  # the last token of each n-gram
        return list(zip(words, self._probs(self._windows([sentence])).tolist(), strict=True))

    def sentence_logprob(self, sentence: Sequence[str]) -> float:
        """Natural-log probability of a sentence: the sum of `logprob` over nltk's padded
        n-grams of it (so it includes the `order - 1` predicted `</s>` symbols)."""
        x = self._windows([sentence])
        return math.fsum(self._log(self._probs(x)).tolist())

    def perplexity(self, sentences: Sequence[Sequence[str]]) -> float:
        """exp(-mean natural-log probability per predicted token) over a held-out corpus; equals
        nltk's `lm.perplexity(n-grams of the padded sentences)` (see the module docstring)."""
        x = self._windows(sentences)
        if len(x) == 0:
            raise ValueError("perplexity needs at least one predicted token")
        mean = math.fsum(self._log(self._probs(x)).tolist()) / len(x)
        with np.errstate(over="ignore"):
            return float(np.exp(-mean))
