"""Parse a raw corpus into a tidy table (text, label, split) at data/prepared/<task>.parquet."""

from rnnlab import paths
from rnnlab.config import PrepareParams, load_params
from rnnlab.fileio import atomic_path
from rnnlab.imdb import prepare_imdb
from rnnlab.stage import run

PREPARERS = {"imdb": prepare_imdb}


def main(task: str) -> None:
    params = load_params("prepare", task, PrepareParams)
    if task not in PREPARERS:
        raise ValueError(f"no preparer for {task!r} (known: {', '.join(PREPARERS)})")
    table = PREPARERS[task](paths.raw(params.corpus), params.val_fraction, params.seed)
    with atomic_path(paths.prepared(task)) as tmp:
        table.to_parquet(tmp, index=False)
    print(f"{task}: {table['split'].value_counts().sort_index().to_dict()}")


if __name__ == "__main__":
    run(main)
