"""Check every entry of params.yaml; write each, resolved, to data/params/<section>/<name>.json,
and all of them to params.resolved.yaml.

DVC re-reads the whole params file for every stage that lists `params:` (about 25 ms a time
here), which made a no-op `dvc repro` of the 70 stage entries take over 5 s. So no stage lists
it: this one depends on params.yaml as a file and writes each entry with its defaults filled in;
every other stage reads and depends on its own entries' files, which change only when the values
it runs with do (a changed default too). `dvc exp run -S train.imdb.units=128` works on
params.yaml, DVC's default params file; params.resolved.yaml (git-tracked, dvc.yaml's top-level
`params`) holds every entry's values in effect, so `dvc params diff` and `dvc exp show` list
what an entry inherits from a shared block too.
"""

import sys

from rnnlab.core import paths
from rnnlab.core.files import atomic_dir, write_json, write_text
from rnnlab.core.params import resolved
from rnnlab.core.stage import run
from rnnlab.sections import RESOLVED_FILE, load_all_params, resolved_yaml


def main(_: str) -> None:
    params = load_all_params()
    with atomic_dir(paths.STAGE_PARAMS) as tmp:
        for section, entries in params.items():
            for name, entry in entries.items():
                write_json(tmp / section / f"{name}.json", resolved(entry))
    write_text(RESOLVED_FILE, resolved_yaml(params))
    entries = sum(len(e) for e in params.values())
    print(f"{entries} entries checked and written under {paths.STAGE_PARAMS}/ and to "
          f"{RESOLVED_FILE}", file=sys.stderr)


if __name__ == "__main__":
    run(main)
