"""Where each stage reads and writes: one naming scheme for every task."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

DATA = Path("data")
MODELS = Path("models")
METRICS = Path("metrics")
PLOTS = Path("plots")
STAGE_PARAMS = DATA / "params"
BACKUPS = Path(".rnnlab") / "backup"  # training backups: outside every DVC output, git-ignored


def params_entry(section: str, name: str) -> Path:
    """One checked params entry, defaults filled in: what its stage reads and depends on."""
    return STAGE_PARAMS / section / f"{name}.json"


def backup(section: str, name: str) -> Path:
    """Where a training of `section.name` keeps its per-epoch backup until it completes."""
    return BACKUPS / section / name


def raw(corpus: str) -> Path:
    return DATA / "raw" / corpus


def downloads() -> Path:
    return DATA / "downloads"


def _per_task(folder: Path, suffix: str) -> Callable[[str], Path]:
    """`folder/<task><suffix>`: the one naming scheme every task's files follow."""
    def path(task: str) -> Path:
        return folder / f"{task}{suffix}"

    return path


prepared = _per_task(DATA / "prepared", ".parquet")
vocab = _per_task(DATA / "vocab", ".json")
sequences = _per_task(DATA / "sequences", ".npz")
embeddings = _per_task(DATA / "embeddings", ".npz")
baseline = _per_task(DATA / "baseline", ".json")
# the picked classical model's val and test scores, for `combine`
baseline_scores = _per_task(DATA / "baseline_scores", ".npz")
lm_sequences = _per_task(DATA / "lm_sequences", ".npz")
ngram_table = _per_task(DATA / "ngram", ".json")
model_dir = _per_task(MODELS, "")
ngram_model = _per_task(MODELS / "ngram", ".npz")
train_plots = _per_task(PLOTS / "train", "")
eval_plots = _per_task(PLOTS / "eval", "")
metrics = _per_task(METRICS, ".json")
samples = _per_task(METRICS / "samples", ".md")
combine_metrics = _per_task(METRICS / "combine", ".json")  # never metrics/<task>.json
pretrained = _per_task(MODELS / "pretrain", "")
pretrain_metrics = _per_task(METRICS / "pretrain", ".json")
pretrain_plots = _per_task(PLOTS / "pretrain", "")
