"""Translation data: vocabularies, padded arrays and `tf.data` batches of sentence pairs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rnnlab.tasks.fit import finish, shuffled_batches
from rnnlab.tasks.translate.params import TranslationTrainParams
from rnnlab.text.sequences import pad_sequences
from rnnlab.text.vocab import PAD_ID, Vocab, build_vocab

START, END = "<start>", "<end>"  # normalize_sentence deletes "<" and ">": never a real word


def build_vocabs(train: pd.DataFrame, params: TranslationTrainParams) -> tuple[Vocab, Vocab]:
    """Source and target vocabularies from the training pairs; the target's has START and END."""
    source = build_vocab(train["text"], "word", "none", params.max_tokens_source, params.min_freq)
    target = build_vocab((f"{START} {t} {END}" for t in train["target"]), "word", "none",
                         params.max_tokens_target, params.min_freq)
    return source, target


def encode_sources(texts: Sequence[str], vocab: Vocab) -> np.ndarray:
    """Post-padded source ids, as wide as the longest sentence."""
    ids = [vocab.encode(text) for text in texts]
    return pad_sequences(ids, max((len(i) for i in ids), default=1) or 1, "post", "post")


def encode_targets(texts: Sequence[str], vocab: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """Decoder inputs (START + sentence) and outputs (sentence + END), post-padded."""
    ids = [vocab.encode(text) for text in texts]
    start, end = vocab.index[START], vocab.index[END]
    width = max(len(i) for i in ids) + 1
    return (pad_sequences([[start] + i for i in ids], width, "post", "post"),
            pad_sequences([i + [end] for i in ids], width, "post", "post"))


def arrays(pairs: pd.DataFrame, source: Vocab, target: Vocab) -> tuple[tuple[np.ndarray, ...],
                                                                       np.ndarray, np.ndarray]:
    """((source, decoder input), decoder output, weights): weight 0 on padding, 1 elsewhere."""
    x = encode_sources(pairs["text"].tolist(), source)
    t_in, t_out = encode_targets(pairs["target"].tolist(), target)
    return (x, t_in), t_out, (t_out != PAD_ID).astype("float32")


def dataset(x: tuple[np.ndarray, ...], y: np.ndarray, w: np.ndarray, batch_size: int,
            seed: int | None):
    """Batches of (inputs, outputs, weights); shuffled each epoch when a seed is given."""
    import tensorflow as tf

    if seed is not None:
        return shuffled_batches((x, y, w), batch_size, seed)
    return finish(tf.data.Dataset.from_tensor_slices((x, y, w)).batch(batch_size))
