"""A copy of the repository with a tiny params file, and the real `dvc repro` run in it.

Shared by the end-to-end tests (`test_pipeline_e2e.py`) and the sharing tests
(`test_sharing.py`) through the session fixtures in `conftest.py`: the pipeline runs once.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import real_params

from rnnlab.sections import RESOLVED_FILE, load_all_params, resolved_yaml

ROOT = Path(__file__).resolve().parents[1]
DVC = str(Path(sys.executable).parent / "dvc")

# Small enough to train in seconds, but every stage does its real work.
TINY = {
    "vocab": {"max_tokens": 100},
    "sequences": {"maxlen": 40},
    "train": {"units": 8, "batch_size": 16, "epochs": 8, "patience": 3, "learning_rate": 0.01,
              "bucket_span": 2},
    "evaluate": {"batch_size": 32, "samples": 3},
    "combine": {"batch_size": 32},
    "train_translation": {"embedding_dim": 8, "units": 8, "batch_size": 8, "epochs": 2,
                          "patience": 1, "learning_rate": 0.01},
    "train_lm": {"embedding_dim": 8, "units": 8, "batch_size": 16,
                 "epochs": 3, "patience": 2, "learning_rate": 0.01},
    "lm_sequences": {"sentence_size": 20, "step": 10},
    # a pretraining and the fine-tunings from it must agree on embedding_dim and units
    "pretrain": {"embedding_dim": 8, "units": 8, "batch_size": 16, "epochs": 2, "patience": 1,
                 "learning_rate": 0.01, "max_tokens": 200, "sentence_size": 20, "step": 10,
                 "epoch_windows": 40},
    "finetune": {"embedding_dim": 8, "units": 8, "batch_size": 16, "epochs": 4, "patience": 2,
                 "learning_rate": 0.01, "bucket_span": 2},
    "finetune_lm": {"embedding_dim": 8, "units": 8, "batch_size": 16, "epochs": 3,
                    "patience": 2, "learning_rate": 0.01},
    "evaluate_lm": {"eval_window": 50, "sample_length": 12,
                    "prompts": ["thy love", "Thy", "sweet beauty"]},
    # the decoder is 2 x units wide (a bidirectional encoder): the pretraining's 8
    "finetune_translation": {"embedding_dim": 8, "units": 4, "batch_size": 8, "epochs": 2,
                             "patience": 1, "learning_rate": 0.01},
    "evaluate_translation": {"beam_width": 2, "batch_size": 32, "samples": 3},
}


def tiny_params() -> dict:
    """The real params with the TINY values, each set where the entry has that key (a windows
    recipe's `step` does not apply to a prefixes entry, and is not added to one). Every value is
    its entry's own copy, so the YAML written has no anchors (the params stage refuses them)."""
    params = real_params()  # each entry's values in effect: the tiny file has no `extends`
    params["download"]["glove"]["member_sha256"] = None  # the fake GloVe is not the real one
    if "reuters" not in params["pretrain"]:  # the documented Reuters fine-tuning, tested too
        params["pretrain"]["reuters"] = copy.deepcopy(params["shared"]["reuters_pretrain"])
        params["finetune"] = {**(params["finetune"] or {}),
                              "r8": copy.deepcopy(params["shared"]["reuters_finetune"])}
        del params["train"]["r8"]
    if "por_eng_basic" not in params["train_translation"]:  # the documented course translator
        params["train_translation"] = {**(params["train_translation"] or {}), "por_eng_basic":
                                       copy.deepcopy(params["shared"]["translator_basic"])}
        params["evaluate_translation"]["por_eng_basic"] = copy.deepcopy(params["shared"]["decode"])
    for stage, overrides in TINY.items():
        for entry in params[stage].values():
            entry.update({k: copy.deepcopy(v) for k, v in overrides.items() if k in entry})
    return params


def copy_repository(dest: Path) -> None:
    """The tracked and untracked-but-not-ignored files, without results of earlier runs."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, listed):
        if name in ("dvc.lock", "RESULTS.md") or name.startswith(("metrics/", "plots/")):
            continue
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_tiny_repo(repo: Path) -> Path:
    """The repository copied to `repo` with the tiny params, committed in a new git repo."""
    copy_repository(repo)
    (repo / "params.yaml").write_text(yaml.safe_dump(tiny_params(), sort_keys=False))
    # as the params stage writes it, so a repro leaves git clean
    (repo / RESOLVED_FILE).write_text(resolved_yaml(load_all_params(repo / "params.yaml")))
    git(repo, "init", "-q")
    git(repo, "config", "user.name", "t")
    git(repo, "config", "user.email", "t@t")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "tiny")
    return repo


def dvc(repo: Path, env: dict, *args: str) -> str:
    result = subprocess.run([DVC, *args], cwd=repo, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def ran_stages(output: str) -> set[str]:
    return set(re.findall(r"Running stage '([^']+)'", output))


def language_halves(params: dict) -> set[str]:
    """The names (tasks and corpora) of the language-model and translation half of the graph."""
    translators = {**params["train_translation"], **params["finetune_translation"]}
    tasks = set(params["train_lm"]) | set(params["finetune_lm"]) | set(translators)
    tasks |= {entry["data"] for entry in translators.values()}
    return tasks | {params["prepare"][task]["corpus"] for task in tasks & set(params["prepare"])}


def repro_everything(repo: Path, env: dict) -> tuple[str, str]:
    """`dvc repro` of the whole graph; returns DVC's output, and that of its last command.

    The classification half and the language-model and translation half share no stage but
    `params` (first) and `summary` (last), so the two halves run at once as two
    `dvc repro --single-item` processes, each given its stages in dvc.yaml's order, which is a
    topological one (the machines here have 2 cores and a tiny stage is mostly one core loading
    TensorFlow). `--wait-for-lock`: the two take turns at writing dvc.lock. A last plain
    `dvc repro` then runs whatever is left, which must be `summary` alone.
    """
    params = yaml.safe_load((repo / "params.yaml").read_text())
    language = language_halves(params)
    entries = dvc(repo, env, "stage", "list", "--name-only").split()
    middle = [name for name in entries if "@" in name]
    halves = [[n for n in middle if n.split("@")[1] not in language],
              [n for n in middle if n.split("@")[1] in language]]
    output = dvc(repo, env, "repro", "params")
    running = [subprocess.Popen([DVC, "--wait-for-lock", "repro", "--single-item", *half],
                                cwd=repo, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True) for half in halves]
    for process in running:
        out, _ = process.communicate()
        assert process.returncode == 0, out[-3000:]
        output += out
    last = dvc(repo, env, "repro")
    return output + last, last
