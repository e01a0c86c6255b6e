"""Scoring translations: corpus BLEU and chrF with every reference, teacher-forced token
accuracy, the retrieval baseline, and sample translations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import log_softmax

from rnnlab.core.errors import ParamsError
from rnnlab.core.samples import markdown_table, spaced
from rnnlab.tasks.translate.data import arrays
from rnnlab.tasks.translate.params import TranslationEvalParams
from rnnlab.text.vocab import Vocab

if TYPE_CHECKING:
    import keras


def references_by_source(pairs: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Each distinct source sentence (first-seen order) and every target given for it."""
    grouped = pairs.groupby("text", sort=False)["target"].agg(list)
    return grouped.index.tolist(), grouped.tolist()


def corpus_scores(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> dict:
    """Corpus BLEU and chrF (sacrebleu); a sentence's missing extra references are None."""
    import sacrebleu

    depth = max(len(r) for r in references)
    streams = [[r[i] if i < len(r) else None for r in references] for i in range(depth)]
    return {"bleu": round(sacrebleu.corpus_bleu(list(hypotheses), streams).score, 4),
            "chrf": round(sacrebleu.corpus_chrf(list(hypotheses), streams).score, 4)}


def retrieval_baseline(train: pd.DataFrame, sources: Sequence[str]) -> list[str]:
    """For each source, the target of the training pair whose source shares the most words.

    Ties go to the training sentence with the fewest other words (the closest match), then to
    the first in table order.
    """
    train_words = [set(text.split()) for text in train["text"]]
    targets = train["target"].tolist()
    out = []
    for source in sources:
        words = set(source.split())
        best = max(range(len(train_words)), key=lambda i: (len(words & train_words[i]),
                                                           -len(train_words[i] - words), -i))
        out.append(targets[best])
    return out


def token_accuracy(model: keras.Model, pairs: pd.DataFrame, source: Vocab, target: Vocab,
                   batch_size: int) -> dict:
    """Teacher-forced next-word accuracy and cross-entropy, padding masked."""
    (x, t_in), t_out, weights = arrays(pairs, source, target)
    logits = np.concatenate([np.asarray(model.predict_on_batch([x[i: i + batch_size],
                                                                t_in[i: i + batch_size]]))
                             for i in range(0, len(x), batch_size)]).astype(np.float64)
    log_probs = log_softmax(logits, axis=-1)
    picked = np.take_along_axis(log_probs, t_out[..., None], axis=-1)[..., 0]
    mask = weights > 0
    return {"token_accuracy": round(float((logits.argmax(-1) == t_out)[mask].mean()), 6),
            "loss": round(float(-picked[mask].mean()), 6)}


def samples_markdown(sources: Sequence[str], hypotheses: Sequence[str],
                     references: Sequence[Sequence[str]], count: int) -> str:
    """`count` test sentences evenly spaced through the split, with every reference."""
    rows = [(sources[i], hypotheses[i], " / ".join(references[i]))
            for i in spaced(len(sources), count)]
    return markdown_table(["Portuguese", "model", "references"], rows)


def check_eval_params(params: TranslationEvalParams, meta: dict) -> None:
    if params.data != meta["params"]["data"]:
        raise ParamsError(f"evaluate_translation.data is {params.data!r} but the model was "
                         f"trained on {meta['params']['data']!r}")
