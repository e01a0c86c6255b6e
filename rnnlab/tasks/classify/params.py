"""The classification sections of params.yaml: `sequences`, `train`, `baseline`, `evaluate`,
`combine`."""

from __future__ import annotations

import dataclasses
from typing import Literal

from rnnlab.core.params import only, value
from rnnlab.tasks.fit_params import FitParams, check_freeze
from rnnlab.tasks.layers import Cell, LayerSpec, layer_specs, stack_description


@dataclasses.dataclass(frozen=True, kw_only=True)
class SequencesParams:
    """How a task's texts become padded index sequences (`sequences.<task>`)."""

    maxlen: int = value(ge=1, help="Tokens per sequence: longer texts are truncated, shorter "
                        "ones padded.")
    padding: Literal["pre", "post"] = value(help="The side padding goes on (a masked model on a "
                                            "GPU needs post to stay on cuDNN).")
    truncating: Literal["pre", "post"] = value(help="The side tokens are cut from when a text "
                                               "is longer than maxlen.")
    unknown: Literal["oov", "drop"] = value(help="What becomes of words outside the vocabulary: "
                                            "the OOV token, or dropped.")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainParams(FitParams):
    """A recurrent classifier: embedding -> (conv) -> recurrent stack -> (pooling) -> output."""

    embedding: Literal["learned", "glove_frozen", "glove_finetune"] = value(
        help="The embedding layer: learned from scratch, or GloVe vectors kept fixed or "
        "fine-tuned.")
    embedding_dim: int | None = only(lambda p: p.embedding == "learned",
                                     "embedding: learned only; GloVe fixes its own size", ge=1,
                                     help="Size of each learned word vector.")
    mask_zero: bool = value(help="Mask padding (index 0) so it never reaches the recurrent "
                            "state.")
    embedding_dropout: float = value(ge=0, lt=1, help="SpatialDropout1D rate: the share of "
                                     "whole embedding channels dropped in training.")
    conv_filters: int = value(ge=0, help="Filters of a Conv1D + MaxPooling1D front before the "
                              "recurrent layers (0: no convolution).")
    conv_kernel: int | None = only(lambda p: p.conv_filters > 0, "conv_filters > 0 only", ge=1,
                                   help="The convolution's window, in tokens.")
    conv_pool: int | None = only(lambda p: p.conv_filters > 0, "conv_filters > 0 only", ge=1,
                                 help="The max-pooling window after the convolution, in steps.")
    layers: int = value(ge=1, help="Recurrent layers stacked.")
    cell: Cell | list[Cell] = value(help="The recurrent cell (simple_rnn, lstm, gru): one for "
                                    "every layer, or a list with one per layer.")
    units: int = value(ge=1, help="Units of each recurrent layer (each direction).")
    bidirectional: bool = value(help="Read the text both ways (each layer's output doubles).")
    between_dense: int | None = only(lambda p: p.layers > 1, "layers > 1 only", default=0,
                                     ge=0, help="Units of a dense layer between recurrent "
                                     "layers (0: none).")
    dropout: float = value(ge=0, lt=1, help="Dropout rate on each recurrent layer's inputs.")
    recurrent_dropout: float = value(ge=0, lt=1, help="Dropout rate on the recurrent state "
                                     "(> 0: no cuDNN kernel on a GPU, much slower).")
    pooling: Literal["last", "max", "mean", "concat"] = value(
        help="What the output reads: the final state, or pooled over the unmasked steps "
        "(concat: last, max and mean together).")
    dense_units: int = value(ge=0, help="Units of a hidden dense layer before the output "
                             "(0: none).")
    class_weight: Literal["none", "balanced"] = value(
        help="balanced: weight each class's loss by 1 / its frequency; none: equal weights.")
    adversarial_epsilon: float | None = value(
        None, gt=0, help="Adversarial training on the embeddings (Miyato et al. 2016): each "
        "step also fits the batch with every text's embedded steps pushed by a perturbation of "
        "this L2 norm in the direction that raises the loss most (null: off). Costs about "
        "twice the time per step.")
    bucketing: bool = value(help="Batch texts of similar lengths together, each batch padded "
                            "only to its own longest.")
    bucket_span: int | None = only(lambda p: p.bucketing, "bucketing: true only", ge=1,
                                   help="Batches sorted by length together before they are "
                                   "shuffled.")

    @property
    def specs(self) -> list[LayerSpec]:
        """The recurrent stack, one spec per layer."""
        return layer_specs(self.cell, self.units, self.bidirectional, self.layers)

    @property
    def stack(self) -> dict:
        """What a pretraining must match for this model to start from it."""
        return stack_description(self.embedding_dim, self.specs)

    def check(self) -> None:
        self.specs  # noqa: B018 (lists of the wrong length raise here)


@dataclasses.dataclass(frozen=True, kw_only=True)
class FinetuneParams(TrainParams):
    """A classifier whose embedding and recurrent layers start from `pretrain.<pretrained>`."""

    pretrained: str = value(help="The pretrain entry the model starts from; its cell, units "
                            "and embedding_dim must be this model's.")
    freeze_epochs: int = value(ge=0, help="First epochs trained with the pretrained layers "
                               "frozen (fewer than epochs).")

    def check(self) -> None:
        super().check()
        check_freeze(self.freeze_epochs, self.epochs)
        if self.embedding != "learned":
            raise ValueError("embedding: the pretrained embedding is copied in; expected learned")
        if self.bidirectional:
            raise ValueError("bidirectional: a pretrained language model reads left to right; "
                             "expected false")


@dataclasses.dataclass(frozen=True, kw_only=True)
class BaselineParams:
    """The classical peers of a classification task; the better on validation is its baseline."""

    models: list[Literal["tfidf", "nbsvm"]] = value(
        ("tfidf",), help="the classical models fitted, each tuned on validation; the one with "
        "the best validation accuracy is the task's baseline (tfidf: TF-IDF n-grams + linear; "
        "nbsvm: Wang & Manning's NBSVM)")
    classifier: Literal["linear_svc", "logistic_regression"] = value(
        help="the linear model of both: LinearSVC (squared hinge) or LogisticRegression")
    c_grid: list[float] = value(gt=0, help="tfidf: inverse regularization strengths tried; "
                                "the best on validation is kept (ties: the smaller)")
    ngram_max: int = value(ge=1, help="tfidf: word n-grams from 1 to this")
    min_df: int = value(ge=1, help="tfidf: ignore n-grams seen in fewer training documents")
    sublinear_tf: bool = value(help="tfidf: 1 + log(count) instead of the raw count")
    seed: int = value(help="random_state of the linear models")
    nbsvm_c_grid: list[float] | None = only(
        lambda p: "nbsvm" in p.models, "models: nbsvm only", gt=0,
        help="nbsvm: inverse regularization strengths tried; the best on validation is kept")
    nbsvm_ngram_max: int | None = only(
        lambda p: "nbsvm" in p.models, "models: nbsvm only", ge=1,
        help="nbsvm: binary word n-grams from 1 to this (Wang & Manning: 3 on IMDB)")
    nbsvm_min_df: int | None = only(
        lambda p: "nbsvm" in p.models, "models: nbsvm only", ge=1,
        help="nbsvm: ignore n-grams seen in fewer training documents")
    nbsvm_beta_grid: list[float] | None = only(
        lambda p: "nbsvm" in p.models, "models: nbsvm only", ge=0, le=1,
        help="nbsvm: interpolations w' = (1 - beta) * mean|w| + beta * w of the fitted weights "
        "tried with every C, the best on validation kept (1: the plain SVM on NB-scaled "
        "features; Wang & Manning: 0.25); each costs a prediction, not a fit")

    def check(self) -> None:
        if not self.models:
            raise ValueError("models: expected at least one of tfidf, nbsvm")
        if len(set(self.models)) != len(self.models):
            raise ValueError(f"models: listed twice in {list(self.models)}")
        if not self.c_grid:
            raise ValueError("c_grid: expected at least one value")
        for grid in ("nbsvm_c_grid", "nbsvm_beta_grid"):
            if "nbsvm" in self.models and not getattr(self, grid):
                raise ValueError(f"{grid}: expected at least one value")


@dataclasses.dataclass(frozen=True, kw_only=True)
class EvaluateParams:
    """Test-set predictions and metrics of a trained classifier (`evaluate.<task>`)."""

    batch_size: int = value(ge=1, help="Examples per prediction batch.")
    samples: int = value(ge=0, help="Test predictions written out with their texts.")
    threshold: float | None = value(None, gt=0, lt=1, help="Binary tasks: the probability "
                                    "above which the positive class is predicted (null: 0.5).")


@dataclasses.dataclass(frozen=True, kw_only=True)
class CombineParams:
    """The recurrent classifier and its classical peer mixed with one weight chosen on validation
    (`combine.<task>`): its own metrics file, never in place of the recurrent model's."""

    weights: list[float] = value(ge=0, le=1, help="The classical peer's weights w tried: "
                                 "(1 - w) * recurrent + w * classical, each model's scores "
                                 "standardized on validation; the w with the best validation "
                                 "accuracy is kept (ties: the smaller).")
    batch_size: int = value(ge=1, help="Examples per prediction batch of the recurrent model.")

    def check(self) -> None:
        if not self.weights:
            raise ValueError("weights: expected at least one value")
        if len(set(self.weights)) != len(self.weights):
            raise ValueError(f"weights: a value listed twice in {list(self.weights)}")


# The family's sections and their schema: `rnnlab.sections` and the training path read these.
TRAINING_SECTIONS = {"train": TrainParams, "finetune": FinetuneParams}
SECTIONS = {"sequences": SequencesParams, "baseline": BaselineParams, **TRAINING_SECTIONS,
            "evaluate": EvaluateParams, "combine": CombineParams}
