"""Team sharing and experiments: the DVC remote, run-cache, metrics diff, `dvc exp run`.

One temporary repository ("origin") runs the tiny `r8` chain (`dvc repro evaluate@r8`), runs an
experiment on top and commits it, pushes to a remote of the test's own, and a `git clone` of it
pulls everything back without re-running a stage: once from a folder, once over SSH from an sshd
the test starts on 127.0.0.1.

No remote is committed (a newcomer adds one: docs/sharing.md), and these tests never use one the
user configured: the copy of the repository leaves out `.dvc/config.local` (git-ignored), DVC's
global and system config are empty folders here, and each test adds its remote by name and names
it again (`-r`) on push and pull.
"""

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest
import sshd
import yaml
from conftest import ROOT
from tinyrepo import DVC, make_tiny_repo, ran_stages

# Tracked results that a stage of the r8 chain writes (cache: false, kept in git).
R8_RESULTS = ["params.resolved.yaml", "metrics/r8.json", "metrics/samples/r8.md",
              "metrics/pretrain/reuters.json", "plots/pretrain/reuters",
              "plots/train/r8", "plots/eval/r8"]
TIMEOUT = 1800  # seconds for one command: the tiny r8 chain takes minutes on 2 busy cores


def isolated(env: dict, folder: Path) -> dict:
    """`env` with DVC's global and system config in `folder`: no remote the user set there."""
    return env | {"DVC_GLOBAL_CONFIG_DIR": str(folder / "global"),
                  "DVC_SYSTEM_CONFIG_DIR": str(folder / "system"), "DVC_NO_ANALYTICS": "1"}


@pytest.fixture(scope="module")
def env(env, tmp_path_factory):
    """conftest's environment, with DVC's user-wide config left out."""
    return isolated(env, tmp_path_factory.mktemp("dvc-config"))


def run(repo: Path, env: dict, *args: str, timeout: float = TIMEOUT):
    return subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True,
                          timeout=timeout)


def dvc(repo: Path, env: dict, *args: str) -> str:
    result = run(repo, env, DVC, *args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                            text=True, timeout=120)
    return result.stdout


def test_no_remote_is_committed_so_push_says_to_add_one(tmp_path):
    """A fresh clone has no remote: `dvc push` fails and says how to add one."""
    env = isolated(dict(os.environ), tmp_path / "dvc-config")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    dvc(repo, env, "init", "-q")
    (repo / ".dvc" / "config").write_text((ROOT / ".dvc" / "config").read_text())
    listed = dvc(repo, env, "config", "--project", "--list").split()
    assert "core.analytics=false" in listed and "core.autostage=true" in listed
    assert [key for key in listed if "remote" in key] == []
    assert dvc(repo, env, "remote", "list") == ""
    (repo / "data.txt").write_text("data\n")
    dvc(repo, env, "add", "-q", "data.txt")
    pushed = run(repo, env, DVC, "push", "--run-cache", timeout=300)
    assert pushed.returncode != 0
    assert "no remote specified" in pushed.stderr, pushed.stderr
    assert "dvc remote add -d <remote name> <remote url>" in pushed.stderr


def add_remote(repo: Path, env: dict, name: str, url: str, **options: str) -> None:
    """Add remote `name` as this copy's default, in its git-ignored .dvc/config.local."""
    dvc(repo, env, "remote", "add", "-d", "--local", name, url)
    for option, value in options.items():
        dvc(repo, env, "remote", "modify", "--local", name, option, value)


def commit(repo: Path, message: str, *paths: str) -> None:
    git(repo, "add", *paths)
    git(repo, "commit", "-qm", message)


@pytest.fixture(scope="module")
def origin(tmp_path_factory, env):
    """A tiny repository where the r8 chain ran and was committed. It has no remote yet."""
    repo = make_tiny_repo(tmp_path_factory.mktemp("origin"))
    assert not (repo / ".dvc" / "config.local").exists()  # the user's stays where it is
    assert dvc(repo, env, "remote", "list") == ""
    dvc(repo, env, "repro", "evaluate@r8")
    commit(repo, "r8 run", "dvc.lock", *R8_RESULTS)
    return repo


@pytest.fixture(scope="module")
def experiment(origin, env):
    """`dvc exp run -S ...` on the r8 chain, then committed; returns (output, `exp show` JSON)."""
    output = dvc(origin, env, "exp", "run", "-n", "smaller", "-S", "finetune.r8.batch_size=8",
                 "-S", "baseline.r8.ngram_max=1", "evaluate@r8")
    shown = json.loads(dvc(origin, env, "exp", "show", "--json"))
    commit(origin, "units 6, unigram baseline", "params.yaml", "dvc.lock", *R8_RESULTS)
    return output, shown


@pytest.mark.e2e
def test_exp_run_sets_params_and_reruns_only_what_reads_them(experiment):
    output, shown = experiment
    assert ran_stages(output) == {"params", "baseline@r8", "finetune@r8", "evaluate@r8"}
    runs = [rev for entry in shown for group in entry.get("experiments") or []
            for rev in group["revs"]]
    assert [run["name"] for run in runs] == ["smaller"]
    data = runs[0]["data"]
    assert data["params"]["params.yaml"]["data"]["finetune"]["r8"]["batch_size"] == 8
    assert 0.0 <= data["metrics"]["metrics/r8.json"]["data"]["accuracy"] <= 1.0


@pytest.mark.e2e
def test_metrics_and_params_diff_show_the_change(origin, env, experiment):
    metrics = json.loads(dvc(origin, env, "metrics", "diff", "HEAD~1", "--json"))
    loss = metrics["metrics/r8.json"]["loss"]
    assert loss["old"] != loss["new"]
    assert loss["old"] == json.loads(git(origin, "show", "HEAD~1:metrics/r8.json"))["loss"]
    params = json.loads(dvc(origin, env, "params", "diff", "HEAD~1", "--json"))["params.yaml"]
    assert params["finetune.r8.batch_size"] == {"old": 16, "new": 8, "diff": -8}
    assert params["baseline.r8.ngram_max"] == {"old": 2, "new": 1, "diff": -1}


def push_and_clone(origin: Path, env: dict, name: str, url: str, dest: Path,
                   **options: str) -> Path:
    """`dvc push --run-cache --all-commits` from origin to remote `name` (docs/sharing.md),
    then a fresh `git clone` that adds the same remote and `dvc pull --run-cache`s from it."""
    add_remote(origin, env, name, url, **options)
    dvc(origin, env, "push", "--run-cache", "--all-commits", "-r", name)
    repo = dest / "rnnlab"
    git(dest, "clone", "-q", str(origin), str(repo))
    git(repo, "config", "user.name", "t")
    git(repo, "config", "user.email", "t@t")
    assert dvc(repo, env, "remote", "list") == ""  # .dvc/config.local does not travel by git
    add_remote(repo, env, name, url, **options)
    # only the r8 chain ran: its outputs (and their inputs' outputs) are all that was pushed
    dvc(repo, env, "pull", "--run-cache", "-r", name, "--with-deps", "evaluate@r8")
    return repo


def assert_pulled_everything_and_runs_nothing(clone: Path, env: dict) -> None:
    lock = yaml.safe_load((clone / "dvc.lock").read_text())["stages"]
    outs = [out["path"] for stage in lock.values() for out in stage["outs"]]
    assert {"models/r8", "data/sequences/r8.npz", "models/pretrain/reuters"} <= set(outs)
    assert [path for path in outs if not (clone / path).exists()] == []
    assert (clone / "models" / "r8" / "model.keras").is_file()
    assert dvc(clone, env, "status", "evaluate@r8").strip() == "Data and pipelines are up to date."
    output = dvc(clone, env, "repro", "evaluate@r8")
    assert ran_stages(output) == set() and "is cached" not in output, output


@pytest.fixture(scope="module")
def clone(origin, experiment, env, tmp_path_factory):
    """Through a remote folder inside the test's temporary folder."""
    remote = tmp_path_factory.mktemp("remote")
    return push_and_clone(origin, env, "testremote", str(remote), tmp_path_factory.mktemp("clone"))


@pytest.mark.e2e
def test_fresh_clone_pulls_every_output_and_runs_nothing(clone, env):
    assert_pulled_everything_and_runs_nothing(clone, env)


@pytest.fixture
def ssh_server(tmp_path):
    """An sshd of the test's own on 127.0.0.1, stopped at teardown."""
    if reason := sshd.missing():
        pytest.skip(f"ssh sharing test: {reason}")
    if importlib.util.find_spec("dvc_ssh") is None:
        pytest.skip("ssh sharing test: the dvc-ssh plugin is not installed "
                    "(pip install -r requirements-dev.txt)")
    with sshd.serve(tmp_path / "sshd") as server:
        yield server


@pytest.mark.e2e
def test_push_and_pull_over_ssh_then_the_clone_runs_nothing(origin, experiment, env, ssh_server,
                                                            tmp_path_factory):
    """The recipe of docs/sharing.md over a real SSH server: key auth, keyfile set with --local.

    DVC's ssh remote never asks about the server's host key (its sshfs client connects with
    asyncssh's `known_hosts=None`), so no known_hosts is needed for a run without a prompt.
    """
    remote = tmp_path_factory.mktemp("ssh-remote") / "rnnlab-remote"
    clone = push_and_clone(origin, env, "sshremote", ssh_server.url(remote),
                           tmp_path_factory.mktemp("ssh-clone"),
                           keyfile=str(ssh_server.keyfile), timeout="30")
    assert list((remote / "files" / "md5").iterdir()) and list((remote / "runs").iterdir())
    accepted = ssh_server.log.read_text().count(f"Accepted publickey for {ssh_server.user} ")
    assert accepted >= 2, ssh_server.log.read_text()  # the push and the pull came over ssh
    assert_pulled_everything_and_runs_nothing(clone, env)
    status = dvc(clone, env, "status", "--cloud", "-r", "sshremote", "--with-deps", "evaluate@r8")
    assert "in sync" in status, status


@pytest.mark.e2e
def test_run_cache_restores_an_earlier_run_in_the_clone(clone, env):
    """The clone never ran the bigram baseline of the first commit: the run-cache has it."""
    assert list((clone / ".dvc" / "cache" / "runs").rglob("*"))
    params = yaml.safe_load((clone / "params.yaml").read_text())
    params["baseline"]["r8"]["ngram_max"] = 2
    (clone / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    output = dvc(clone, env, "repro", "--pull", "baseline@r8")  # the run's outputs: remote
    # params.yaml as a whole (units 6, bigrams) is new, so `params` runs; baseline@r8's own entry
    # is the first commit's again, and the run-cache has that run
    assert ran_stages(output) == {"params"}, output
    assert "Stage 'baseline@r8' is cached - skipping run" in output
    first = yaml.safe_load(git(clone, "show", "HEAD~1:dvc.lock"))
    md5 = first["stages"]["baseline@r8"]["outs"][0]["md5"]
    assert yaml.safe_load((clone / "dvc.lock").read_text())["stages"]["baseline@r8"]["outs"][0][
        "md5"] == md5
    git(clone, "checkout", "--", "params.yaml", "params.resolved.yaml", "dvc.lock")
    dvc(clone, env, "checkout", "--with-deps", "evaluate@r8")


@pytest.mark.e2e
def test_rerun_from_scratch_in_another_copy_gives_identical_results(clone, env):
    """Every stage of the r8 chain again, forced, in the clone: the same bytes as the origin's."""
    def results() -> dict:  # a pretraining's metrics also hold its wall time, which varies
        pretrained = json.loads((clone / "metrics/pretrain/reuters.json").read_text())
        return {"metrics/r8.json": (clone / "metrics/r8.json").read_bytes(),
                "pretrain": {k: v for k, v in pretrained.items() if k != "train_seconds"}}

    before = results()
    output = dvc(clone, env, "repro", "--force", "evaluate@r8")
    assert {"download@reuters", "prepare@r8", "prepare@reuters_pool", "pretrain@reuters",
            "vocab@r8", "sequences@r8", "baseline@r8", "finetune@r8",
            "evaluate@r8"} <= ran_stages(output)
    assert results() == before
    timed = "metrics/pretrain/reuters.json"  # compared above, but for its wall time
    changed = git(clone, "status", "--porcelain", *(p for p in R8_RESULTS if p != timed))
    assert changed == ""
