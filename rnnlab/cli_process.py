"""The `rnnlab` command's process: Keras imported lean, TensorFlow's start-up kept off the
terminal, and a closed standard output met quietly."""

from __future__ import annotations

import contextlib
import importlib.abc
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator

from rnnlab.core.errors import RnnlabError

# What Keras (and its TensorFlow) imports only to support where installed (scikit-learn, pandas,
# SciPy sparse, matplotlib): 2-3 s of a cold `rnnlab predict`, and no command uses them.
KERAS_EXTRAS = frozenset({"sklearn", "pandas", "matplotlib", "scipy"})


class RefuseExtras(importlib.abc.MetaPathFinder):
    """Refuses `KERAS_EXTRAS`; in front of the import system only while `import_keras` runs,
    and Keras takes a refused extra as one not installed."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] in KERAS_EXTRAS:
            raise ModuleNotFoundError(f"No module named {name!r} (left out while Keras loads)",
                                      name=name)
        return None


def import_keras() -> None:
    """Import Keras (and TensorFlow) without its optional extras, once the command's input
    has been checked; afterwards they import as usual."""
    if "keras" in sys.modules:
        return
    finder = RefuseExtras()
    sys.meta_path.insert(0, finder)
    try:
        import keras  # noqa: F401
    finally:
        sys.meta_path.remove(finder)


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """TensorFlow and absl log their start-up straight to file descriptor 2, whatever
    TF_CPP_MIN_LOG_LEVEL says; keep that (and library warnings) off the user's terminal. It is
    shown after all if the command fails with a bug, beside the traceback."""
    sys.stderr.flush()
    saved, log = os.dup(2), tempfile.TemporaryFile()
    os.dup2(log.fileno(), 2)
    bug = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except (RnnlabError, BrokenPipeError):
        raise
    except BaseException:
        bug = True
        raise
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        if bug:
            log.seek(0)
            sys.stderr.write(log.read().decode("utf-8", "replace"))
        log.close()


def stdout_to_devnull() -> None:
    """Point standard output's file descriptor at /dev/null, so what is left in its buffer
    goes nowhere at exit instead of failing again there."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # not a real file (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
