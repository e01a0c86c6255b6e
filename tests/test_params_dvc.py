"""DVC reads the real params.yaml, anchors and merge keys included: `-S` on a merged entry
changes that entry alone, and `exp show` / `params diff` list every effective value."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import ROOT

DVC = str(Path(sys.executable).parent / "dvc")
STAGE = """stages:
  copy:
    cmd: python -c "import shutil; shutil.copy('params.yaml', 'seen.yaml')"
    deps: [params.yaml]
    outs: [seen.yaml]
"""


def run(repo: Path, *args: str) -> str:
    result = subprocess.run(list(args), cwd=repo, capture_output=True, text=True,
                            env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
                                 "DVC_NO_ANALYTICS": "1", "HOME": str(repo)})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_set_on_a_merged_entry_changes_it_alone(tmp_path):
    repo = tmp_path / "repo"
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
    before = yaml.safe_load((repo / "params.yaml").read_text())

    run(repo, DVC, "exp", "run", "-q", "-S", "train.r8.units=32")
    after = yaml.safe_load((repo / "params.yaml").read_text())
    assert after["train"]["r8"] == before["train"]["r8"] | {"units": 32}
    for other in ("r52", "reuters46", "imdb"):  # they merge the same shared block
        assert after["train"][other] == before["train"][other]
    assert after["shared"] == before["shared"]

    diff = json.loads(run(repo, DVC, "params", "diff", "--json"))["params.yaml"]
    old = before["train"]["r8"]["units"]
    assert diff == {"train.r8.units": {"old": old, "new": 32, "diff": 32 - old}}
    shown = json.loads(run(repo, DVC, "exp", "show", "--json"))
    params = shown[0]["data"]["params"]["params.yaml"]["data"]  # the workspace
    assert params["train"]["r52"]["cell"] == "gru"  # a merged value is listed as in effect
    assert params["train"]["imdb"]["pooling"] == "concat"  # and an entry's own override
