"""Fetch one corpus into data/raw/<corpus>/, from its canonical URL or the offline mirror."""

from rnnlab import paths
from rnnlab.config import DownloadParams, load_params
from rnnlab.download import fetch_corpus
from rnnlab.stage import run


def main(corpus: str) -> None:
    params = load_params("download", corpus, DownloadParams)
    print(fetch_corpus(corpus, params, paths.raw(corpus), paths.downloads()))


if __name__ == "__main__":
    run(main)
