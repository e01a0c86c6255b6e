"""The optimisation params every `train*` section shares, apart from the training code, so
stages that only read params (sequences, baselines, n-grams) do not depend on the fit loop."""

from __future__ import annotations

import dataclasses
from typing import Literal

from rnnlab.core.params import value


@dataclasses.dataclass(frozen=True, kw_only=True)
class FitParams:
    """The optimisation settings of every `train*` section."""

    seed: int = value(ge=0, help="Seeds weight initialisation, dropout and the batch "
                      "shuffle, so the same params give the same model on one machine.")
    optimizer: Literal["adam", "rmsprop", "sgd"] = value(help="The Keras optimizer.")
    learning_rate: float = value(gt=0, help="The optimizer's step size.")
    clipnorm: float | None = value(gt=0, help="Clip each gradient to this norm "
                                   "(null: no clipping).")
    batch_size: int = value(ge=1, help="Examples per training batch.")
    epochs: int = value(ge=1, help="The most epochs trained (early stopping may end sooner).")
    patience: int = value(ge=0, help="Epochs without a lower validation loss before "
                          "EarlyStopping ends training; the best weights are restored.")
    deterministic: bool = value(help="Turn on TensorFlow's `enable_op_determinism()`: "
                                "bit-identical runs, some ops slower.")
    strategy: Literal["default", "mirrored", "multi_worker"] = value(
        "default", help="default: one device; mirrored: every local GPU; multi_worker: the "
        "workers named in TF_CONFIG.")


def check_freeze(freeze_epochs: int, epochs: int) -> None:
    """A fine-tuning's frozen epochs must leave some to train the pretrained layers in."""
    if freeze_epochs >= epochs:
        raise ValueError(f"freeze_epochs: {freeze_epochs} ≥ epochs {epochs} would leave the "
                         "pretrained layers frozen for the whole training; expected fewer than "
                         "epochs")
