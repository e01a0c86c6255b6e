"""Align GloVe vectors to a task's vocabulary; record the share of the vocabulary found."""

from rnnlab.core import paths
from rnnlab.core.files import save_npz, write_json
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.corpora.download import DownloadParams
from rnnlab.text.embeddings import EmbeddingsParams, glove_file, glove_matrix
from rnnlab.text.vocab import Vocab


def main(task: str) -> None:
    params = load_entry("embeddings", task, EmbeddingsParams)
    dim = load_entry("download", "glove", DownloadParams).dim
    vocab = Vocab.load(paths.vocab(task))
    matrix, coverage = glove_matrix(glove_file(paths.raw("glove"), dim), vocab, dim,
                                    params.missing, params.seed or 0)
    save_npz(paths.embeddings(task), matrix=matrix)
    write_json(paths.METRICS / "glove" / f"{task}.json",
               {"glove_dim": dim, "vocab_size": len(vocab), "coverage": round(coverage, 6)})
    print(f"{task}: {coverage:.1%} of {len(vocab) - 2} vocabulary words found in GloVe {dim}d")


if __name__ == "__main__":
    run(main)
