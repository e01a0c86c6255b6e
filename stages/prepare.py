"""Parse a raw corpus into a tidy table (text, label, split) at data/prepared/<task>.parquet."""

from rnnlab import paths
from rnnlab.config import PrepareParams, load_params
from rnnlab.fileio import atomic_path
from rnnlab.imdb import prepare_imdb
from rnnlab.por_eng import prepare_por_eng
from rnnlab.reuters import prepare_reuters
from rnnlab.shakespeare import prepare_shakespeare
from rnnlab.sheldon import prepare_sheldon
from rnnlab.sonnets import prepare_sonnets
from rnnlab.stage import run

PREPARERS = {  # by corpus
    "imdb": prepare_imdb,
    "reuters": prepare_reuters,
    "sonnets": prepare_sonnets,
    "shakespeare": prepare_shakespeare,
    "sheldon": prepare_sheldon,
    "por_eng": prepare_por_eng,
}


def main(task: str) -> None:
    params = load_params("prepare", task, PrepareParams)
    if params.corpus not in PREPARERS:
        raise ValueError(f"params.yaml: prepare.{task}.corpus: no preparer for "
                         f"{params.corpus!r} (known: {', '.join(PREPARERS)})")
    table = PREPARERS[params.corpus](paths.raw(params.corpus), params)
    with atomic_path(paths.prepared(task)) as tmp:
        table.to_parquet(tmp, index=False)
    print(f"{task}: {table['split'].value_counts().sort_index().to_dict()}")


if __name__ == "__main__":
    run(main)
