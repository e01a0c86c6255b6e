"""The common entry point of `stages/*.py`: one argument, one-line errors for bad input only.

Importing it also quiets TensorFlow's start-up in the stage's process (every stage script
imports it before anything loads TensorFlow): see `quiet_tensorflow`."""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from rnnlab.core.errors import RnnlabError

# TensorFlow's C++ logs below this level stay out of the log (0 info, 1 warning, 2 error, 3
# fatal); a run that wants them sets TF_CPP_MIN_LOG_LEVEL itself, as the Makefile does. 3: the
# error lines TensorFlow logs in a healthy run are notices ("oneDNN supports DT_BOOL only on
# platforms with AVX-512. Falling back ...", once per training; a GPU build's "Unable to register
# cuDNN factory"), and a real failure raises a Python exception with its message.
LOG_LEVEL = "3"
# "I0000 00:00:1796672349.837787    3749 port.cc:153] ...": absl's C++ log line, its severity first
_LOG_LINE = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [^\]]+\] ")
_SEVERITY = {"I": 0, "W": 1, "E": 2, "F": 3}
# absl's notice before its first line, printed once per library that logs before InitializeLog
_ABSL_NOTICE = ("WARNING: All log messages before absl::InitializeLog() is called are written"
                " to STDERR")


def min_log_level() -> int:
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        return 0


def wanted(line: str, level: int) -> bool:
    """Whether a line that `import tensorflow` wrote to stderr is for the log at `level`."""
    if level > 0 and line.rstrip("\n") == _ABSL_NOTICE:
        return False
    match = _LOG_LINE.match(line)
    return match is None or _SEVERITY[match.group(1)] >= level


@contextlib.contextmanager
def filtered_stderr(level: int) -> Iterator[None]:
    """What the process writes to file descriptor 2 meanwhile (C++ included), held back, then
    written to stderr without the log lines below `level`."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            lines = held.read().decode(errors="replace").splitlines(keepends=True)
            sys.stderr.write("".join(line for line in lines if wanted(line, level)))
            sys.stderr.flush()


class _QuietTensorFlow(importlib.abc.MetaPathFinder):
    """Loads `tensorflow`, the first time, inside `filtered_stderr`: TensorFlow 2.21 logs
    "oneDNN custom operations are on" (an info line, twice, each after absl's notice) while it
    loads, whatever TF_CPP_MIN_LOG_LEVEL says. Its only switch, TF_ENABLE_ONEDNN_OPTS=0, would
    change the numbers, so the lines are dropped instead."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        if name != "tensorflow":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)  # once: whatever else imports it finds it loaded
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader, level = spec.loader, min_log_level()
        load = loader.exec_module

        def exec_module(module: object) -> None:
            with filtered_stderr(level):
                load(module)

        loader.exec_module = exec_module
        return spec


def quiet_tensorflow() -> None:
    """Before TensorFlow loads: its C++ logs below `LOG_LEVEL` (or TF_CPP_MIN_LOG_LEVEL) and
    the info lines it writes while loading stay out of the stage's log."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", LOG_LEVEL)
    if "tensorflow" not in sys.modules and min_log_level() > 0 and not any(
            isinstance(finder, _QuietTensorFlow) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlow())


quiet_tensorflow()


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
