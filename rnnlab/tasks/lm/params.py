"""The language-model sections of params.yaml: `lm_sequences`, `ngram`, `train_lm`,
`evaluate_lm`."""

from __future__ import annotations

import dataclasses
from typing import Literal

from rnnlab.core.params import only, value
from rnnlab.tasks.fit_params import FitParams, check_freeze
from rnnlab.tasks.layers import Cell, LayerSpec, layer_specs, stack_description


@dataclasses.dataclass(frozen=True, kw_only=True)
class LMSequencesParams:
    """How a language-model split becomes training examples (one of the course's recipes)."""

    recipe: Literal["windows", "prefixes"] = value(
        help="windows: fixed windows over the token stream (many-to-many); prefixes: every "
        "prefix of each line predicts its next token (many-to-one).")
    sentence_size: int | None = only(lambda p: p.recipe == "windows", "recipe: windows only",
                                     ge=1, help="Tokens per window: the context the model "
                                     "learns from.")
    step: int | None = only(lambda p: p.recipe == "windows", "recipe: windows only", ge=1,
                            help="Tokens between window starts (with a random offset each "
                            "epoch).")
    maxlen: int | None = only(lambda p: p.recipe == "prefixes", "recipe: prefixes only",
                              default=None, ge=2, help="Longest prefix kept, in tokens "
                              "(null: the longest line).")


@dataclasses.dataclass(frozen=True, kw_only=True)
class NgramParams:
    """The n-gram baselines of a language-model task (`ngram.<task>`)."""

    max_order: int = value(ge=1, le=10, help="Highest n-gram order fitted; perplexity is "
                           "reported for every order from 1 to this.")
    smoothings: list[Literal["add_k", "kneser_ney"]] = value(
        help="The smoothings fitted, each at every order.")
    k: float | None = only(lambda p: "add_k" in p.smoothings, "add_k smoothing only", gt=0,
                           help="Add-k pseudo-count added to every n-gram (1: Laplace).")
    discount: float | None = only(lambda p: "kneser_ney" in p.smoothings,
                                  "kneser_ney smoothing only", gt=0, lt=1,
                                  help="Kneser-Ney's absolute discount subtracted from each "
                                  "seen n-gram count.")
    score_order: int = value(ge=1, le=10, help="The order of the model `rnnlab score` uses "
                             "(at most max_order).")
    score_smoothing: Literal["add_k", "kneser_ney"] = value(
        help="The smoothing of the model `rnnlab score` uses (one of smoothings).")

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

    embedding_dim: int = value(ge=1, help="Size of each learned token vector.")
    mask_zero: bool = value(help="Mask padding (index 0); prefixes are pre-padded, and masking "
                            "keeps the padding out of the state.")
    cell: Cell | list[Cell] = value(help="The recurrent cell (simple_rnn, lstm, gru), or a list "
                                    "with one per layer.")
    units: int | list[int] = value(ge=1, help="Units of each recurrent layer; a list gives one "
                                   "value per layer (and sets the number of layers).")
    bidirectional: bool | list[bool] = value(help="Read both ways, per layer or for all; "
                                             "prefix (many-to-one) models only, as windows "
                                             "must not see the tokens they predict.")
    dropout: float = value(ge=0, lt=1, help="Dropout rate after each recurrent layer.")
    recurrent_dropout: float = value(ge=0, lt=1, help="Dropout rate on the recurrent state "
                                     "(> 0: no cuDNN kernel on a GPU, much slower).")
    dense_units: int = value(ge=0, help="Units of a relu layer with L2 before the output "
                             "(0: none).")
    l2: float | None = only(lambda p: p.dense_units > 0, "dense_units > 0 only", ge=0,
                            help="L2 penalty on the dense layer's weights.")

    @property
    def specs(self) -> list[LayerSpec]:
        """The recurrent stack, one spec per layer."""
        return layer_specs(self.cell, self.units, self.bidirectional)

    @property
    def stack(self) -> dict:
        """What a pretraining must match for this model to start from it (or what a pretraining
        of these params offers)."""
        return stack_description(self.embedding_dim, self.specs)

    def check(self) -> None:
        self.specs  # noqa: B018 (lists of the wrong length raise here)


@dataclasses.dataclass(frozen=True, kw_only=True)
class EvaluateLMParams:
    """Held-out metrics and generated samples of a language model (`evaluate_lm.<task>`)."""

    split: Literal["val", "test"] = value(help="The held-out text the metrics are measured on.")
    eval_window: int | None = value(None, ge=1, help="Windows recipe: tokens scored per window "
                                    "(exactly for windows models).")
    batch_size: int = value(ge=1, help="Examples per prediction batch.")
    prompts: list[str] = value(help="Text a sample is generated from, one sample each.")
    sample_length: int = value(ge=1, help="Tokens generated per sample.")
    temperature: float = value(ge=0, help="Sampling temperature: higher is more random "
                               "(0: greedy).")
    top_k: int = value(ge=0, help="Sample among the k likeliest tokens (0: the whole "
                       "vocabulary).")
    seed: int = value(ge=0, help="Seeds the sampling, so the same params give the same "
                      "samples.")
    dynamic_learning_rate: float | None = value(
        None, gt=0, help="Dynamic evaluation (Krause et al. 2018, reported beside the static "
        "loss; windows models): the SGD step taken on each held-out segment once it is scored "
        "(null: not measured).")
    dynamic_segment: int | None = only(
        lambda p: p.dynamic_learning_rate is not None, "dynamic_learning_rate set only",
        ge=1, help="Dynamic evaluation: tokens scored between two updates (the state carries "
        "over within an eval_window).")
    dynamic_decay: float | None = only(
        lambda p: p.dynamic_learning_rate is not None, "dynamic_learning_rate set only",
        default=0.0, ge=0, lt=1, help="Dynamic evaluation: share of the way back to the "
        "trained weights taken at each update (0: none).")
    dynamic_streams: int | None = only(
        lambda p: p.dynamic_learning_rate is not None, "dynamic_learning_rate set only",
        default=1, ge=1, help="Dynamic evaluation: windows far apart in the text read side by "
        "side, one update from all (1: strictly in order; more: faster).")
    interpolation_order: int | None = value(
        None, ge=2, le=10, help="Order of the Kneser-Ney model (ngram.<task>'s discount) "
        "interpolated with the recurrent model per token, weight chosen on the first half of "
        "the held-out tokens and reported on the second (null: not measured).")


@dataclasses.dataclass(frozen=True, kw_only=True)
class FinetuneLMParams(TrainLMParams):
    """A language model whose embedding, recurrent and output layers start from
    `pretrain.<pretrained>` (a windows recipe only)."""

    pretrained: str = value(help="The pretrain entry the model starts from; its cell, units "
                            "and embedding_dim must be this model's.")
    freeze_epochs: int = value(ge=0, help="First epochs trained with the pretrained layers "
                               "frozen (fewer than epochs).")

    def check(self) -> None:
        super().check()
        check_freeze(self.freeze_epochs, self.epochs)
        if self.dense_units:
            raise ValueError("dense_units: the pretrained output layer reads the recurrent "
                             "state; expected 0")


# The family's sections and their schema: `rnnlab.sections` and the training path read these.
TRAINING_SECTIONS = {"train_lm": TrainLMParams, "finetune_lm": FinetuneLMParams}
SECTIONS = {"lm_sequences": LMSequencesParams, "ngram": NgramParams, **TRAINING_SECTIONS,
            "evaluate_lm": EvaluateLMParams}
