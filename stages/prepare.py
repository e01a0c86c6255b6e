"""Parse a raw corpus into a tidy table (text, label, split) at data/prepared/<task>.parquet."""

from rnnlab.core import paths
from rnnlab.core.files import read_json, write_table
from rnnlab.core.params import from_mapping
from rnnlab.core.stage import run
from rnnlab.corpora.registry import CORPORA, prepare_schema


def main(task: str) -> None:
    path = paths.params_entry("prepare", task)
    values = read_json(path)
    where = f"{path}: prepare.{task}"
    params = from_mapping(prepare_schema(values, where), values, where)
    table = CORPORA[params.corpus].prepare(paths.raw(params.corpus), params)
    write_table(paths.prepared(task), table)
    print(f"{task}: {table['split'].value_counts().sort_index().to_dict()}")


if __name__ == "__main__":
    run(main)
