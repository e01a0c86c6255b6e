"""The common entry point of `stages/*.py`: one argument, one-line errors for bad input only."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from rnnlab.core.errors import RnnlabError


def run(main: Callable[[str], None]) -> None:
    """Call `main(name)` with the stage's single argument.

    The project's own errors (bad params, data, downloads) print as one line; anything else is
    a bug and keeps its traceback.
    """
    stage = Path(sys.argv[0]).stem
    if len(sys.argv) != 2:
        sys.exit(f"usage: python stages/{stage}.py <name>")
    try:
        main(sys.argv[1])
    except RnnlabError as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        sys.exit(f"{stage} {sys.argv[1]}: error: {message}")
