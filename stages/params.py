"""Check every entry of params.yaml, and write each one to data/params/<section>/<name>.json.

DVC re-reads the whole params file for every stage that lists `params:` (about 25 ms a time
here), which made a no-op `dvc repro` of the 70 stage entries take over 5 s. So no stage lists
it: this one depends on params.yaml as a file, and every other stage depends on its own entry's
file, which changes only when that entry's values do. `dvc params diff`, `dvc exp show` and
`dvc exp run -S train.imdb.units=128` work on params.yaml, DVC's default params file, as before.
"""

import sys

from rnnlab import paths
from rnnlab.config import load_all_params
from rnnlab.fileio import atomic_dir, write_json
from rnnlab.stage import run


def main(_: str) -> None:
    params = load_all_params()
    with atomic_dir(paths.STAGE_PARAMS) as tmp:
        for section, entries in params.items():
            for name, values in entries.items():
                write_json(tmp / section / f"{name}.json", values)
    entries = sum(len(e) for e in params.values())
    print(f"{entries} entries checked and written under {paths.STAGE_PARAMS}/", file=sys.stderr)


if __name__ == "__main__":
    run(main)
