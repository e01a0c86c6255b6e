"""`make exps`: the experiments table, narrow enough to read.

`dvc exp show` lists every param and metric as a column (about 900 here), so at 200 columns
every cell is "…", and even `--only-changed` names each metric `metrics/<task>.json:accuracy`.
This reads `dvc exp show --json` and prints one row per revision and experiment with the values
in effect that differ between them (`params.resolved.yaml`, where `extends` is resolved) and each
task's headline metric under the task's name. A table wider than the terminal is printed
transposed, one column per experiment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

RESOLVED = "params.resolved.yaml"
HEADLINES = ("accuracy", "perplexity", "val_loss_nats", "bleu")  # the first a task's file has


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """`{"a": {"b": 1}}` -> `{"a.b": 1}`; lists stay values."""
    if not isinstance(tree, dict):
        return {prefix: tree}
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        flat |= flatten(value, f"{prefix}.{key}" if prefix else str(key))
    return flat


def revisions(show: list[dict]) -> list[tuple[str, dict]]:
    """(label, data) for the workspace, each baseline revision and each of its experiments."""
    found = []
    for baseline in show:
        rev = baseline["rev"]
        label = baseline.get("name") or (rev if rev == "workspace" else rev[:7])
        found.append((label, baseline.get("data") or {}))
        for experiment in baseline.get("experiments") or []:
            for rev in experiment.get("revs") or []:
                label = f"  {rev.get('name') or rev['rev'][:7]}"
                found.append((label, rev.get("data") or {}))
    return found


def headlines(data: dict) -> dict[str, Any]:
    """`{task: headline}` from `metrics/<task>.json` files (not the folders under metrics/)."""
    out = {}
    for path, metrics in (data.get("metrics") or {}).items():
        parts = path.split("/")
        if len(parts) != 2 or parts[0] != "metrics" or not parts[1].endswith(".json"):
            continue
        values = (metrics or {}).get("data") or {}
        key = next((k for k in HEADLINES if k in values), None)
        if key is not None:
            out[parts[1].removesuffix(".json")] = values[key]
    return out


def cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "-" if value is None else str(value)


def table(show: list[dict]) -> list[list[str]]:
    """Header and rows: the label, the effective params that differ, each task's headline."""
    rows = []
    for label, data in revisions(show):
        params = ((data.get("params") or {}).get(RESOLVED) or {}).get("data") or {}
        rows.append((label, flatten(params), headlines(data)))
    names = sorted({k for _, params, _ in rows for k in params})
    changed = [k for k in names if len({json.dumps(p.get(k)) for _, p, _ in rows}) > 1]
    tasks = sorted({task for _, _, metrics in rows for task in metrics})
    return [["experiment", *changed, *tasks]] + [
        [label, *(cell(p.get(k)) for k in changed), *(cell(m.get(t)) for t in tasks)]
        for label, p, m in rows]


def render(grid: list[list[str]], width: int) -> str:
    """Aligned columns; transposed when the table is wider than `width`."""
    def lines(g: list[list[str]]) -> list[str]:
        sizes = [max(len(row[i]) for row in g) for i in range(len(g[0]))]
        return ["  ".join(c.ljust(s) for c, s in zip(row, sizes, strict=True)).rstrip()
                for row in g]

    out = lines(grid)
    if max(map(len, out)) > width:
        out = lines([list(column) for column in zip(*grid, strict=True)])
    return "\n".join(out)


def main() -> None:
    result = subprocess.run(["dvc", "exp", "show", "--json", *sys.argv[1:]],
                            capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        sys.exit(f"dvc exp show --json failed: {last}")
    width = int(os.environ.get("COLUMNS") or shutil.get_terminal_size((200, 24)).columns)
    print(render(table(json.loads(result.stdout)), width))


if __name__ == "__main__":
    main()
