"""Every corpus the `prepare` stage knows: its params schema and its reader, by name.

Adding a corpus is one module here (a params dataclass and a `prepare(raw_dir, params)`
function returning the tidy table), one line below, and its params entries.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from rnnlab.core.errors import ParamsError
from rnnlab.corpora import imdb, por_eng, reuters, shakespeare, sheldon, sonnets


class Corpus(NamedTuple):
    params: type
    prepare: Callable[[Path, Any], pd.DataFrame]


CORPORA: dict[str, Corpus] = {
    "imdb": Corpus(imdb.ImdbParams, imdb.prepare_imdb),
    "reuters": Corpus(reuters.ReutersParams, reuters.prepare_reuters),
    "sonnets": Corpus(sonnets.SonnetsParams, sonnets.prepare_sonnets),
    "shakespeare": Corpus(shakespeare.ShakespeareParams, shakespeare.prepare_shakespeare),
    "sheldon": Corpus(sheldon.SheldonParams, sheldon.prepare_sheldon),
    "por_eng": Corpus(por_eng.PorEngParams, por_eng.prepare_por_eng),
}


def prepare_schema(values: Any, where: str) -> type:
    """A `prepare` entry is checked by the params class of the corpus it names."""
    name = values.get("corpus") if isinstance(values, dict) else None
    if name not in CORPORA:
        raise ParamsError(f"{where}.corpus: expected one of {' | '.join(CORPORA)}, got {name!r}")
    return CORPORA[name].params
