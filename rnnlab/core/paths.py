"""Where each stage reads and writes: one naming scheme for every task."""

from __future__ import annotations

from pathlib import Path

DATA = Path("data")
MODELS = Path("models")
METRICS = Path("metrics")
PLOTS = Path("plots")
STAGE_PARAMS = DATA / "params"


def params_entry(section: str, name: str) -> Path:
    """One checked params entry, defaults filled in: what its stage reads and depends on."""
    return STAGE_PARAMS / section / f"{name}.json"


def raw(corpus: str) -> Path:
    return DATA / "raw" / corpus


def downloads() -> Path:
    return DATA / "downloads"


def prepared(task: str) -> Path:
    return DATA / "prepared" / f"{task}.parquet"


def vocab(task: str) -> Path:
    return DATA / "vocab" / f"{task}.json"


def sequences(task: str) -> Path:
    return DATA / "sequences" / f"{task}.npz"


def embeddings(task: str) -> Path:
    return DATA / "embeddings" / f"{task}.npz"


def baseline(task: str) -> Path:
    return DATA / "baseline" / f"{task}.json"


def model_dir(task: str) -> Path:
    return MODELS / task


def train_plots(task: str) -> Path:
    return PLOTS / "train" / task


def eval_plots(task: str) -> Path:
    return PLOTS / "eval" / task


def metrics(task: str) -> Path:
    return METRICS / f"{task}.json"


def samples(task: str) -> Path:
    return METRICS / "samples" / f"{task}.md"


def lm_sequences(task: str) -> Path:
    return DATA / "lm_sequences" / f"{task}.npz"


def ngram_table(task: str) -> Path:
    return DATA / "ngram" / f"{task}.json"


def ngram_model(task: str) -> Path:
    return MODELS / "ngram" / f"{task}.npz"
