"""Fit the classical peers (TF-IDF + linear, NBSVM) on a task's splits and keep the better on
validation; evaluate merges the scores into the metrics, combine mixes its decision scores."""

from rnnlab.core import paths
from rnnlab.core.files import read_table, save_npz, write_json
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.classify.baseline import fit_baselines
from rnnlab.tasks.classify.params import BaselineParams


def main(task: str) -> None:
    params = load_entry("baseline", task, BaselineParams)
    table = read_table(paths.prepared(task), columns=["text", "label", "label_name", "split"])
    result, scores = fit_baselines(table, params)
    write_json(paths.baseline(task), result)
    save_npz(paths.baseline_scores(task), **scores)
    print(f"{task}: {result}")


if __name__ == "__main__":
    run(main)
