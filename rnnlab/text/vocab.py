"""Vocabularies: token <-> index, built from training text in a deterministic order.

Index 0 is padding and 1 is out-of-vocabulary; then any reserved tokens (language models reserve
`EOL`, the end of a line); the rest are sorted by frequency (descending), ties broken by the
token itself, so the same text always gives the same file.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from rnnlab.core.errors import DataError
from rnnlab.core.files import read_json, write_json
from rnnlab.core.params import value
from rnnlab.text.tokenize import tokenize

PAD, OOV = "", "[UNK]"
PAD_ID, OOV_ID = 0, 1
EOL = "\n"  # end of line: a token of its own for language models, which must predict it


@dataclasses.dataclass(frozen=True, kw_only=True)
class VocabParams:
    """A task's vocabulary, built from its training split (`vocab.<task>`)."""

    level: Literal["word", "char"] = value(help="The tokens: words or characters.")
    standardize: Literal["keras", "lower_strip_punctuation", "lower", "none"] = value(
        help="Normalisation before splitting: keras (Tokenizer's filters, apostrophes kept), "
        "lower_strip_punctuation (TextVectorization's default), lower, or none.")
    max_tokens: int | None = value(ge=3, help="Vocabulary size including padding (0) and OOV "
                                   "(1); the most frequent tokens are kept (null: no limit).")
    min_freq: int = value(ge=1, help="Tokens seen fewer times in training are out of "
                          "vocabulary.")
    end_of_line: bool = value(False, help="Reserve the end-of-line token (language models "
                              "predict line ends).")


@dataclasses.dataclass
class Vocab:
    tokens: list[str]  # index -> token; tokens[0] is padding, tokens[1] out-of-vocabulary
    level: str
    standardize: str
    counts: list[int] = dataclasses.field(default_factory=list)  # training count per index

    def __post_init__(self) -> None:
        self.index = {token: i for i, token in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    def tokenize(self, text: str) -> list[str]:
        return tokenize(text, self.level, self.standardize)

    def encode(self, text: str, unknown: str = "oov") -> list[int]:
        """Token ids of `text`; unknown tokens become OOV (`oov`) or are left out (`drop`)."""
        ids = [self.index.get(token, OOV_ID) for token in self.tokenize(text)]
        if unknown == "drop":
            return [i for i in ids if i != OOV_ID]
        if unknown != "oov":
            raise ValueError(f"unknown must be 'oov' or 'drop', got {unknown!r}")
        return ids

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[i] for i in ids if i != PAD_ID]

    def save(self, path: Path) -> None:
        write_json(path, {
            "level": self.level,
            "standardize": self.standardize,
            "index_word": self.tokens,
            "word_index": self.index,
            "counts": self.counts,
        })

    @classmethod
    def load(cls, path: Path) -> Vocab:
        data = read_json(path)
        try:
            return cls(data["index_word"], data["level"], data["standardize"],
                       data.get("counts", []))
        except (KeyError, TypeError) as err:
            raise DataError(f"{path}: not a vocabulary file (no {err})") from None


def build_vocab(
    texts: Iterable[str],
    level: str = "word",
    standardize: str = "keras",
    max_tokens: int | None = None,
    min_freq: int = 1,
    reserved: Sequence[str] = (),
) -> Vocab:
    """Count tokens over `texts` and keep the most frequent ones.

    `max_tokens` counts padding and OOV, as `TextVectorization(max_tokens=...)` does, and the
    `reserved` tokens, which come right after them whatever their counts.
    """
    if max_tokens is not None and max_tokens < 3:
        raise ValueError(f"max_tokens must be at least 3 (padding, OOV, a token), got {max_tokens}")
    counter: Counter[str] = Counter()
    for text in texts:
        counter.update(tokenize(text, level, standardize))
    for token in (PAD, OOV, *reserved):
        counter.pop(token, None)
    ranked = sorted(
        ((token, count) for token, count in counter.items() if count >= min_freq),
        key=lambda item: (-item[1], item[0]),
    )
    if max_tokens is not None:
        ranked = ranked[: max_tokens - 2 - len(reserved)]
    tokens = [PAD, OOV, *reserved] + [token for token, _ in ranked]
    counts = [0, 0, *[0] * len(reserved)] + [count for _, count in ranked]
    return Vocab(tokens, level, standardize, counts)
