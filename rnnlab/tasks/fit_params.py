"""The optimisation params every `train*` section shares, apart from the training code, so
stages that only read params (sequences, baselines, n-grams) do not depend on the fit loop."""

from __future__ import annotations

import dataclasses
from typing import Literal

from rnnlab.core.params import value


@dataclasses.dataclass(frozen=True, kw_only=True)
class FitParams:
    """The optimisation settings of every `train*` section."""

    seed: int
    optimizer: Literal["adam", "rmsprop", "sgd"]
    learning_rate: float = value(gt=0)
    clipnorm: float | None = value(gt=0)  # clip each gradient's norm (None: no clipping)
    batch_size: int = value(ge=1)
    epochs: int = value(ge=1)
    patience: int = value(ge=0)  # EarlyStopping on val_loss, best weights restored
    deterministic: bool  # tf.config.experimental.enable_op_determinism()
    # default: one device; mirrored: every local GPU; multi_worker: the workers in TF_CONFIG
    strategy: Literal["default", "mirrored", "multi_worker"] = "default"
