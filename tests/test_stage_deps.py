"""A cached result must never outlive the code that made it: every `rnnlab` module a stage runs
(imported at the top or inside a function, directly or through other modules) is covered by one
of that stage's deps in dvc.yaml, as the module's file or a folder above it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def module_file(name: str) -> Path | None:
    """The file of module `rnnlab.x.y` (a package's `__init__.py`), or None if it is not one."""
    base = ROOT / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    """The `rnnlab` modules `path` imports anywhere in its code, and the packages above them."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from rnnlab.tasks import fit` imports the module `rnnlab.tasks.fit`
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name == "rnnlab" or name.startswith("rnnlab."):
                parts = name.split(".")
                found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return {name for name in found if module_file(name) is not None}


def docstring_only(path: Path) -> bool:
    """A package `__init__.py` with nothing but its docstring cannot change what a stage does."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return len(body) <= 1 and all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
                                  for n in body)


def transitive_files(script: Path) -> set[Path]:
    """Every rnnlab file that running `script` can import (docstring-only packages aside)."""
    seen: set[str] = set()
    todo = list(imported_modules(script))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(imported_modules(module_file(name)) - seen)
    files = {module_file(name) for name in seen}
    return {f.relative_to(ROOT) for f in files if not (f.name == "__init__.py" and
                                                        docstring_only(f))}


def stage_entries() -> list[tuple[str, str, list[str]]]:
    """(stage, script, deps) for every stage of dvc.yaml; `${...}` in a dep path is left as a
    pattern that matches any one path segment."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    out = []
    for name, stage in stages.items():
        body = stage.get("do", stage)
        script = re.search(r"python (stages/\w+\.py)", body["cmd"]).group(1)
        out.append((name, script, [str(dep) for dep in body.get("deps", [])]))
    return out


def covers(dep: str, path: Path) -> bool:
    pattern = re.escape(dep.rstrip("/")).replace(r"\$\{", "${")
    pattern = re.sub(r"\$\{[^}]*\}", "[^/]+", pattern)
    return re.fullmatch(pattern + r"(/.*)?", path.as_posix()) is not None


def missing_deps(deps: list[str], script: str) -> list[str]:
    needed = {Path(script)} | transitive_files(ROOT / script)
    return sorted(p.as_posix() for p in needed if not any(covers(d, p) for d in deps))


@pytest.mark.parametrize(("stage", "script", "deps"), stage_entries(),
                         ids=[entry[0] for entry in stage_entries()])
def test_stage_deps_cover_every_module_it_runs(stage, script, deps):
    missing = missing_deps(deps, script)
    assert not missing, f"dvc.yaml: stage {stage} runs {', '.join(missing)} without a dep on it"


def test_package_inits_hold_only_a_docstring():
    """Else the deps above would have to list them: code belongs in a module of its own."""
    inits = sorted((ROOT / "rnnlab").rglob("__init__.py"))
    assert inits and all(docstring_only(path) for path in inits)


def test_a_missing_dep_is_found():
    """The check can fail: without its model module the train stage is reported."""
    name, script, deps = next(e for e in stage_entries() if e[0] == "train")
    assert missing_deps(deps, script) == []
    dropped = [d for d in deps if d != "rnnlab/tasks/classify/model.py"]
    assert missing_deps(dropped, script) == ["rnnlab/tasks/classify/model.py"]


def test_imports_inside_functions_count(tmp_path):
    script = tmp_path / "stage.py"
    script.write_text("def main():\n    from rnnlab.tasks.lm import generate\n")
    files = {p.as_posix() for p in transitive_files(script)}
    assert "rnnlab/tasks/lm/generate.py" in files
    assert "rnnlab/core/model_folder.py" in files  # through generate's own imports


def test_the_package_layers_point_downwards():
    """core <- text <- corpora, tasks <- report, sections, cli; tasks never import a corpus."""
    rank = {"core": 0, "text": 1, "corpora": 2, "tasks": 2, "report": 3}
    for path in sorted((ROOT / "rnnlab").rglob("*.py")):
        parts = path.relative_to(ROOT / "rnnlab").parts
        layer = rank.get(parts[0], 3) if len(parts) > 1 else 3
        for name in imported_modules(path):
            target = name.split(".")[1] if name.count(".") else None
            if target is None or module_file(name).parent == ROOT / "rnnlab":
                continue
            assert rank.get(target, 3) <= layer, f"{path.relative_to(ROOT)} imports {name}"
            if parts[0] == "tasks":
                assert target != "corpora", f"{path.relative_to(ROOT)} imports {name}"


def test_the_keys_dvc_yaml_reads_from_an_entry_are_the_ones_it_must_write():
    """DVC's foreach interpolates `${item.<key>}` from each entry as written, not resolved: the
    params stage refuses an entry that inherits such a key (rnnlab.sections.FOREACH_KEYS)."""
    from rnnlab.sections import FOREACH_KEYS

    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    read = {}
    for stage in stages.values():
        if "foreach" in stage:
            section = re.fullmatch(r"\$\{(\w+)\}", stage["foreach"]).group(1)
            keys = set(re.findall(r"\$\{item\.(\w+)\}", yaml.safe_dump(stage["do"])))
            if keys:
                read[section] = keys
    assert read == {section: set(keys) for section, keys in FOREACH_KEYS.items()}
