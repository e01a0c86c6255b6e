"""The schema of params.yaml: one dataclass per stage section, checked strictly.

Every stage reads `params.yaml[<stage>][<name>]` through `load_params`, which refuses unknown,
missing or mistyped keys with a one-line error naming the field, so a typo in
`dvc exp run -S train.imdb.unitz=128` fails loudly instead of silently training the default.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

PARAMS_FILE = Path("params.yaml")


class ParamsError(ValueError):
    """A params.yaml section that does not match its schema."""


@dataclasses.dataclass(frozen=True)
class DownloadParams:
    """Where a corpus comes from: its canonical URL, and its file in the offline mirror."""

    url: str | None  # canonical download; None when the corpus only exists in mirrors
    sha256: str | None  # of the canonical download; None when upstream publishes none
    unpack: Literal["file", "tar", "zip", "gzip"]  # how the canonical download is unpacked
    mirror: str  # file or folder name inside the mirror directory
    mirror_unpack: Literal["file", "tar", "zip", "gzip", "anki_split"]
    strip: str | None = None  # a leading folder inside the archive to drop (one layout for all)
    members: list[str] | None = None  # glob patterns of archive members to keep (None: all)
    expect: list[str] | None = None  # files that must exist in data/raw/<corpus>/ afterwards
    member_sha256: dict[str, str] | None = None  # checksums of unpacked files, when known
    dim: int | None = None  # fills `{dim}` in the names above (GloVe's vector size)

    def resolved(self) -> DownloadParams:
        """These params with every `{dim}` placeholder filled in."""
        if self.dim is None:
            return self

        def fill(value: Any) -> Any:
            if isinstance(value, str):
                return value.replace("{dim}", str(self.dim))
            if isinstance(value, list):
                return [fill(v) for v in value]
            if isinstance(value, dict):
                return {fill(k): fill(v) for k, v in value.items()}
            return value

        return dataclasses.replace(self, **{f.name: fill(getattr(self, f.name))
                                            for f in dataclasses.fields(self)})


@dataclasses.dataclass(frozen=True)
class PrepareParams:
    corpus: str  # folder under data/raw/
    val_fraction: float  # share of the labelled training split held out for validation
    seed: int
    scheme: Literal["r8", "r52", "reuters46"] | None = None  # which Reuters dataset to build
    test_fraction: float = 0.0  # corpora without a shipped test split: share held out for test
    block_lines: int | None = None  # hold out whole blocks of this many lines (a sonnet is 14)
    max_words: int | None = None  # drop examples with more words than this (translation pairs)


@dataclasses.dataclass(frozen=True)
class VocabParams:
    level: Literal["word", "char"]
    standardize: Literal["keras", "lower_strip_punctuation", "lower", "none"]
    max_tokens: int | None  # total size including padding (0) and out-of-vocabulary (1)
    min_freq: int
    end_of_line: bool = False  # reserve the EOL token (language models predict line ends)


@dataclasses.dataclass(frozen=True)
class SequencesParams:
    maxlen: int
    padding: Literal["pre", "post"]
    truncating: Literal["pre", "post"]
    unknown: Literal["oov", "drop"]  # what becomes of words outside the vocabulary


@dataclasses.dataclass(frozen=True)
class EmbeddingsParams:
    missing: Literal["zeros", "random"]  # rows for vocabulary words GloVe does not know
    seed: int


@dataclasses.dataclass(frozen=True)
class TrainParams:
    seed: int
    embedding: Literal["learned", "glove_frozen", "glove_finetune"]
    embedding_dim: int  # used by `learned`; GloVe fixes its own dimension
    mask_zero: bool
    cell: Literal["simple_rnn", "lstm", "gru"] | list[Literal["simple_rnn", "lstm", "gru"]]
    bidirectional: bool
    layers: int
    between_dense: int  # 0: none; else a dense layer on every step between recurrent layers
    conv_filters: int  # 0: none; else a Conv1D + MaxPooling1D front before the recurrent stack
    conv_kernel: int
    conv_pool: int
    units: int
    embedding_dropout: float  # SpatialDropout1D: drops whole embedding channels
    dropout: float
    recurrent_dropout: float
    pooling: Literal["last", "max", "mean"]  # final state, or pooled over every (unmasked) step
    dense_units: int  # 0: no hidden dense layer before the output
    optimizer: Literal["adam", "rmsprop", "sgd"]
    learning_rate: float
    clipnorm: float | None
    batch_size: int
    epochs: int
    patience: int  # EarlyStopping on val_loss, best weights restored
    class_weight: Literal["none", "balanced"]  # "balanced": weight classes by 1 / frequency
    bucketing: bool  # batches of similar lengths, padded only to their own longest
    bucket_span: int  # how many batches are sorted together before shuffling the batches
    deterministic: bool  # tf.config.experimental.enable_op_determinism()


@dataclasses.dataclass(frozen=True)
class BaselineParams:
    classifier: Literal["linear_svc", "logistic_regression"]
    c_grid: list[float]  # inverse regularization strengths tried; the best on validation wins
    ngram_max: int  # word n-grams from 1 to this
    min_df: int  # ignore n-grams seen in fewer training documents
    sublinear_tf: bool
    seed: int


@dataclasses.dataclass(frozen=True)
class EvaluateParams:
    batch_size: int
    threshold: float  # probability above which a review is called positive
    samples: int  # how many test predictions are written out with their texts


@dataclasses.dataclass(frozen=True)
class TranslationTrainParams:
    """An encoder–decoder trained with teacher forcing (`train_translation.<task>`)."""

    data: str  # the prepare entry whose pairs it learns (data/prepared/<data>.parquet)
    seed: int
    architecture: Literal["basic", "attention"]  # basic: the encoder's final state is the context
    attention: Literal["luong", "bahdanau"]  # dot-product or additive scores (attention only)
    cell: Literal["gru", "lstm"]
    bidirectional: bool  # encoder; the decoder then has twice `units`
    embedding_dim: int
    units: int
    dropout: float
    max_tokens_source: int | None  # vocabulary sizes, padding and out-of-vocabulary included
    max_tokens_target: int | None
    min_freq: int
    optimizer: Literal["adam", "rmsprop", "sgd"]
    learning_rate: float
    clipnorm: float | None
    batch_size: int
    epochs: int
    patience: int  # EarlyStopping on val_loss, best weights restored
    deterministic: bool


@dataclasses.dataclass(frozen=True)
class TranslationEvalParams:
    """Decoding and scoring of a trained translator (`evaluate_translation.<task>`)."""

    data: str  # must be the `data` the model was trained on
    beam_width: int  # 1: greedy
    length_penalty: float  # beam scores are divided by length ** this (0: no normalisation)
    max_output_len: int  # decoding stops here even without an end token
    max_input_words: int  # longer inputs are refused (the models saw short sentences only)
    batch_size: int
    samples: int  # test translations written out with their references


Cell = Literal["simple_rnn", "lstm", "gru"]


@dataclasses.dataclass(frozen=True)
class LMSequencesParams:
    """How a language-model split becomes training examples (one of the course's recipes)."""

    recipe: Literal["windows", "prefixes"]  # stream windows (many-to-many), or line prefixes
    sentence_size: int  # windows: tokens per window (the context the model learns with)
    step: int  # windows: tokens between window starts (each epoch starts at a random offset)
    maxlen: int | None = None  # prefixes: longest prefix kept, pre-padded (None: longest line)


@dataclasses.dataclass(frozen=True)
class NgramParams:
    max_order: int  # perplexity is reported for every order from 1 to this
    smoothings: list[Literal["add_k", "kneser_ney"]]
    k: float  # add-k pseudo-count (1: Laplace)
    discount: float  # Kneser-Ney absolute discount
    score_order: int  # the model `rnnlab score` uses
    score_smoothing: Literal["add_k", "kneser_ney"]


@dataclasses.dataclass(frozen=True)
class TrainLMParams:
    """A recurrent language model; list values give one entry per recurrent layer."""

    seed: int
    embedding_dim: int
    mask_zero: bool  # prefixes are pre-padded; masking keeps padding out of the state
    cell: Cell | list[Cell]
    units: int | list[int]
    bidirectional: bool | list[bool]  # prefix (many-to-one) models only: windows see no future
    dropout: float  # after each recurrent layer
    recurrent_dropout: float
    dense_units: int  # 0: none; else a relu layer with L2 before the output (the course's)
    l2: float
    optimizer: Literal["adam", "rmsprop", "sgd"]
    learning_rate: float
    clipnorm: float | None
    batch_size: int
    epochs: int
    patience: int  # EarlyStopping on val_loss, best weights restored
    deterministic: bool


@dataclasses.dataclass(frozen=True)
class EvaluateLMParams:
    split: Literal["val", "test"]  # the held-out text the metrics are measured on
    eval_window: int  # windows models: tokens scored per window (context resets between)
    batch_size: int
    prompts: list[str]  # one sample is generated from each, with its seed
    sample_length: int  # tokens generated per sample
    temperature: float
    top_k: int  # 0: the whole vocabulary
    seed: int


@dataclasses.dataclass(frozen=True)
class FiguresParams:
    """The README's PNGs of a classification task (`figures.<task>`)."""

    dpi: int  # pixels per inch; the size in inches is fixed, so this sets the size in pixels


# Which dataclass checks each params.yaml section; `stages/params.py` checks them all at once.
SECTIONS: dict[str, type] = {
    "download": DownloadParams,
    "prepare": PrepareParams,
    "vocab": VocabParams,
    "sequences": SequencesParams,
    "embeddings": EmbeddingsParams,
    "baseline": BaselineParams,
    "train": TrainParams,
    "figures": FiguresParams,
    "evaluate": EvaluateParams,
    "train_translation": TranslationTrainParams,
    "evaluate_translation": TranslationEvalParams,
    "lm_sequences": LMSequencesParams,
    "ngram": NgramParams,
    "train_lm": TrainLMParams,
    "evaluate_lm": EvaluateLMParams,
}

T = TypeVar("T")


def read_params_file(path: Path = PARAMS_FILE) -> dict:
    try:
        params = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as err:
        raise ParamsError(f"{path}: not found (run from the repository root)") from err
    except yaml.YAMLError as err:
        raise ParamsError(f"{path}: not valid YAML ({err})".replace("\n", " ")) from err
    if not isinstance(params, dict):
        raise ParamsError(f"{path}: expected a mapping of stage sections")
    return params


def load_all_params(path: Path = PARAMS_FILE) -> dict[str, dict[str, dict]]:
    """Read params.yaml and check every entry of every section; return it as read."""
    params = read_params_file(path)
    unknown = sorted(set(params) - set(SECTIONS))
    if unknown:
        raise ParamsError(f"{path}: {unknown[0]}: unknown section "
                          f"(expected one of: {', '.join(SECTIONS)})")
    for section, entries in params.items():
        if not isinstance(entries, dict):
            raise ParamsError(f"{path}: {section}: expected a mapping of entries")
        for name, values in entries.items():
            from_mapping(SECTIONS[section], values, f"{path}: {section}.{name}")
    return params


def load_params(stage: str, name: str, cls: type[T], path: Path = PARAMS_FILE) -> T:
    """Read and check `params.yaml[stage][name]` against `cls`."""
    params = read_params_file(path)
    section = params.get(stage)
    if not isinstance(section, dict) or name not in section:
        known = ", ".join(sorted(section)) if isinstance(section, dict) else "none"
        raise ParamsError(f"{path}: {stage}.{name}: missing section (known: {known})")
    return from_mapping(cls, section[name], f"{path}: {stage}.{name}")


def from_mapping(cls: type[T], mapping: Any, where: str) -> T:
    """Build dataclass `cls` from `mapping`, refusing unknown, missing and mistyped keys."""
    if not isinstance(mapping, dict):
        raise ParamsError(f"{where}: expected a mapping, got {type(mapping).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(mapping) - set(fields))
    if unknown:
        raise ParamsError(
            f"{where}.{unknown[0]}: unknown key (expected one of: {', '.join(fields)})"
        )
    values = {}
    for key, field in fields.items():
        if key not in mapping:
            if field.default is dataclasses.MISSING:
                raise ParamsError(f"{where}.{key}: missing key")
            continue
        values[key] = _check_type(mapping[key], hints[key], f"{where}.{key}")
    return cls(**values)


def _check_type(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        errors = []
        for option in options:
            try:
                return _check_type(value, option, where)
            except ParamsError as err:
                errors.append(str(err))
        raise ParamsError(errors[0])
    if origin is Literal:
        if value not in args:
            choices = " | ".join(str(a) for a in args)
            raise ParamsError(f"{where}: expected one of {choices}, got {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ParamsError(f"{where}: expected a list, got {value!r}")
        return [_check_type(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ParamsError(f"{where}: expected a mapping, got {value!r}")
        return {str(k): _check_type(v, args[1], f"{where}.{k}") for k, v in value.items()}
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str):
        try:  # YAML 1.1 reads `1e-3` as a string; accept it as the number it means
            return float(value)
        except ValueError:
            pass
    if hint in (int, float) and isinstance(value, bool):
        raise ParamsError(f"{where}: expected {hint.__name__}, got {value!r}")
    if not isinstance(value, hint):
        raise ParamsError(f"{where}: expected {hint.__name__}, got {value!r}")
    return value
