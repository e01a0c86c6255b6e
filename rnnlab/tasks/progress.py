"""Progress within an epoch for a log: Keras's `verbose=2` says nothing until an epoch ends, and
a long one (a pretraining's can take most of an hour) would be silent. On a terminal Keras's
own progress bar (`verbose=1`) shows it instead, and this callback prints nothing."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

import keras

INTERVAL = 60.0  # seconds between two lines within an epoch, in a log


def on_terminal(stream: TextIO | None = None) -> bool:
    """Whether `stream` (stdout by default) is a terminal, where Keras draws a progress bar."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def keras_verbose(stream: TextIO | None = None) -> int:
    """`fit(verbose=...)`: a progress bar per batch on a terminal, one line per epoch in a log."""
    return 1 if on_terminal(stream) else 2


class EpochProgress(keras.callbacks.Callback):
    """Where an epoch is, one line every `interval` seconds, flushed, while it runs:

        epoch 3/10: batch 1200/5400 (22%), loss 4.123, 61 s

    Silent on a terminal (Keras's progress bar shows it) and in an epoch shorter than
    `interval`."""

    def __init__(self, interval: float | None = None, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval = INTERVAL if interval is None else interval
        self.clock = clock
        self._stream = stream
        self.epoch = 0
        self.started = self.last = 0.0

    @property
    def stream(self) -> TextIO:
        return sys.stdout if self._stream is None else self._stream

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch
        self.started = self.last = self.clock()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        now = self.clock()
        if now - self.last < self.interval or on_terminal(self.stream):
            return
        self.last = now
        print(self.line(batch, logs or {}, now - self.started), file=self.stream, flush=True)

    def line(self, batch: int, logs: dict, seconds: float) -> str:
        params = self.params or {}
        epochs, steps = params.get("epochs"), params.get("steps")
        text = f"epoch {self.epoch + 1}" + (f"/{epochs}" if epochs else "")
        text += f": batch {batch + 1}"
        if steps:  # a distributed fit does not know its count
            text += f"/{steps} ({100 * (batch + 1) // steps}%)"
        if "loss" in logs:
            text += f", loss {float(logs['loss']):.4g}"
        return text + f", {seconds:.0f} s"
