"""Fit the TF-IDF + linear baseline on a task's splits; evaluate merges it into the metrics."""

from rnnlab.core import paths
from rnnlab.core.files import read_table, write_json
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.tasks.classify.baseline import run_baseline
from rnnlab.tasks.classify.params import BaselineParams


def main(task: str) -> None:
    params = load_entry("baseline", task, BaselineParams)
    table = read_table(paths.prepared(task), columns=["text", "label", "split"])
    result = run_baseline(table, params)
    write_json(paths.baseline(task), result)
    print(f"{task}: {result}")


if __name__ == "__main__":
    run(main)
