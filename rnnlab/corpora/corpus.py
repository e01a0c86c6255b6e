"""What a corpus module declares so the `prepare` stage finds it: `CORPUS = Corpus(...)`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd


class Corpus(NamedTuple):
    params: type  # the dataclass that checks its `prepare` entries (with a `corpus` Literal)
    prepare: Callable[[Path, Any], pd.DataFrame]  # raw folder, params -> the tidy table
