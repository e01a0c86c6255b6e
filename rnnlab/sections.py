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
    SequencesParams,
    TrainParams,
)
from rnnlab.tasks.lm.params import EvaluateLMParams, LMSequencesParams, NgramParams, TrainLMParams
from rnnlab.tasks.translate.params import TranslationEvalParams, TranslationTrainParams
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
    """Rules between sections: an evaluation reads what its training wrote."""
    for name, entry in checked.get("evaluate_lm", {}).items():
        recipe = checked.get("lm_sequences", {}).get(name)
        windows = recipe is not None and recipe.recipe == "windows"
        if windows != (entry.eval_window is not None):
            state = "needs" if windows else "does not apply to"
            raise ParamsError(f"{where}: evaluate_lm.{name}.eval_window: {state} this entry "
                              f"(lm_sequences.{name}.recipe is "
                              f"{recipe.recipe if recipe else 'missing'})")
    for name, entry in checked.get("evaluate_translation", {}).items():
        train = checked.get("train_translation", {}).get(name)
        if train is not None and train.data != entry.data:
            raise ParamsError(f"{where}: evaluate_translation.{name}.data: is {entry.data!r} "
                              f"but train_translation.{name}.data is {train.data!r}")
