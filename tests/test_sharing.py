"""Team sharing and experiments: the DVC remote, run-cache, metrics diff, `dvc exp run`.

One temporary repository ("origin") runs the tiny `r8` chain (`dvc repro evaluate@r8`), runs an
experiment on top and commits it, pushes to a remote folder inside the test's temporary folder,
and a `git clone` of it pulls everything back without re-running a stage.
"""

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from tinyrepo import DVC, dvc, git, make_tiny_repo, ran_stages

# Tracked results that a stage of the r8 chain writes (cache: false, kept in git).
R8_RESULTS = ["metrics/r8.json", "metrics/samples/r8.md", "metrics/pretrain/reuters.json",
              "plots/pretrain/reuters",
              "plots/train/r8", "plots/eval/r8"]


def test_default_remote_is_a_folder_beside_the_repository():
    result = subprocess.run([DVC, "remote", "list", "--project"], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    name, url, default = result.stdout.split()
    assert (name, default) == ("local", "(default)")
    assert Path(url) == ROOT.parent / "rnnlab-remote"


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    return tmp_path_factory.mktemp("remote")


def use_remote(repo: Path, env: dict, remote: Path) -> None:
    """Point the default remote at `remote` in .dvc/config.local, as a user would."""
    dvc(repo, env, "remote", "modify", "--local", "local", "url", str(remote))


def commit(repo: Path, message: str, *paths: str) -> None:
    git(repo, "add", *paths)
    git(repo, "commit", "-qm", message)


@pytest.fixture(scope="module")
def origin(tmp_path_factory, env, remote):
    """A tiny repository where the r8 chain ran and was committed."""
    repo = make_tiny_repo(tmp_path_factory.mktemp("origin"))
    use_remote(repo, env, remote)
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
    assert loss["old"] == json.loads(
        subprocess.run(["git", "show", "HEAD~1:metrics/r8.json"], cwd=origin, check=True,
                       capture_output=True, text=True).stdout)["loss"]
    params = json.loads(dvc(origin, env, "params", "diff", "HEAD~1", "--json"))["params.yaml"]
    assert params["finetune.r8.batch_size"] == {"old": 16, "new": 8, "diff": -8}
    assert params["baseline.r8.ngram_max"] == {"old": 2, "new": 1, "diff": -1}


@pytest.fixture(scope="module")
def clone(origin, experiment, env, remote, tmp_path_factory):
    """`dvc push --run-cache` from origin, then a fresh `git clone` that `dvc pull`s."""
    dvc(origin, env, "push", "--run-cache")
    repo = tmp_path_factory.mktemp("clone") / "rnnlab"
    subprocess.run(["git", "clone", "-q", str(origin), str(repo)], check=True)
    git(repo, "config", "user.name", "t")
    git(repo, "config", "user.email", "t@t")
    use_remote(repo, env, remote)
    # only the r8 chain ran: its outputs (and their inputs' outputs) are all that was pushed
    dvc(repo, env, "pull", "--run-cache", "--with-deps", "evaluate@r8")
    return repo


@pytest.mark.e2e
def test_fresh_clone_pulls_every_output_and_runs_nothing(clone, env):
    lock = yaml.safe_load((clone / "dvc.lock").read_text())["stages"]
    outs = [out["path"] for stage in lock.values() for out in stage["outs"]]
    assert {"models/r8", "data/sequences/r8.npz", "models/pretrain/reuters"} <= set(outs)
    assert [path for path in outs if not (clone / path).exists()] == []
    assert (clone / "models" / "r8" / "model.keras").is_file()
    assert dvc(clone, env, "status", "evaluate@r8").strip() == "Data and pipelines are up to date."
    output = dvc(clone, env, "repro", "evaluate@r8")
    assert ran_stages(output) == set() and "is cached" not in output, output


@pytest.mark.e2e
def test_run_cache_restores_an_earlier_run_in_the_clone(clone, env):
    """The clone never ran the bigram baseline of the first commit: the run-cache has it."""
    assert list((clone / ".dvc" / "cache" / "runs").rglob("*"))
    params = yaml.safe_load((clone / "params.yaml").read_text())
    params["baseline"]["r8"]["ngram_max"] = 2
    (clone / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    output = dvc(clone, env, "repro", "baseline@r8")
    # params.yaml as a whole (units 6, bigrams) is new, so `params` runs; baseline@r8's own entry
    # is the first commit's again, and the run-cache has that run
    assert ran_stages(output) == {"params"}, output
    assert "Stage 'baseline@r8' is cached - skipping run" in output
    first = yaml.safe_load(subprocess.run(["git", "show", "HEAD~1:dvc.lock"], cwd=clone,
                                          check=True, capture_output=True, text=True).stdout)
    md5 = first["stages"]["baseline@r8"]["outs"][0]["md5"]
    assert yaml.safe_load((clone / "dvc.lock").read_text())["stages"]["baseline@r8"]["outs"][0][
        "md5"] == md5
    git(clone, "checkout", "--", "params.yaml", "dvc.lock")
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
    changed = subprocess.run(["git", "status", "--porcelain",
                              *(p for p in R8_RESULTS if p != timed)], cwd=clone, check=True,
                             capture_output=True, text=True).stdout
    assert changed == ""
