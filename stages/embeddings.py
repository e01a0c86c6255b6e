"""Align GloVe vectors to a task's vocabulary; record the share of the vocabulary found."""

from rnnlab import paths
from rnnlab.config import DownloadParams, EmbeddingsParams, load_params
from rnnlab.embeddings import glove_file, glove_matrix
from rnnlab.fileio import save_npz, write_json
from rnnlab.stage import run
from rnnlab.vocab import Vocab


def main(task: str) -> None:
    params = load_params("embeddings", task, EmbeddingsParams)
    dim = load_params("download", "glove", DownloadParams).dim
    vocab = Vocab.load(paths.vocab(task))
    matrix, coverage = glove_matrix(glove_file(paths.raw("glove"), dim), vocab, dim,
                                    params.missing, params.seed)
    save_npz(paths.embeddings(task), matrix=matrix)
    write_json(paths.METRICS / "glove" / f"{task}.json",
               {"glove_dim": dim, "vocab_size": len(vocab), "coverage": round(coverage, 6)})
    print(f"{task}: {coverage:.1%} of {len(vocab) - 2} vocabulary words found in GloVe {dim}d")


if __name__ == "__main__":
    run(main)
