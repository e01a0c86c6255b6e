"""Fit the TF-IDF + linear baseline on a task's splits; evaluate merges it into the metrics."""

import pandas as pd

from rnnlab import paths
from rnnlab.baseline import run_baseline
from rnnlab.config import BaselineParams, load_params
from rnnlab.fileio import write_json
from rnnlab.stage import run


def main(task: str) -> None:
    params = load_params("baseline", task, BaselineParams)
    table = pd.read_parquet(paths.prepared(task), columns=["text", "label", "split"])
    result = run_baseline(table, params)
    write_json(paths.baseline(task), result)
    print(f"{task}: {result}")


if __name__ == "__main__":
    run(main)
