"""The classification sections of params.yaml: `sequences`, `train`, `baseline`, `evaluate`."""

from __future__ import annotations

import dataclasses
from typing import Literal

from rnnlab.core.params import only, value
from rnnlab.tasks.fit_params import FitParams
from rnnlab.tasks.layers import Cell, layer_specs


@dataclasses.dataclass(frozen=True, kw_only=True)
class SequencesParams:
    maxlen: int = value(ge=1)
    padding: Literal["pre", "post"]
    truncating: Literal["pre", "post"]
    unknown: Literal["oov", "drop"]  # what becomes of words outside the vocabulary


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainParams(FitParams):
    """A recurrent classifier: embedding -> (conv) -> recurrent stack -> (pooling) -> output."""

    embedding: Literal["learned", "glove_frozen", "glove_finetune"]
    embedding_dim: int | None = only(lambda p: p.embedding == "learned",
                                     "embedding: learned only; GloVe fixes its own size", ge=1)
    mask_zero: bool
    embedding_dropout: float = value(ge=0, lt=1)  # SpatialDropout1D: whole embedding channels
    conv_filters: int = value(ge=0)  # 0: none; else Conv1D + MaxPooling1D before the RNN
    conv_kernel: int | None = only(lambda p: p.conv_filters > 0, "conv_filters > 0 only", ge=1)
    conv_pool: int | None = only(lambda p: p.conv_filters > 0, "conv_filters > 0 only", ge=1)
    layers: int = value(ge=1)
    cell: Cell | list[Cell]  # one for every layer, or a list with one per layer
    units: int = value(ge=1)
    bidirectional: bool
    between_dense: int | None = only(lambda p: p.layers > 1, "layers > 1 only", default=0,
                                     ge=0)  # 0: none; else a dense layer between RNN layers
    dropout: float = value(ge=0, lt=1)
    recurrent_dropout: float = value(ge=0, lt=1)  # > 0: no cuDNN kernel on a GPU
    # final state, or pooled over the (unmasked) steps; concat: last, max and mean together
    pooling: Literal["last", "max", "mean", "concat"]
    dense_units: int = value(ge=0)  # 0: no hidden dense layer before the output
    class_weight: Literal["none", "balanced"]  # "balanced": weight classes by 1 / frequency
    bucketing: bool  # batches of similar lengths, padded only to their own longest
    bucket_span: int | None = only(lambda p: p.bucketing, "bucketing: true only",
                                   ge=1)  # batches sorted together before they are shuffled

    def check(self) -> None:
        layer_specs(self.cell, self.units, self.bidirectional, self.layers)


@dataclasses.dataclass(frozen=True, kw_only=True)
class FinetuneParams(TrainParams):
    """A classifier whose embedding and recurrent layers start from `pretrain.<pretrained>`."""

    pretrained: str  # a pretrain entry; its cell, units and embedding_dim are this model's
    freeze_epochs: int = value(ge=0)  # first epochs with the pretrained layers frozen

    def check(self) -> None:
        super().check()
        if self.embedding != "learned":
            raise ValueError("embedding: the pretrained embedding is copied in; expected learned")
        if self.bidirectional:
            raise ValueError("bidirectional: a pretrained language model reads left to right; "
                             "expected false")


@dataclasses.dataclass(frozen=True, kw_only=True)
class BaselineParams:
    classifier: Literal["linear_svc", "logistic_regression"]
    c_grid: list[float] = value(gt=0)  # inverse regularization strengths; best on validation
    ngram_max: int = value(ge=1)  # word n-grams from 1 to this
    min_df: int = value(ge=1)  # ignore n-grams seen in fewer training documents
    sublinear_tf: bool
    seed: int

    def check(self) -> None:
        if not self.c_grid:
            raise ValueError("c_grid: expected at least one value")


@dataclasses.dataclass(frozen=True, kw_only=True)
class EvaluateParams:
    batch_size: int = value(ge=1)
    samples: int = value(ge=0)  # test predictions written out with their texts
    threshold: float | None = value(None, gt=0, lt=1)  # binary tasks only (None: 0.5)
