"""Turning token ids into model inputs: padded matrices, sliding windows, n-gram prefixes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnnlab.text.vocab import EOL, PAD_ID, Vocab


def pad_sequences(
    sequences: Sequence[Sequence[int]],
    maxlen: int,
    padding: str = "pre",
    truncating: str = "pre",
    value: int = PAD_ID,
) -> np.ndarray:
    """Like `keras.utils.pad_sequences`: `pre` pads/cuts at the start, `post` at the end."""
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError(f"padding and truncating must be 'pre' or 'post', got {padding!r}, "
                         f"{truncating!r}")
    if maxlen < 1:
        raise ValueError(f"maxlen must be positive, got {maxlen}")
    out = np.full((len(sequences), maxlen), value, dtype=np.int32)
    for row, seq in enumerate(sequences):
        if not len(seq):
            continue
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        if padding == "post":
            out[row, : len(kept)] = kept
        else:
            out[row, maxlen - len(kept):] = kept
    return out


def sequence_lengths(sequences: Sequence[Sequence[int]], maxlen: int) -> np.ndarray:
    """How many real (non-padding) positions each row of the padded matrix holds."""
    return np.fromiter((min(len(s), maxlen) for s in sequences), dtype=np.int32,
                       count=len(sequences))


def texts_to_sequences(texts: Sequence[str], vocab: Vocab, unknown: str = "oov") -> list[list[int]]:
    """Encode new text with a fitted vocabulary; unknown words become OOV or are dropped."""
    return [vocab.encode(text, unknown) for text in texts]


def sliding_windows(ids: Sequence[int], sentence_size: int, step: int) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """Windows of `sentence_size` tokens every `step` tokens; y is the token after each window."""
    if sentence_size < 1 or step < 1:
        raise ValueError(f"sentence_size and step must be positive, got {sentence_size}, {step}")
    ids = np.asarray(ids, dtype=np.int32)
    starts = np.arange(0, len(ids) - sentence_size, step)
    x = np.stack([ids[s: s + sentence_size] for s in starts]) if len(starts) else np.zeros(
        (0, sentence_size), np.int32)
    y = ids[starts + sentence_size]
    return x, y


def ngram_prefixes(lines: Sequence[Sequence[int]], maxlen: int | None = None) -> tuple[np.ndarray,
                                                                                   np.ndarray]:
    """Every prefix of length >= 2 of every line, pre-padded; the prefix's last token is y.

    This is the course's recipe for line-by-line language models: `[a, b, c]` gives the
    inputs `[a]` -> `b` and `[a, b]` -> `c`.
    """
    prefixes = [line[: end + 1] for line in lines for end in range(1, len(line))]
    if maxlen is None:
        maxlen = max((len(p) for p in prefixes), default=2)
    padded = pad_sequences(prefixes, maxlen, padding="pre", truncating="pre") if prefixes else (
        np.zeros((0, maxlen), np.int32))
    return padded[:, :-1], padded[:, -1]


def token_stream(texts: Sequence[str], eols: Sequence[bool], vocab: Vocab) -> np.ndarray:
    """A language-model split as one run of ids: `EOL` first (a line start, so the first real
    token is predicted too), then each line's tokens and `EOL` where the line ended."""
    eol = vocab.index[EOL]
    ids = [eol]
    for text, ended in zip(texts, eols, strict=True):
        ids.extend(vocab.encode(text))
        if ended:
            ids.append(eol)
    return np.asarray(ids, dtype=np.int32)


def stream_lines(stream: np.ndarray, eol: int) -> list[np.ndarray]:
    """A stream cut after each `EOL`, each piece led by the `EOL` before it: `[EOL, a, b, EOL]`.

    `ngram_prefixes` of these predicts every token of the stream exactly once (each line's words
    and its end), from the tokens of its own line only: the course's line-by-line recipe.
    """
    body = stream[1:]
    pieces = np.split(body, np.flatnonzero(body == eol) + 1)
    return [np.r_[eol, piece].astype(stream.dtype) for piece in pieces if len(piece)]


def next_token_windows(stream: np.ndarray, size: int, starts: np.ndarray) -> tuple[np.ndarray,
                                                                                   np.ndarray]:
    """Many-to-many training pairs: `x` is `size` tokens from each start, `y` the same shifted
    by one, so every position learns to predict the token after it."""
    offsets = starts[:, None] + np.arange(size)
    return stream[offsets], stream[offsets + 1]
