"""`make exps`: a `dvc exp show` table that fits, from the JSON DVC prints."""

from rnnlab.report.exps import render, table


def revision(rev, name, units, rate, accuracy, perplexity, **extra):
    resolved = {"train": {"r8": {"units": units, "learning_rate": rate, "seed": 42}},
                "shared": {"ignored": 1}}
    return {"rev": rev, "name": name, "data": {
        "params": {"params.resolved.yaml": {"data": resolved},
                   "params.yaml": {"data": {"train": {"r8": {"extends": "reuters_train"}}}}},
        "metrics": {"metrics/r8.json": {"data": {"loss": 0.1, "accuracy": accuracy}},
                    "metrics/sonnets.json": {"data": {"perplexity": perplexity}},
                    "metrics/pretrain/x.json": {"data": {"accuracy": 0.5}}}}, **extra}


SHOW = [revision("workspace", None, 64, 0.001, 0.9735, 70.14),
        revision("0b87ec61847e", "main", 64, 0.001, 0.9735, 70.14, experiments=[
            {"revs": [revision("7d823c3226c6", "smaller", 32, 0.001, 0.9702, 70.14)]},
            {"revs": [revision("aa11bb22cc33", None, 64, 0.004, 0.9612, 71.5)]}])]


def test_rows_are_revisions_and_experiments_with_the_params_that_differ():
    grid = table(SHOW)
    assert grid[0] == ["experiment", "train.r8.learning_rate", "train.r8.units", "r8", "sonnets"]
    assert [row[0] for row in grid[1:]] == ["workspace", "main", "  smaller", "  aa11bb2"]
    assert grid[3] == ["  smaller", "0.001", "32", "0.9702", "70.14"]
    assert grid[4][1:3] == ["0.004", "64"]


def test_a_table_wider_than_the_terminal_is_transposed():
    grid = table(SHOW)
    wide = render(grid, 200).splitlines()
    assert len(wide) == 5 and max(map(len, wide)) <= 200
    narrow = render(grid, 30).splitlines()
    assert len(narrow) == 5 and narrow[0].split() == ["experiment", "workspace", "main",
                                                      "smaller", "aa11bb2"]
