"""`make params-doc`: docs/params.md, generated from the params schemas (`--check`: is it fresh?).

Each section's dataclass (`rnnlab.sections.SECTIONS`; for `prepare`, every corpus's own) gives
its docstring and a table of its keys, inherited ones included: type, default or when the key
applies, bounds, and the help text of `value()` / `only()`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import types
import typing
from pathlib import Path
from typing import Any

from rnnlab.core.files import write_text
from rnnlab.corpora.registry import CORPORA
from rnnlab.sections import SECTIONS

DOC = Path("docs/params.md")
SIGNS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
HEADER = """# Parameters

<!-- Generated from the params schemas by `make params-doc`; edit the help texts, not this. -->

`params.yaml` has one section per stage and one entry per corpus or task inside it: `train.r8` is
what `train@r8` runs with. Every entry is checked against its section's schema below before any
TensorFlow import: an unknown, missing, mistyped or out-of-range key (every element of a list
too), or a key given where it does not apply, is a one-line error naming it; a key that applies
only sometimes is required there (or takes its default). Rules across sections (an evaluation
reads its training's data, a fine-tuning fits its pretraining and never saw its test text) are
in `rnnlab/sections.py` and [tasks.md](tasks.md#pretraining-and-fine-tuning).

```
params all: error: params.yaml: train.imdb.dropout: expected a value ≥ 0 and < 1, got 1.5
```

## Shared blocks

The `shared` section holds blocks of values written once (no stage reads it). An entry names one
with `extends: <block>` and overrides what differs beside it, key by key (a list or mapping is
replaced whole); a block may extend another. An unknown block or a cycle is a one-line error.
The keys `dvc.yaml` reads from an entry (`corpus` of `prepare`, `pool`, `pretrained`, `data`) are
never inherited: DVC's `foreach` sees entries as written. YAML anchors, aliases and merge keys
are refused, since `dvc exp run -S` would write every merged value out in full. With
`dvc exp run`, `-S shared.<block>.<key>=v` changes every entry that extends the block and does
not set the key, `-S ++train.r8.units=32` one entry's inherited key.

## The params stage

The first stage, `params`, checks every entry and writes each one resolved (defaults filled in,
keys that do not apply left out) to `data/params/<section>/<name>.json`, which its stage reads
and depends on: a change re-runs exactly the stages whose resolved entry changed. It also writes
`params.resolved.yaml`, every entry as run, for `dvc params diff` and `dvc exp show`.

## Experiments with `dvc exp`

`dvc exp run -S ++train.r8.units=32 evaluate@r8` tries a change without editing params.yaml;
`--queue` with comma lists runs a grid (`dvc queue start`), `make exps` prints what differs and
each task's headline metric, `dvc exp apply <name>` brings one into the workspace.
"""


def schemas() -> list[tuple[str, type]]:
    """Every (section, dataclass) documented: `prepare` once per corpus, by corpus name."""
    out: list[tuple[str, type]] = []
    for section, schema in SECTIONS.items():
        if dataclasses.is_dataclass(schema):
            out.append((section, typing.cast(type, schema)))
        else:
            out.extend((f"{section} (corpus: {name})", c.params) for name, c in CORPORA.items())
    return out


def type_name(hint: Any) -> str:
    """A field's type as params.yaml spells it: `gru | lstm`, `int | null`, `list[str]`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return " | ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin in (list, dict):
        return f"{origin.__name__}[{', '.join(type_name(a) for a in args)}]"
    return "null" if hint is type(None) else getattr(hint, "__name__", str(hint))


def shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(shown, value)) + "]"
    return "null" if value is None else str(value).lower() if type(value) is bool else str(value)


def row(field: dataclasses.Field, hint: Any) -> str:
    meta = field.metadata
    if "when" in meta:
        default = meta["reason"] + ("" if meta["fallback"] is dataclasses.MISSING
                                    else f"; default {shown(meta['fallback'])}")
    elif field.default is dataclasses.MISSING:
        default = "required"
    else:
        default = f"`{shown(field.default)}`"
    bounds = ", ".join(f"{SIGNS[k]} {b}" for k, b in meta.get("bounds", {}).items())
    cells = (f"`{field.name}`", f"`{type_name(hint)}`", default, bounds, meta.get("help", ""))
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def section(title: str, cls: type) -> str:
    hints = typing.get_type_hints(cls)
    doc = cls.__dict__.get("__doc__") or ""  # a dataclass without one gets its signature
    lines = [f"## `{title}`", ""]
    if doc and not doc.startswith(f"{cls.__name__}("):
        lines += [" ".join(doc.split()), ""]
    lines += ["| key | type | default / applies | bounds | help |", "|---|---|---|---|---|"]
    lines += [row(f, hints[f.name]) for f in dataclasses.fields(cls)]
    return "\n".join(lines) + "\n"


def render() -> str:
    """docs/params.md's text: the header, then one table per section (and corpus)."""
    contents = "\n".join(f"- [`{t}`](#{anchor(t)})" for t, _ in schemas())
    body = "\n".join(section(t, cls) for t, cls in schemas())
    return f"{HEADER}\n## Sections\n\n{contents}\n\n{body}"


def anchor(title: str) -> str:
    """GitHub's anchor for a heading `` `title` ``: lower case, punctuation dropped."""
    return "".join(c for c in title.lower() if c.isalnum() or c in " _-").replace(" ", "-")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="params-doc", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help=f"exit 1 when {DOC} differs from the schemas; write nothing")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not DOC.is_file() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC}: stale (differs from the params schemas); run `make params-doc`",
                  file=sys.stderr)
            return 1
        return 0
    write_text(DOC, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
