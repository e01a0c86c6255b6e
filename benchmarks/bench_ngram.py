"""Time `rnnlab.tasks.lm.ngram.NgramModel` against `nltk.lm` on the same data and check they agree.

Why: the n-gram baseline is only worth having if it is both right (same perplexities as the
reference, nltk.lm) and fast enough for a whole corpus, which nltk's Kneser-Ney is not.

    python benchmarks/bench_ngram.py [--corpus PATH] [--order 3] [--lines N] [--json PATH]

The corpus (default: tiny-shakespeare from `$RNNLAB_MIRROR`, else `../shared/datasets` next to the
repository) is lower-cased and split on whitespace, one sentence per non-blank line; `--lines N`
keeps the first N of those. The first 90% of the sentences are training data, the rest held out.
For each smoothing the timed work is fit + perplexity of the held-out sentences, twice: on all of
them, and on those with no out-of-vocabulary word (Kneser-Ney gives unknown words probability 0,
in nltk as here, so its perplexity on the whole held-out set is inf). nltk's recipe is
`padded_everygram_pipeline` + `fit`, then `lm.perplexity(ngrams(pad_both_ends(s, n), n) ...)`.
rnnlab's time is the best of `--repeat` runs; nltk runs once. Before either is timed, each runs
once untimed on the first WARMUP_SENTENCES training sentences, so that one-time costs (lazy
imports, caches, the allocator's first growth) fall on neither timed arm; the order is recorded
(`order_per_smoothing`), with the provenance (see provenance.py).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nltk.lm import KneserNeyInterpolated, Laplace, Lidstone  # noqa: E402
from nltk.lm.preprocessing import pad_both_ends, padded_everygram_pipeline  # noqa: E402
from nltk.util import ngrams  # noqa: E402
from provenance import provenance, write_result  # noqa: E402

from rnnlab.tasks.lm.ngram import NgramModel  # noqa: E402

Sentences = Sequence[Sequence[str]]
WARMUP_SENTENCES = 100


def default_corpus() -> Path:
    mirror = os.environ.get("RNNLAB_MIRROR")
    folder = Path(mirror) if mirror else REPO.parent / "shared" / "datasets"
    return folder / "tinyshakespeare_input.txt"


def load_sentences(path: Path, lines: int | None) -> list[list[str]]:
    text = path.read_text(encoding="utf-8")
    sentences = [
        tokens for tokens in (line.lower().split() for line in text.splitlines()) if tokens
    ]
    return sentences[:lines] if lines else sentences


def nltk_run(
    order: int, smoothing: str, k: float, discount: float, train: Sentences, held: list[Sentences]
) -> tuple[float, float, list[float]]:
    """(fit seconds, scoring seconds, perplexity of each held-out set) for nltk.lm."""
    start = time.perf_counter()
    train_ngrams, vocab_text = padded_everygram_pipeline(order, train)
    if smoothing == "kneser_ney":
        lm = KneserNeyInterpolated(order, discount=discount)
    else:
        lm = Laplace(order) if k == 1 else Lidstone(k, order)
    lm.fit(train_ngrams, vocab_text)
    fitted = time.perf_counter()
    ppls = []
    for sents in held:
        test_ngrams = [g for s in sents for g in ngrams(pad_both_ends(s, n=order), order)]
        ppls.append(lm.perplexity(test_ngrams))
    return fitted - start, time.perf_counter() - fitted, ppls


def rnnlab_run(
    order: int, smoothing: str, k: float, discount: float, train: Sentences, held: list[Sentences]
) -> tuple[float, float, list[float]]:
    start = time.perf_counter()
    model = NgramModel(order, smoothing, k=k, discount=discount).fit(train)
    fitted = time.perf_counter()
    ppls = [model.perplexity(sents) for sents in held]
    return fitted - start, time.perf_counter() - fitted, ppls


def best_of(repeat: int, run: Callable[[], tuple[float, float, list[float]]]):
    results = [run() for _ in range(repeat)]
    return min(results, key=lambda r: r[0] + r[1])


def warm_up(order: int, smoothing: str, k: float, discount: float, train: Sentences) -> None:
    """One untimed run of each arm, nltk first, on a few training sentences (scored on the
    same sentences: held-out ones may all hold unknown words)."""
    few = train[:WARMUP_SENTENCES]
    nltk_run(order, smoothing, k, discount, few, [few])
    rnnlab_run(order, smoothing, k, discount, few, [few])


def rel_diff(a: float, b: float) -> float:
    """|a - b| / |b|; 0 when both are the same infinity."""
    if a == b:
        return 0.0
    if math.isinf(a) or math.isinf(b):
        return math.inf
    return abs(a - b) / abs(b)


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=None, help="text file, one sentence a line")
    parser.add_argument("--order", type=int, default=3)
    parser.add_argument("--lines", type=int, default=None, help="keep the first N sentences")
    parser.add_argument("--k", type=float, default=1.0, help="add-k pseudo-count (1: Laplace)")
    parser.add_argument("--discount", type=float, default=0.75, help="Kneser-Ney discount")
    parser.add_argument(
        "--smoothing", choices=["add_k", "kneser_ney", "both"], default="both", help="which model"
    )
    parser.add_argument("--repeat", type=int, default=3, help="rnnlab runs (best is reported)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    record = provenance()

    corpus = args.corpus or default_corpus()
    sentences = load_sentences(corpus, args.lines)
    split = int(0.9 * len(sentences))
    train, held_all = sentences[:split], sentences[split:]
    seen = {w for s in train for w in s}
    held_iv = [s for s in held_all if all(w in seen for w in s)]
    held = [held_all, held_iv]
    n_tokens = [sum(len(s) for s in part) for part in (train, held_all, held_iv)]
    print(
        f"corpus {corpus}: {len(sentences)} sentences; train {len(train)} ({n_tokens[0]} words), "
        f"held out {len(held_all)} ({n_tokens[1]} words), of which {len(held_iv)} "
        f"({n_tokens[2]} words) have no unknown word; order {args.order}"
    )

    smoothings = ["add_k", "kneser_ney"] if args.smoothing == "both" else [args.smoothing]
    rows = []
    for smoothing in smoothings:
        warm_up(args.order, smoothing, args.k, args.discount, train)
        params = (args.order, smoothing, args.k, args.discount, train, held)
        n_fit, n_score, n_ppl = nltk_run(*params)
        r_fit, r_score, r_ppl = best_of(args.repeat, lambda p=params: rnnlab_run(*p))
        rows.append(
            {
                "smoothing": smoothing,
                "nltk_fit_s": n_fit,
                "nltk_score_s": n_score,
                "nltk_total_s": n_fit + n_score,
                "rnnlab_fit_s": r_fit,
                "rnnlab_score_s": r_score,
                "rnnlab_total_s": r_fit + r_score,
                "speedup": (n_fit + n_score) / (r_fit + r_score),
                "ppl_nltk": n_ppl[0],
                "ppl_rnnlab": r_ppl[0],
                "ppl_in_vocab_nltk": n_ppl[1],
                "ppl_in_vocab_rnnlab": r_ppl[1],
                "max_rel_diff_ppl": max(rel_diff(a, b) for a, b in zip(r_ppl, n_ppl, strict=True)),
            }
        )

    header = (
        f"{'smoothing':<11}{'nltk s':>10}{'rnnlab s':>10}{'speedup':>9}"
        f"{'ppl nltk':>12}{'ppl rnnlab':>12}{'ppl-iv nltk':>13}{'ppl-iv rnnlab':>15}"
        f"{'rel diff':>10}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['smoothing']:<11}{r['nltk_total_s']:>10.3f}{r['rnnlab_total_s']:>10.4f}"
            f"{r['speedup']:>8.0f}x{r['ppl_nltk']:>12.4f}{r['ppl_rnnlab']:>12.4f}"
            f"{r['ppl_in_vocab_nltk']:>13.4f}{r['ppl_in_vocab_rnnlab']:>15.4f}"
            f"{r['max_rel_diff_ppl']:>10.1e}"
        )
    print("(seconds are fit + both perplexities; ppl-iv: held-out sentences without unknown words)")

    result = {
        "corpus": corpus.name,  # the file name only: results stay machine-independent
        "order": args.order,
        "k": args.k,
        "discount": args.discount,
        "lines": args.lines,
        "train_sentences": len(train),
        "heldout_sentences": len(held_all),
        "heldout_in_vocab_sentences": len(held_iv),
        "train_words": n_tokens[0],
        "heldout_words": n_tokens[1],
        "rnnlab_repeat": args.repeat,
        "warmup_sentences": WARMUP_SENTENCES,
        "order_per_smoothing": ["warm-up nltk", "warm-up rnnlab", "nltk",
                                f"rnnlab x{args.repeat}"],
        "results": rows,
    }
    if args.json:
        write_result(args.json, result, record=record)  # inf is written as the string "Infinity"
    return result


if __name__ == "__main__":
    main()
