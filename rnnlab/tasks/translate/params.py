"""The translation sections of params.yaml: `train_translation`, `finetune_translation`,
`evaluate_translation`."""

from __future__ import annotations

import dataclasses
from typing import Literal

from rnnlab.core.params import only, value
from rnnlab.tasks.fit_params import FitParams


@dataclasses.dataclass(frozen=True, kw_only=True)
class TranslationTrainParams(FitParams):
    """An encoder–decoder trained with teacher forcing (`train_translation.<task>`)."""

    data: str  # the prepare entry whose pairs it learns (data/prepared/<data>.parquet)
    architecture: Literal["basic", "attention"]  # basic: the encoder's final state is the context
    attention: Literal["luong", "bahdanau"] | None = only(
        lambda p: p.architecture == "attention", "architecture: attention only")
    cell: Literal["gru", "lstm"]
    bidirectional: bool  # encoder; the decoder then has twice `units`
    embedding_dim: int = value(ge=1)
    units: int = value(ge=1)
    dropout: float = value(ge=0, lt=1)
    max_tokens_source: int | None = value(ge=3)  # vocabulary sizes with padding and OOV
    max_tokens_target: int | None = value(ge=3)
    min_freq: int = value(ge=1)

    @property
    def decoder_units(self) -> int:
        return self.units * (2 if self.bidirectional else 1)

    def check(self) -> None:
        if self.strategy != "default":  # translation has no distributed route yet
            raise ValueError(f"strategy: translation trains on one device; expected default, "
                             f"got {self.strategy}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class FinetuneTranslationParams(TranslationTrainParams):
    """A translator whose decoder (target embedding and recurrent layer) starts from
    `pretrain.<pretrained>`, a language model of the target language."""

    pretrained: str  # a pretrain entry; its embedding_dim, cell and units are the decoder's
    freeze_epochs: int = value(ge=0)  # first epochs with the pretrained decoder layers frozen
    copy_output: bool  # the language model's output columns (by word) start the output layer


@dataclasses.dataclass(frozen=True, kw_only=True)
class TranslationEvalParams:
    """Decoding and scoring of a trained translator (`evaluate_translation.<task>`)."""

    data: str  # must be the `data` the model was trained on
    beam_width: int = value(ge=1)  # 1: greedy
    length_penalty: float = value(ge=0)  # beam scores / length ** this (0: no normalisation)
    max_output_len: int = value(ge=1)  # decoding stops here even without an end token
    max_input_words: int = value(ge=1)  # longer inputs are refused (the models saw short ones)
    batch_size: int = value(ge=1)
    samples: int = value(ge=0)  # test translations written out with their references
