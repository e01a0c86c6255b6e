"""Check every entry of params.yaml; write each, resolved, to data/params/<section>/<name>.json.

DVC re-reads the whole params file for every stage that lists `params:` (about 25 ms a time
here), which made a no-op `dvc repro` of the 70 stage entries take over 5 s. So no stage lists
it: this one depends on params.yaml as a file and writes each entry with its defaults filled in;
every other stage reads and depends on its own entries' files, which change only when the values
it runs with do (a changed default too). `dvc params diff`, `dvc exp show` and
`dvc exp run -S train.imdb.units=128` work on params.yaml, DVC's default params file.
"""

import sys

from rnnlab.core import paths
from rnnlab.core.files import atomic_dir, write_json
from rnnlab.core.params import resolved
from rnnlab.core.stage import run
from rnnlab.sections import load_all_params


def main(_: str) -> None:
    params = load_all_params()
    with atomic_dir(paths.STAGE_PARAMS) as tmp:
        for section, entries in params.items():
            for name, entry in entries.items():
                write_json(tmp / section / f"{name}.json", resolved(entry))
    entries = sum(len(e) for e in params.values())
    print(f"{entries} entries checked and written under {paths.STAGE_PARAMS}/", file=sys.stderr)


if __name__ == "__main__":
    run(main)
