"""The language-model sections of params.yaml: `lm_sequences`, `ngram`, `train_lm`,
`evaluate_lm`."""

from __future__ import annotations

import dataclasses
from typing import Literal

from rnnlab.core.params import only, value
from rnnlab.tasks.fit_params import FitParams
from rnnlab.tasks.layers import Cell, layer_specs


@dataclasses.dataclass(frozen=True, kw_only=True)
class LMSequencesParams:
    """How a language-model split becomes training examples (one of the course's recipes)."""

    recipe: Literal["windows", "prefixes"]  # stream windows (many-to-many), or line prefixes
    sentence_size: int | None = only(lambda p: p.recipe == "windows", "recipe: windows only",
                                     ge=1)  # tokens per window: the context the model learns
    step: int | None = only(lambda p: p.recipe == "windows", "recipe: windows only",
                            ge=1)  # tokens between window starts (a random offset each epoch)
    maxlen: int | None = only(lambda p: p.recipe == "prefixes", "recipe: prefixes only",
                              default=None, ge=2)  # longest prefix kept (None: longest line)


@dataclasses.dataclass(frozen=True, kw_only=True)
class NgramParams:
    max_order: int = value(ge=1)  # perplexity is reported for every order from 1 to this
    smoothings: list[Literal["add_k", "kneser_ney"]]
    k: float | None = only(lambda p: "add_k" in p.smoothings, "add_k smoothing only",
                           gt=0)  # add-k pseudo-count (1: Laplace)
    discount: float | None = only(lambda p: "kneser_ney" in p.smoothings,
                                  "kneser_ney smoothing only", gt=0, lt=1)
    score_order: int = value(ge=1)  # the model `rnnlab score` uses
    score_smoothing: Literal["add_k", "kneser_ney"]

    def check(self) -> None:
        if not self.smoothings:
            raise ValueError("smoothings: expected at least one of add_k, kneser_ney")
        if self.score_order > self.max_order or self.score_smoothing not in self.smoothings:
            raise ValueError(f"score_order: {self.score_order} with {self.score_smoothing} is "
                             f"not among the models fitted (orders 1..{self.max_order}, "
                             f"{', '.join(self.smoothings)})")
        if self.score_smoothing == "kneser_ney" and self.score_order < 2:
            raise ValueError("score_order: kneser_ney needs an order of at least 2")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainLMParams(FitParams):
    """A recurrent language model; list values give one entry per recurrent layer."""

    embedding_dim: int = value(ge=1)
    mask_zero: bool  # prefixes are pre-padded; masking keeps padding out of the state
    cell: Cell | list[Cell]
    units: int | list[int] = value(ge=1)
    bidirectional: bool | list[bool]  # prefix (many-to-one) models only: windows see no future
    dropout: float = value(ge=0, lt=1)  # after each recurrent layer
    recurrent_dropout: float = value(ge=0, lt=1)  # > 0: no cuDNN kernel on a GPU
    dense_units: int = value(ge=0)  # 0: none; else a relu layer with L2 before the output
    l2: float | None = only(lambda p: p.dense_units > 0, "dense_units > 0 only", ge=0)

    def check(self) -> None:
        layer_specs(self.cell, self.units, self.bidirectional)


@dataclasses.dataclass(frozen=True, kw_only=True)
class EvaluateLMParams:
    split: Literal["val", "test"]  # the held-out text the metrics are measured on
    eval_window: int | None = value(None, ge=1)  # windows recipe: tokens scored per window
    batch_size: int = value(ge=1)
    prompts: list[str]  # one sample is generated from each, with its seed
    sample_length: int = value(ge=1)  # tokens generated per sample
    temperature: float = value(ge=0)  # 0: greedy
    top_k: int = value(ge=0)  # 0: the whole vocabulary
    seed: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class FinetuneLMParams(TrainLMParams):
    """A language model whose embedding, recurrent and output layers start from
    `pretrain.<pretrained>` (a windows recipe only)."""

    pretrained: str  # a pretrain entry; its cell, units and embedding_dim are this model's
    freeze_epochs: int = value(ge=0)  # first epochs with the pretrained layers frozen

    def check(self) -> None:
        super().check()
        if self.dense_units:
            raise ValueError("dense_units: the pretrained output layer reads the recurrent "
                             "state; expected 0")
