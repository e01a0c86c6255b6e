"""Which schema checks each params.yaml section, the rules that join two sections, and how an
entry extends a shared block.

The `params` stage checks every entry with these before anything else runs, and writes each one
resolved (defaults filled in) to data/params/<section>/<name>.json for its stage to read.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import yaml

from rnnlab.core.errors import ParamsError
from rnnlab.core.params import Schema, check_params, read_yaml, resolved
from rnnlab.corpora.download import DownloadParams
from rnnlab.corpora.registry import prepare_schema
from rnnlab.report.figures import FiguresParams
from rnnlab.tasks.classify import params as classify
from rnnlab.tasks.lm import params as lm
from rnnlab.tasks.lm.pretrain import PretrainParams
from rnnlab.tasks.transfer import check_stack
from rnnlab.tasks.translate import params as translate
from rnnlab.text.embeddings import EmbeddingsParams
from rnnlab.text.vocab import VocabParams

PARAMS_FILE = Path("params.yaml")

# The corpus and text sections, then each task family's own (its params module lists them).
SECTIONS: dict[str, Schema] = {
    "download": DownloadParams,
    "prepare": prepare_schema,
    "vocab": VocabParams,
    "embeddings": EmbeddingsParams,
    "pretrain": PretrainParams,
    "figures": FiguresParams,
    **classify.SECTIONS,
    **translate.SECTIONS,
    **lm.SECTIONS,
}


SHARED = "shared"  # blocks the entries extend; no stage reads the section itself
EXTENDS = "extends"  # `extends: <block>`: the block's keys, then the entry's own over them
ENTRY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # a file name and a DVC stage name
# The keys dvc.yaml interpolates from each entry (`${item.corpus}`). DVC's foreach sees the entry
# as written, not resolved, so an entry writes these itself (test_stage_deps checks the list).
FOREACH_KEYS = {"prepare": ("corpus",), "embeddings": ("pool",), "pretrain": ("pool",),
                "finetune": ("pretrained",), "finetune_lm": ("pretrained",),
                "train_translation": ("data",),
                "finetune_translation": ("data", "pretrained"), "evaluate_translation": ("data",)}
# Every entry as its stage runs it, for `dvc params diff` and `dvc exp show` (dvc.yaml's `params`)
RESOLVED_FILE = Path("params.resolved.yaml")


def load_all_params(path: Path = PARAMS_FILE) -> dict[str, dict]:
    """Every entry of params.yaml checked: `{section: {name: dataclass}}`."""
    refuse_anchors(path)
    params = resolve_params(read_yaml(path), path)
    if isinstance(params, dict):
        params.pop(SHARED, None)
    for section, entries in params.items() if isinstance(params, dict) else ():
        for name in entries if isinstance(entries, dict) else ():
            if not isinstance(name, str) or not ENTRY_NAME.fullmatch(name):
                raise ParamsError(f"{path}: {section}.{name}: expected an entry name of letters, "
                                  "digits, _ and - (it names files and stages)")
    checked = check_params(params, SECTIONS, path)
    check_across(checked, path)
    return checked


def refuse_anchors(path: Path) -> None:
    """One line for an anchor, an alias or a merge key, found in the parser's events before
    anything is built from them (a billion-laughs file costs nothing): `dvc exp run -S` would
    write every merged value out in full, so a block is shared with `extends` instead."""
    try:
        events = yaml.parse(path.read_text(encoding="utf-8"),
                            Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        stack: list[list] = []  # each open collection: [a mapping?, nodes seen, key or index]
        for event in events:
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                stack.pop()
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue
            top = stack[-1] if stack else None
            is_key = top is not None and top[0] and top[1] % 2 == 0
            if top is not None:
                if is_key:
                    top[2] = None  # at a key, the place is the mapping's own
                elif not top[0]:
                    top[2] = top[1]  # a sequence's item: its index
                top[1] += 1
            at = ".".join(str(place) for *_, place in stack if place is not None)
            if isinstance(event, yaml.AliasEvent):
                _refuse(path, at, f"alias *{event.anchor}", event)
            if event.anchor is not None:
                _refuse(path, at, f"anchor &{event.anchor}", event)
            if is_key and isinstance(event, yaml.ScalarEvent):
                if event.value == "<<" and event.implicit[0]:  # plain, so YAML's merge key
                    _refuse(path, at, "merge key <<", event)
                top[2] = event.value
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                stack.append([isinstance(event, yaml.MappingStartEvent), 0, None])
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return  # read_yaml names the problem


def _refuse(path: Path, at: str, what: str, event: yaml.Event) -> None:
    raise ParamsError(f"{path}: {at or 'top level'}: {what} (line {event.start_mark.line + 1}); "
                      f"expected no anchors, aliases or merge keys (a block in {SHARED} and "
                      f"`{EXTENDS}: <block>` share values)")


def resolve_params(params: Any, where: Path = PARAMS_FILE) -> Any:
    """`params` as read, with each `extends` resolved: the block's keys (its own `extends`
    resolved first), then the entry's over them, key by key. `shared` comes back with every block
    resolved. Anything but a mapping of mappings is left as it is for check_params to name."""
    if not isinstance(params, dict):
        return params
    shared = params.get(SHARED, {})
    if not isinstance(shared, dict):
        raise ParamsError(f"{where}: {SHARED}: expected a mapping of blocks to extend")
    blocks: dict[str, dict] = {}

    def block(name: str, at: str, chain: tuple[str, ...]) -> dict:
        if name in chain:
            cycle = " -> ".join((*chain, name))
            raise ParamsError(f"{where}: {at}.{EXTENDS}: {cycle} is a cycle; expected a block "
                              "that does not extend itself")
        if name not in shared:
            raise ParamsError(f"{where}: {at}.{EXTENDS}: no {SHARED} block {name!r} (expected "
                              f"one of: {', '.join(map(str, shared)) or 'none'})")
        if name not in blocks:
            if not isinstance(shared[name], dict):
                raise ParamsError(f"{where}: {SHARED}.{name}: expected a mapping of keys, got "
                                  f"{type(shared[name]).__name__}")
            blocks[name] = flat(shared[name], f"{SHARED}.{name}", (*chain, name))
        return blocks[name]

    def flat(entry: Any, at: str, chain: tuple[str, ...] = ()) -> Any:
        if not isinstance(entry, dict) or EXTENDS not in entry:
            return entry
        parent = entry[EXTENDS]
        if not isinstance(parent, str):
            raise ParamsError(f"{where}: {at}.{EXTENDS}: expected the name of a {SHARED} block, "
                              f"got {parent!r}")
        return {**block(parent, at, chain), **{k: v for k, v in entry.items() if k != EXTENDS}}

    for name in shared:
        block(name, f"{SHARED}.{name}", ())
    out: dict[str, Any] = {}
    if SHARED in params:  # each block and entry its own copy, so a YAML dump has no anchors
        out[SHARED] = {name: copy.deepcopy(blocks[name]) for name in shared}
    for section, entries in params.items():
        if section == SHARED or not isinstance(entries, dict):
            out.setdefault(section, entries)
            continue
        out[section] = {name: copy.deepcopy(flat(entry, f"{section}.{name}"))
                        for name, entry in entries.items()}
        for name, entry in entries.items():
            for key in FOREACH_KEYS.get(section, ()) if isinstance(entry, dict) else ():
                if key not in entry and key in out[section][name]:
                    raise ParamsError(f"{where}: {section}.{name}.{key}: inherited from "
                                      f"{SHARED}.{entry[EXTENDS]}; expected in the entry itself "
                                      f"(dvc.yaml reads ${{item.{key}}} from it as written)")
    return out


def resolved_yaml(checked: dict[str, dict]) -> str:
    """RESOLVED_FILE's text: every entry as its stage runs it (defaults filled in), sorted, so
    equal params give equal bytes."""
    data = {section: {name: resolved(entry) for name, entry in entries.items()}
            for section, entries in checked.items()}
    data = json.loads(json.dumps(data))  # the values data/params/ holds, as plain YAML types
    return ("# Written by the params stage from params.yaml (do not edit): each entry as its "
            "stage\n# runs it, for `dvc params diff` and `dvc exp show`.\n"
            + yaml.safe_dump(data, sort_keys=True, allow_unicode=True, width=100))


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
    check_combine(checked, where)
    for name, entry in checked.get("evaluate_translation", {}).items():
        for section in ("train_translation", "finetune_translation"):
            train = checked.get(section, {}).get(name)
            if train is not None and train.data != entry.data:
                raise ParamsError(f"{where}: evaluate_translation.{name}.data: is "
                                  f"{entry.data!r} but {section}.{name}.data is {train.data!r}")


def check_combine(checked: dict[str, dict], where: Path) -> None:
    """What the embeddings' pools and the combined rows read must be entries of their own."""
    for name, entry in checked.get("embeddings", {}).items():
        if entry.pool not in checked.get("prepare", {}):
            raise ParamsError(f"{where}: embeddings.{name}.pool: no prepare entry {entry.pool!r}")
    for name in checked.get("combine", {}):
        if not any(name in checked.get(section, {}) for section in ("train", "finetune")):
            raise ParamsError(f"{where}: combine.{name}: no train or finetune entry {name!r} "
                              "whose model it could mix")
        if name not in checked.get("baseline", {}):
            raise ParamsError(f"{where}: combine.{name}: no baseline entry {name!r} whose "
                              "classical model it could mix")


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
            check_stack(label, entry.pretrained, entry.stack, source.stack)
            held_out = _held_out_split(checked, section, task)
            if source.pool == task and held_out in source.splits:
                raise ParamsError(f"{label}.pretrained: pretrain.{entry.pretrained} pools "
                                  f"{task}'s {held_out} split, the text {task} is measured on")
            _check_pool_of_the_same_corpus(checked, where, f"{section}.{task}", entry, task,
                                           held_out)
            if section == "finetune_lm" and checked["lm_sequences"][task].recipe != "windows":
                raise ParamsError(f"{label}.pretrained: lm_sequences.{task}.recipe must be "
                                  "windows, the pretrained model's")


def _check_pool_of_the_same_corpus(checked: dict[str, dict], where: Path, label: str,
                                   entry: Any, task: str, held_out: str) -> None:
    """A pool built by ANOTHER prepare entry of the task's corpus splits that corpus its own way
    (another seed, fractions or scheme), so any split of it may hold the text the task is
    measured on. The one exception is a Reuters `scheme: pool` entry on the task's `test`
    split: it puts every Reuters task's test documents in its own `test` split, which no pool
    takes (and its seed is checked against the reuters46 entries' above)."""
    prepare, name = checked.get("prepare", {}), entry.pretrained
    pool_name, splits = checked["pretrain"][name].pool, checked["pretrain"][name].splits
    measured = getattr(entry, "data", None) or task  # the prepare entry the task reads
    pool, own = prepare.get(pool_name), prepare.get(measured)
    corpus = getattr(pool, "corpus", None)
    if pool_name == measured or corpus is None or corpus != getattr(own, "corpus", None):
        return
    if getattr(pool, "scheme", None) == "pool" and held_out == "test":
        return
    raise ParamsError(f"{where}: pretrain.{name}.pool: prepare.{pool_name} is another split of "
                      f"corpus {corpus!r}, which {label} reads as prepare.{measured}; its "
                      f"splits {', '.join(splits)} could hold {task}'s {held_out} split, the "
                      f"text {task} is measured on (pool prepare.{measured} without its "
                      f"{held_out} split instead)")


def _held_out_split(checked: dict[str, dict], section: str, task: str) -> str:
    if section == "finetune_lm" and task in checked.get("evaluate_lm", {}):
        return checked["evaluate_lm"][task].split
    return "test"
