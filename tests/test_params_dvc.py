"""DVC writes the real params.yaml: a `dvc exp run -S` changes one line of it, a change to a
shared block reaches every entry that extends it, after `dvc exp apply` too, and `dvc params
diff` / `dvc exp show` list each entry's values in effect (params.resolved.yaml).

The experiments run in a tiny git and DVC repository holding a copy of params.yaml and one
stage, the params stage's resolver (no TensorFlow): it writes params.resolved.yaml, dvc.yaml's
top-level `params` as in the real one.
"""

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, real_params

from rnnlab.core.params import read_yaml
from rnnlab.sections import RESOLVED_FILE, resolve_params

pytestmark = pytest.mark.slow  # real `dvc exp run`s: not in `make test-fast`

DVC = str(Path(sys.executable).parent / "dvc")
STAGE = """stages:
  resolve:
    cmd: python -c "from rnnlab.core.files import write_text as w; from rnnlab.sections import
      RESOLVED_FILE as f, load_all_params as p, resolved_yaml as y; w(f, y(p()))"
    deps: [params.yaml]
    outs: [{params.resolved.yaml: {cache: false}}]
params: [params.resolved.yaml]
"""
# the entries that extend shared.reuters_train, directly or through another block
REUTERS_TRAIN = ["r8", "r52", "reuters46", "imdb"]


def run(repo: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    env = {"PATH": str(Path(sys.executable).parent) + os.pathsep + "/usr/bin:/bin",
           "DVC_NO_ANALYTICS": "1", "HOME": str(repo), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(list(args), cwd=repo, capture_output=True, text=True, env=env,
                            timeout=600)
    assert (result.returncode == 0) == ok, result.stdout + result.stderr
    return result


def changed_lines(repo: Path) -> tuple[list[str], list[str]]:
    """params.yaml's lines removed and added since the last commit."""
    diff = run(repo, "git", "diff", "-U0", "--no-color", "params.yaml").stdout.splitlines()
    return ([line[1:] for line in diff if line.startswith("-") and not line.startswith("---")],
            [line[1:] for line in diff if line.startswith("+") and not line.startswith("+++")])


def in_effect(repo: Path) -> dict:
    return yaml.safe_load((repo / RESOLVED_FILE).read_text())


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("exp") / "repo"
    repo.mkdir()
    shutil.copy(ROOT / "params.yaml", repo / "params.yaml")
    (repo / "dvc.yaml").write_text(STAGE)
    run(repo, "git", "init", "-q")
    run(repo, "git", "config", "user.email", "t@t")
    run(repo, "git", "config", "user.name", "t")
    run(repo, DVC, "init", "-q")
    run(repo, DVC, "repro", "-q")
    run(repo, "git", "add", "-A")
    run(repo, "git", "commit", "-qm", "base")
    return repo


@pytest.fixture(scope="module")
def experiments(repo) -> dict:
    """Two experiments from the base commit; returns what each left in the workspace."""
    out = {}
    # r8 writes no `units` (it inherits them): `++` adds the key, as `-S` alone cannot
    refused = run(repo, DVC, "exp", "run", "-S", "train.r8.units=32", ok=False)
    out["refused"] = refused.stdout + refused.stderr
    run(repo, DVC, "exp", "run", "-q", "-n", "r8-units", "-S", "++train.r8.units=32")
    out["r8-units"] = (changed_lines(repo), in_effect(repo),
                       json.loads(run(repo, DVC, "params", "diff", "--json").stdout))
    run(repo, "git", "reset", "-q", "--hard")
    # a shared block, and a key r52 writes itself (no `++` needed)
    run(repo, DVC, "exp", "run", "-q", "-n", "shared-lr", "-S",
        "shared.reuters_train.learning_rate=0.004", "-S", "train.r52.units=96")
    out["shared-lr"] = (changed_lines(repo), in_effect(repo),
                        json.loads(run(repo, DVC, "params", "diff", "--json").stdout))
    run(repo, "git", "reset", "-q", "--hard")
    return out


def test_set_without_plus_plus_is_refused_for_an_inherited_key(experiments):
    assert "Key 'units' is not in struct" in experiments["refused"], experiments["refused"]


def test_set_on_an_inherited_key_adds_one_line_to_that_entry(experiments):
    (removed, added), effect, diff = experiments["r8-units"]
    assert (removed, added) == ([], ["    units: 32"])
    before = real_params()
    assert effect["train"]["r8"]["units"] == 32
    for other in ("r52", "reuters46", "imdb"):  # they extend the same shared block
        assert effect["train"][other]["units"] == before["train"][other]["units"]
    assert diff["params.yaml"] == {"train.r8.units": {"old": None, "new": 32}}
    assert diff[str(RESOLVED_FILE)] == {"train.r8.units": {"old": 64, "new": 32, "diff": -32}}


def test_set_on_a_shared_block_reaches_every_entry_that_extends_it(experiments):
    (removed, added), effect, diff = experiments["shared-lr"]
    assert (removed, added) == (["    learning_rate: 0.001", "    units: 128"],
                                ["    learning_rate: 0.004", "    units: 96"])
    assert {task: effect["train"][task]["learning_rate"] for task in REUTERS_TRAIN} == \
        dict.fromkeys(REUTERS_TRAIN, 0.004)
    assert diff["params.yaml"] == {
        "shared.reuters_train.learning_rate": {"old": 0.001, "new": 0.004, "diff": 0.003},
        "train.r52.units": {"old": 128, "new": 96, "diff": -32}}
    listed = diff[str(RESOLVED_FILE)]
    assert {key for key in listed if key.endswith("learning_rate")} == \
        {f"train.{task}.learning_rate" for task in REUTERS_TRAIN}
    assert listed["train.r52.units"] == {"old": 128, "new": 96, "diff": -32}
    assert len(listed) == len(REUTERS_TRAIN) + 1


def test_after_exp_apply_the_shared_block_still_reaches_the_entries(repo, experiments):
    """The issue anchors had: DVC wrote a merged entry out in full, so editing the block no
    longer reached it. With `extends`, only the key set is written."""
    run(repo, DVC, "exp", "apply", "r8-units")
    text = (repo / "params.yaml").read_text()
    run(repo, "git", "reset", "-q", "--hard")
    block = re.search(r"\n  reuters_train:\n(    .*\n)+", text)
    edited = block.group(0).replace("    learning_rate: 0.001\n", "    learning_rate: 0.002\n")
    assert edited != block.group(0)
    (repo / "edited.yaml").write_text(text.replace(block.group(0), edited))
    effect = resolve_params(read_yaml(repo / "edited.yaml"))
    for task in REUTERS_TRAIN:
        assert effect["train"][task]["learning_rate"] == 0.002, task
    assert effect["train"]["r8"]["units"] == 32 and effect["train"]["r52"]["units"] == 128


def test_exp_show_lists_the_values_in_effect(repo, experiments):
    shown = json.loads(run(repo, DVC, "exp", "show", "--json").stdout)
    runs = {rev["name"]: rev["data"]["params"] for entry in shown
            for group in entry.get("experiments") or [] for rev in group["revs"]}
    assert set(runs) == {"r8-units", "shared-lr"}
    assert runs["r8-units"][str(RESOLVED_FILE)]["data"]["train"]["r8"]["units"] == 32
    assert runs["shared-lr"][str(RESOLVED_FILE)]["data"]["train"]["imdb"]["learning_rate"] \
        == 0.004
    written = runs["shared-lr"]["params.yaml"]["data"]["train"]["imdb"]
    assert "learning_rate" not in written and written["extends"] == "reuters_train"


def test_params_yaml_is_as_dvc_writes_it(tmp_path):
    """A fixed point of DVC's writer (`-S` with no change), so a `-S` rewrites only its line:
    block style, `key:` for null, lines of at most 80 characters (DVC wraps longer values; a
    URL with no space in it cannot wrap), comments where DVC keeps them."""
    from dvc.utils.hydra import apply_overrides

    text = (ROOT / "params.yaml").read_text(encoding="utf-8")
    copy = tmp_path / "params.yaml"
    copy.write_text(text, encoding="utf-8")
    apply_overrides(copy, [])
    assert copy.read_text(encoding="utf-8") == text
    long = [line for line in text.splitlines() if len(line) > 80]
    assert all(re.fullmatch(r" +https://\S+", line) for line in long), long
    assert not [line for line in text.splitlines() if re.search(r": null\b", line)]
    # the comment keeps its column, as DVC writes it
    apply_overrides(copy, ["++train.r8.units=32", "shared.reuters_train.cell=lstm"])
    diff = [line for line in difflib.unified_diff(text.splitlines(),
                                                  copy.read_text(encoding="utf-8").splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert diff == ["-    cell: gru  # simple_rnn | lstm | gru, or a list with one per layer",
                    "+    cell: lstm # simple_rnn | lstm | gru, or a list with one per layer",
                    "+    units: 32"]
