"""Every corpus the `prepare` stage knows, found by name: each module of this package that
declares `CORPUS = Corpus(params_class, prepare)`.

Adding a corpus is one module here (a params dataclass, a `prepare(raw_dir, params)` function
returning the tidy table, and that `CORPUS` line) plus its params entries. The modules are found
at run time, so no import names them; the `prepare` stage depends on this whole folder.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import rnnlab.corpora
from rnnlab.core.errors import ParamsError
from rnnlab.corpora.corpus import Corpus


def discover() -> dict[str, Corpus]:
    """`{module name: Corpus}` for the modules of rnnlab/corpora that declare one, by name."""
    found = {}
    for info in sorted(pkgutil.iter_modules(rnnlab.corpora.__path__), key=lambda m: m.name):
        corpus = getattr(importlib.import_module(f"rnnlab.corpora.{info.name}"), "CORPUS", None)
        if isinstance(corpus, Corpus):
            found[info.name] = corpus
    return found


CORPORA: dict[str, Corpus] = discover()


def prepare_schema(values: Any, where: str) -> type:
    """A `prepare` entry is checked by the params class of the corpus it names."""
    name = values.get("corpus") if isinstance(values, dict) else None
    if name not in CORPORA:
        raise ParamsError(f"{where}.corpus: expected one of {' | '.join(CORPORA)}, got {name!r}")
    return CORPORA[name].params
