"""The common entry point of `stages/*.py`: one argument, one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from rnnlab.config import ParamsError
from rnnlab.download import DownloadError

# Errors that mean bad input or configuration: shown as one line, not a traceback.
EXPECTED_ERRORS = (ParamsError, DownloadError, FileNotFoundError, ValueError, KeyError)


def run(main: Callable[[str], None]) -> None:
    """Call `main(name)` with the stage's single argument; print expected errors as one line."""
    stage = Path(sys.argv[0]).stem
    if len(sys.argv) != 2:
        sys.exit(f"usage: python stages/{stage}.py <name>")
    try:
        main(sys.argv[1])
    except EXPECTED_ERRORS as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        sys.exit(f"{stage} {sys.argv[1]}: error: {message}")
