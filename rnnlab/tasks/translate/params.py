"""The translation sections of params.yaml: `train_translation`, `finetune_translation`,
`evaluate_translation`."""

from __future__ import annotations

import dataclasses
from typing import Literal

from rnnlab.core.params import only, value
from rnnlab.tasks.fit_params import FitParams, check_freeze
from rnnlab.tasks.layers import LayerSpec, layer_specs, stack_description


@dataclasses.dataclass(frozen=True, kw_only=True)
class TranslationTrainParams(FitParams):
    """An encoder–decoder trained with teacher forcing (`train_translation.<task>`)."""

    data: str = value(help="The prepare entry whose pairs it learns "
                      "(`data/prepared/<data>.parquet`).")
    architecture: Literal["basic", "attention"] = value(
        help="basic: the encoder's final state is the whole context; attention: the decoder "
        "also attends over every encoder step.")
    attention: Literal["luong", "bahdanau"] | None = only(
        lambda p: p.architecture == "attention", "architecture: attention only",
        help="The attention score: luong (multiplicative) or bahdanau (additive).")
    cell: Literal["gru", "lstm"] = value(help="The recurrent cell of encoder and decoder.")
    bidirectional: bool = value(help="A bidirectional encoder; the decoder then has twice "
                                "units.")
    embedding_dim: int = value(ge=1, help="Size of each source and target token vector.")
    units: int = value(ge=1, help="Units of the encoder (each direction).")
    dropout: float = value(ge=0, lt=1, help="Dropout rate on the recurrent layers' inputs.")
    max_tokens_source: int | None = value(ge=3, help="Source vocabulary size with padding and "
                                          "OOV (null: every word seen min_freq times).")
    max_tokens_target: int | None = value(ge=3, help="Target vocabulary size with padding, OOV "
                                          "and the start and end tokens (null: every word "
                                          "seen min_freq times).")
    min_freq: int = value(ge=1, help="Words seen fewer times in training are out of "
                          "vocabulary.")

    @property
    def decoder_units(self) -> int:
        return self.units * (2 if self.bidirectional else 1)

    @property
    def specs(self) -> list[LayerSpec]:
        """The decoder's recurrent layer: the stack a pretrained language model starts."""
        return layer_specs(self.cell, self.decoder_units, False, 1)

    @property
    def stack(self) -> dict:
        """What a pretraining must match for the decoder to start from it."""
        return stack_description(self.embedding_dim, self.specs)

    def check(self) -> None:
        if self.strategy != "default":  # translation has no distributed route yet
            raise ValueError(f"strategy: translation trains on one device; expected default, "
                             f"got {self.strategy}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class FinetuneTranslationParams(TranslationTrainParams):
    """A translator whose decoder (target embedding and recurrent layer) starts from
    `pretrain.<pretrained>`, a language model of the target language."""

    pretrained: str = value(help="The pretrain entry the decoder starts from; its "
                            "embedding_dim, cell and units must be the decoder's.")
    freeze_epochs: int = value(ge=0, help="First epochs trained with the pretrained decoder "
                               "layers frozen (fewer than epochs).")
    copy_output: bool = value(help="Start the output layer from the language model's output "
                              "columns, matched by word.")

    def check(self) -> None:
        super().check()
        check_freeze(self.freeze_epochs, self.epochs)


@dataclasses.dataclass(frozen=True, kw_only=True)
class TranslationEvalParams:
    """Decoding and scoring of a trained translator (`evaluate_translation.<task>`)."""

    data: str = value(help="The prepare entry of the test pairs; must be the data the model "
                      "was trained on.")
    beam_width: int = value(ge=1, help="Hypotheses kept at each decoding step (1: greedy).")
    length_penalty: float = value(ge=0, help="Beam scores are divided by length ** this "
                                  "(0: no length normalisation).")
    max_output_len: int = value(ge=1, help="Decoding stops after this many tokens even without "
                                "an end token.")
    max_input_words: int = value(ge=1, help="Longer inputs are refused (the models saw short "
                                 "ones).")
    batch_size: int = value(ge=1, help="Sentences per decoding batch.")
    samples: int = value(ge=0, help="Test translations written out with their references.")


# The family's sections and their schema: `rnnlab.sections` and the training path read these.
TRAINING_SECTIONS = {"train_translation": TranslationTrainParams,
                     "finetune_translation": FinetuneTranslationParams}
SECTIONS = {**TRAINING_SECTIONS, "evaluate_translation": TranslationEvalParams}
