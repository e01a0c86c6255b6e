"""The params.yaml schema machinery: dataclasses checked strictly, with ranges and applicability.

Each stage section has a dataclass (its task family or corpus owns it). `from_mapping` refuses
unknown, missing, mistyped and out-of-range keys, and keys that do not apply to an entry, with a
one-line error naming the field, so `dvc exp run -S train.imdb.unitz=128` fails loudly instead of
silently training the default. The `params` stage checks every entry once and writes it with its
defaults filled in (`resolved`); the other stages read that file, the one they depend on.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from rnnlab.core import paths
from rnnlab.core.errors import DataError, ParamsError

T = TypeVar("T")
Schema = type | Callable[[Any, str], type]  # a dataclass, or a choice of one by the entry's values


def value(default: Any = dataclasses.MISSING, *, help: str = "", ge: float | None = None,
          gt: float | None = None, le: float | None = None, lt: float | None = None) -> Any:
    """A field with its help text and bounds (each number, or each element of a list, must
    satisfy them); `docs/params.md` is generated from the help."""
    bounds = {k: v for k, v in (("ge", ge), ("gt", gt), ("le", le), ("lt", lt)) if v is not None}
    return dataclasses.field(default=default, metadata={"bounds": bounds, "help": help})


def only(when: Callable[[Any], bool], reason: str, default: Any = dataclasses.MISSING, *,
         help: str = "", **bounds: float) -> Any:
    """A field that applies only `when(entry)` holds: then it is required (or takes `default`);
    otherwise giving it is an error (`reason` says when it applies), so nothing is ignored."""
    return dataclasses.field(default=None, metadata={"when": when, "reason": reason,
                                                     "fallback": default, "bounds": bounds,
                                                     "help": help})


def read_yaml(path: Path) -> Any:
    """YAML as `yaml.safe_load` reads it (merge keys too), but refusing duplicate keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"{path}: not found (run from the repository root)") from None
    except IsADirectoryError:
        raise ParamsError(f"{path}: is a folder, expected a YAML file") from None
    except UnicodeDecodeError as err:
        raise ParamsError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as err:
        raise ParamsError(f"{path}: not valid YAML ({' '.join(str(err).split())})") from None


class _StrictLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults`: the entry's own keys override the merged ones
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def check_params(params: Any, sections: dict[str, Schema], where: Path) -> dict[str, dict]:
    """Every entry of every section of `params`, checked: `{section: {name: dataclass}}`."""
    if not isinstance(params, dict) or not params:
        raise ParamsError(f"{where}: expected a mapping of stage sections, got "
                          f"{type(params).__name__ if params is not None else 'an empty file'}")
    unknown = sorted(set(params) - set(sections))
    if unknown:
        raise ParamsError(f"{where}: {unknown[0]}: unknown section "
                          f"(expected one of: {', '.join(sections)})")
    checked = {}
    for section, entries in params.items():
        if not isinstance(entries, dict):  # `{}` is a section with no entries (yet)
            raise ParamsError(f"{where}: {section}: expected a mapping of entries")
        checked[section] = {}
        for name, values in entries.items():
            at = f"{where}: {section}.{name}"
            checked[section][name] = from_mapping(schema_of(sections[section], values, at),
                                                  values, at)
    return checked


def schema_of(schema: Schema, values: Any, where: str) -> type:
    """The dataclass that checks an entry: fixed, or chosen by its values (a corpus's own)."""
    return schema if dataclasses.is_dataclass(schema) else schema(values, where)


def resolved(entry: Any) -> dict:
    """An entry as its stage reads it: defaults filled in, keys that do not apply left out."""
    hook = getattr(entry, "resolved", None)
    entry = hook() if callable(hook) else entry
    out = {}
    for f in dataclasses.fields(entry):
        if "when" in f.metadata and not f.metadata["when"](entry):
            continue
        out[f.name] = getattr(entry, f.name)
    return out


def load_entry(section: str, name: str, cls: type[T]) -> T:
    """The checked entry `section.name`, from the file the `params` stage wrote for it."""
    path = paths.params_entry(section, name)
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: missing: no entry {section}.{name} (run `dvc repro params`, "
                        "which checks params.yaml and writes one file per entry)") from None
    return from_mapping(cls, values, f"{path}: {section}.{name}")


def read_resolved(*sections: str) -> dict[str, dict[str, dict]]:
    """The resolved entries of `sections` as plain values: `{section: {name: values}}`."""
    return {section: {path.stem: json.loads(path.read_text(encoding="utf-8"))
                      for path in sorted((paths.STAGE_PARAMS / section).glob("*.json"))}
            for section in sections}


def from_mapping(cls: type[T], mapping: Any, where: str) -> T:
    """Build dataclass `cls` from `mapping`, refusing unknown, missing, mistyped, out-of-range
    and inapplicable keys."""
    if not isinstance(mapping, dict):
        raise ParamsError(f"{where}: expected a mapping, got {type(mapping).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(mapping) - set(fields))
    if unknown:
        raise ParamsError(f"{where}.{unknown[0]}: unknown key "
                          f"(expected one of: {', '.join(fields)})")
    # `key: null` on a key that applies only sometimes means "not set" (a merged entry's way
    # of dropping a key it inherits)
    mapping = {k: v for k, v in mapping.items() if v is not None or "when" not in
               fields[k].metadata}
    values = {}
    for key, field in fields.items():
        if key in mapping:
            values[key] = _check_bounds(_check_type(mapping[key], hints[key], f"{where}.{key}"),
                                        field.metadata.get("bounds", {}), f"{where}.{key}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ParamsError(f"{where}.{key}: missing key")
    entry = cls(**values)
    for key, field in fields.items():
        if "when" not in field.metadata:
            continue
        applies = field.metadata["when"](entry)
        if key in mapping and not applies:
            raise ParamsError(f"{where}.{key}: does not apply to this entry "
                              f"({field.metadata['reason']}); remove it")
        if applies and key not in mapping:
            if field.metadata["fallback"] is dataclasses.MISSING:
                raise ParamsError(f"{where}.{key}: missing key ({field.metadata['reason']})")
            entry = dataclasses.replace(entry, **{key: field.metadata["fallback"]})
    check = getattr(entry, "check", None)
    if callable(check):
        try:
            check()
        except ValueError as err:
            raise ParamsError(f"{where}.{err}") from None
    return entry


_LIMITS = {"ge": (lambda x, b: x >= b, "≥"), "gt": (lambda x, b: x > b, ">"),
           "le": (lambda x, b: x <= b, "≤"), "lt": (lambda x, b: x < b, "<")}


def _check_bounds(checked: Any, bounds: dict[str, float], where: str) -> Any:
    numbers = checked if isinstance(checked, list) else [checked]
    for number in numbers:
        if not isinstance(number, int | float) or isinstance(number, bool):
            continue
        if isinstance(number, float) and not math.isfinite(number):
            raise ParamsError(f"{where}: expected a finite number, got {number!r}")
        for name, bound in bounds.items():
            holds, sign = _LIMITS[name]
            if not holds(number, bound):
                wanted = " and ".join(f"{_LIMITS[n][1]} {b}" for n, b in bounds.items())
                raise ParamsError(f"{where}: expected a value {wanted}, got {number!r}")
    return checked


def _check_type(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
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
