"""Fetch one corpus into data/raw/<corpus>/, from its canonical URL or the offline mirror."""

from rnnlab.core import paths
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.corpora.download import DownloadParams, fetch_corpus


def main(corpus: str) -> None:
    params = load_entry("download", corpus, DownloadParams)
    print(fetch_corpus(corpus, params, paths.raw(corpus), paths.downloads()))


if __name__ == "__main__":
    run(main)
