"""Which schema checks each params.yaml section, and the rules that join two sections.

The `params` stage checks every entry with these before anything else runs, and writes each one
resolved (defaults filled in) to data/params/<section>/<name>.json for its stage to read.
"""

from __future__ import annotations

import re
from pathlib import Path

from rnnlab.core.errors import ParamsError
from rnnlab.core.params import Schema, check_params, read_yaml
from rnnlab.corpora.download import DownloadParams
from rnnlab.corpora.registry import prepare_schema
from rnnlab.report.figures import FiguresParams
from rnnlab.tasks.classify.params import (
    BaselineParams,
    EvaluateParams,
    FinetuneParams,
    SequencesParams,
    TrainParams,
)
from rnnlab.tasks.layers import layer_specs
from rnnlab.tasks.lm.params import (
    EvaluateLMParams,
    FinetuneLMParams,
    LMSequencesParams,
    NgramParams,
    TrainLMParams,
)
from rnnlab.tasks.lm.pretrain import PretrainParams, stack
from rnnlab.tasks.transfer import check_stack, stack_description
from rnnlab.tasks.translate.params import (
    FinetuneTranslationParams,
    TranslationEvalParams,
    TranslationTrainParams,
)
from rnnlab.text.embeddings import EmbeddingsParams
from rnnlab.text.vocab import VocabParams

PARAMS_FILE = Path("params.yaml")

SECTIONS: dict[str, Schema] = {
    "download": DownloadParams,
    "prepare": prepare_schema,
    "vocab": VocabParams,
    "sequences": SequencesParams,
    "embeddings": EmbeddingsParams,
    "baseline": BaselineParams,
    "pretrain": PretrainParams,
    "train": TrainParams,
    "finetune": FinetuneParams,
    "figures": FiguresParams,
    "evaluate": EvaluateParams,
    "train_translation": TranslationTrainParams,
    "finetune_translation": FinetuneTranslationParams,
    "evaluate_translation": TranslationEvalParams,
    "lm_sequences": LMSequencesParams,
    "ngram": NgramParams,
    "train_lm": TrainLMParams,
    "finetune_lm": FinetuneLMParams,
    "evaluate_lm": EvaluateLMParams,
}


SHARED = "shared"  # blocks the entries merge (`<<: *name`); no stage reads the section itself
ENTRY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # a file name and a DVC stage name


def load_all_params(path: Path = PARAMS_FILE) -> dict[str, dict]:
    """Every entry of params.yaml checked: `{section: {name: dataclass}}`."""
    params = read_yaml(path)
    if isinstance(params, dict) and not isinstance(params.pop(SHARED, {}), dict):
        raise ParamsError(f"{path}: {SHARED}: expected a mapping of blocks to merge")
    for section, entries in params.items() if isinstance(params, dict) else ():
        for name in entries if isinstance(entries, dict) else ():
            if not isinstance(name, str) or not ENTRY_NAME.fullmatch(name):
                raise ParamsError(f"{path}: {section}.{name}: expected an entry name of letters, "
                                  "digits, _ and - (it names files and stages)")
    checked = check_params(params, SECTIONS, path)
    check_across(checked, path)
    return checked


def check_across(checked: dict[str, dict], where: Path) -> None:
    """Rules between sections: an evaluation reads what its training wrote, a fine-tuning
    starts from a pretraining that fits it and saw none of its test text."""
    check_pretraining(checked, where)
    for name, entry in checked.get("evaluate_lm", {}).items():
        recipe = checked.get("lm_sequences", {}).get(name)
        windows = recipe is not None and recipe.recipe == "windows"
        if windows != (entry.eval_window is not None):
            state = "needs" if windows else "does not apply to"
            raise ParamsError(f"{where}: evaluate_lm.{name}.eval_window: {state} this entry "
                              f"(lm_sequences.{name}.recipe is "
                              f"{recipe.recipe if recipe else 'missing'})")
    for name, entry in checked.get("evaluate_translation", {}).items():
        for section in ("train_translation", "finetune_translation"):
            train = checked.get(section, {}).get(name)
            if train is not None and train.data != entry.data:
                raise ParamsError(f"{where}: evaluate_translation.{name}.data: is "
                                  f"{entry.data!r} but {section}.{name}.data is {train.data!r}")


def check_pretraining(checked: dict[str, dict], where: Path) -> None:
    prepare = checked.get("prepare", {})
    reuters46 = {e.seed for e in prepare.values() if getattr(e, "scheme", None) == "reuters46"}
    for name, entry in prepare.items():  # the pool knows reuters46's test split by its seed
        if getattr(entry, "scheme", None) == "pool" and reuters46 - {entry.seed}:
            raise ParamsError(f"{where}: prepare.{name}.seed: {entry.seed} is not the reuters46 "
                              f"entries' seed {sorted(reuters46)}, so their test documents "
                              "would be pooled")
    pretrain = checked.get("pretrain", {})
    for name, entry in pretrain.items():
        if entry.pool not in checked.get("prepare", {}):
            raise ParamsError(f"{where}: pretrain.{name}.pool: no prepare entry {entry.pool!r}")
    for section, scratch in (("finetune", "train"), ("finetune_lm", "train_lm"),
                             ("finetune_translation", "train_translation")):
        for task, entry in checked.get(section, {}).items():
            label = f"{where}: {section}.{task}"
            if task in checked.get(scratch, {}):
                raise ParamsError(f"{label}: also in {scratch}; a task's model is trained one way "
                                  "(remove one entry)")
            source = pretrain.get(entry.pretrained)
            if source is None:
                raise ParamsError(f"{label}.pretrained: no pretrain entry {entry.pretrained!r} "
                                  f"(expected one of: {', '.join(pretrain) or 'none'})")
            check_stack(label, entry.pretrained, _stack_to_start(entry), stack(source))
            held_out = _held_out_split(checked, section, task)
            if source.pool == task and held_out in source.splits:
                raise ParamsError(f"{label}.pretrained: pretrain.{entry.pretrained} pools "
                                  f"{task}'s {held_out} split, the text {task} is measured on")
            if section == "finetune_lm" and checked["lm_sequences"][task].recipe != "windows":
                raise ParamsError(f"{label}.pretrained: lm_sequences.{task}.recipe must be "
                                  "windows, the pretrained model's")


def _stack_to_start(entry: object) -> dict:
    """The layers a pretraining starts: a translator's decoder, else the model's own stack."""
    if isinstance(entry, FinetuneTranslationParams):
        specs = layer_specs(entry.cell, entry.decoder_units, False, 1)
    else:
        specs = layer_specs(entry.cell, entry.units, entry.bidirectional,
                            getattr(entry, "layers", None))
    return stack_description(entry.embedding_dim, specs)


def _held_out_split(checked: dict[str, dict], section: str, task: str) -> str:
    if section == "finetune_lm" and task in checked.get("evaluate_lm", {}):
        return checked["evaluate_lm"][task].split
    return "test"
