"""Text standardization and tokenization: the one place where text becomes tokens.

`keras` follows `keras.preprocessing.text.Tokenizer`'s defaults (lower-case, its filter
characters become spaces, apostrophes kept), which reproduces the course notebooks' word indexes;
`lower_strip_punctuation` follows `TextVectorization`'s default (apostrophes stripped too).
"""

from __future__ import annotations

import html
import re
import string
import unicodedata

KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_KERAS_TABLE = str.maketrans({c: " " for c in KERAS_FILTERS})
_PUNCT_TABLE = str.maketrans({c: " " for c in string.punctuation})
_TAG = re.compile(r"<[^>]+>")


def strip_markup(text: str) -> str:
    """Remove HTML tags such as IMDB's `<br />` and decode entities such as `&amp;`."""
    text = _TAG.sub(" ", text)
    return html.unescape(text) if "&" in text else text


def standardize(text: str, mode: str) -> str:
    if mode == "keras":
        return text.lower().translate(_KERAS_TABLE)
    if mode == "lower_strip_punctuation":
        return text.lower().translate(_PUNCT_TABLE)
    if mode == "lower":
        return text.lower()
    if mode == "none":
        return text
    raise ValueError(f"unknown standardize mode {mode!r}")


def tokenize(text: str, level: str, mode: str) -> list[str]:
    """Split standardized text into words (on whitespace) or characters (every one kept)."""
    text = standardize(text, mode)
    if level == "word":
        return text.split()
    if level == "char":
        return list(text)
    raise ValueError(f"unknown tokenization level {level!r}")


def normalize_sentence(text: str) -> str:
    """Lower-case, punctuation and symbols deleted, whitespace collapsed (NFC Unicode).

    Deleted rather than turned into spaces, because that is how the course's mirrored subset
    was normalised ("you've" -> "youve", "d'água" -> "dágua"); accents are kept.
    """
    text = unicodedata.normalize("NFC", text).lower()
    kept = "".join(" " if ch.isspace() else ch for ch in text
                   if unicodedata.category(ch)[0] not in "PSC" or ch.isspace())
    return " ".join(kept.split())
