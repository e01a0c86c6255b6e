"""The one training path every task family takes (classify, lm, translate, and the pretraining
of a language model): read the entry's params, seed, make the `tf.distribute` strategy, build
the model in its scope and start it from a pretraining, fit, summarise the history, and let
the chief save the model folder.

A family says only what differs: its params sections, how an entry's inputs are read (the
datasets, the vocabularies saved beside the model, the model folder's meta and how to build the
model), which layers a pretraining starts, and where its outputs go.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rnnlab.core import paths
from rnnlab.core.model_folder import save_model_folder
from rnnlab.core.params import load_entry
from rnnlab.tasks import transfer

if TYPE_CHECKING:
    import keras

SUMMARY_FILE = "summary.txt"  # the model's layers, in its folder rather than in the log


@dataclasses.dataclass
class Inputs:
    """What a family reads for one entry: everything the model is built and fit from."""

    train: Any  # tf.data.Dataset
    val: Any
    build: Callable[[], keras.Model]  # called in the strategy's scope
    vocab: Any  # the Vocab a pretraining's embedding rows are mapped onto
    files: dict[str, Any]  # saved beside the model (vocabularies)
    meta: dict  # the model folder's meta, before the training summary is added
    class_weight: dict[int, float] | None = None


class Family:
    """How one task family trains; subclasses fill in the blanks."""

    kind: str  # the model folder's family (meta.json)
    sections: dict[str, type]  # the params sections this family trains from, and their schema
    copy = transfer.Copy()  # which layers a pretraining starts

    def inputs(self, name: str, params: Any) -> Inputs:
        raise NotImplementedError

    def copy_for(self, params: Any) -> transfer.Copy:
        return self.copy

    def model_dir(self, name: str) -> Path:
        return paths.model_dir(name)

    def plots_dir(self, name: str) -> Path:
        return paths.train_plots(name)

    def saved(self, name: str, params: Any, inputs: Inputs, trained: dict) -> str:
        """After the model folder is written (extra outputs); the end of the closing line."""
        return f"best val_loss {trained['best_val_loss']:.4f} at epoch {trained['best_epoch']}"


@dataclasses.dataclass(frozen=True)
class TextFile:
    text: str

    def save(self, path: Path) -> None:
        path.write_text(self.text, encoding="utf-8")


def train_and_save(family: Family, section: str, name: str, params: Any = None) -> None:
    """Train `section.name` the way its family says and save its model folder; with `params`
    given (an ablation's variant), those instead of the entry's."""
    if params is None:
        params = load_entry(section, name, family.sections[section])
    from rnnlab.tasks import fit  # TensorFlow loads only once the params are valid

    fit.set_seeds(params.seed, params.deterministic)
    strategy = fit.make_strategy(params)
    inputs = family.inputs(name, params)
    with strategy.scope():
        model = inputs.build()
        frozen = start_from_pretraining(model, params, inputs.vocab, family.copy_for(params),
                                        f"{section}.{name}")
    plots = family.plots_dir(name)
    start = time.perf_counter()
    with restored_on_failure(plots):
        history = fit.fit(model, inputs.train, inputs.val, params, plots,
                          paths.backup(section, name), inputs.class_weight, frozen,
                          getattr(params, "freeze_epochs", 0), strategy)
    trained = fit.history_summary(history, time.perf_counter() - start)
    if not fit.is_chief(strategy):
        return  # the chief saves the model
    save_model_folder(family.model_dir(name), model, family.kind, inputs.meta | trained,
                      inputs.files | {SUMMARY_FILE: TextFile(summary(model))})
    closing = family.saved(name, params, inputs, trained)
    print(f"{name}: trained {trained['epochs_run']} epochs in {trained['train_seconds']:.0f} s, "
          f"{closing}")


def start_from_pretraining(model: keras.Model, params: Any, vocab: Any, copy: transfer.Copy,
                           entry: str) -> list[str]:
    """Copy a fine-tuning's pretrained layers in; the names of those a freeze holds (none
    without a pretraining)."""
    name = getattr(params, "pretrained", None)
    if name is None:
        return []
    pretrained, source, meta = transfer.load_pretrained(paths.pretrained(name))
    transfer.check_stack(entry, name, params.stack, meta["stack"])
    return transfer.copy_pretrained(model, pretrained, vocab, source, entry, copy)


def summary(model: keras.Model) -> str:
    lines: list[str] = []
    model.summary(print_fn=lambda line, *_, **__: lines.append(line))
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def restored_on_failure(folder: Path) -> Iterator[None]:
    """Put `folder` (git-tracked training curves) back as it was when the body fails: a failed
    training leaves the previous model and its curves together. (Its own curves stay in its
    backup, from which a rerun resumes.)"""
    keep = paths.BACKUPS.parent / "before" / folder  # git-ignored, outside every DVC output
    shutil.rmtree(keep, ignore_errors=True)
    if folder.is_dir():
        keep.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(folder, keep)
    try:
        yield
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        if keep.is_dir():
            keep.rename(folder)
        raise
    finally:
        shutil.rmtree(keep, ignore_errors=True)
