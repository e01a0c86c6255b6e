"""A task's pretrained vectors, one row per vocabulary token: GloVe, word2vec learned here from
the task's own text, or both; record the share of the vocabulary each one covers."""

import numpy as np

from rnnlab.core import paths
from rnnlab.core.files import read_table, save_npz, write_json
from rnnlab.core.params import load_entry
from rnnlab.core.stage import run
from rnnlab.corpora.download import DownloadParams
from rnnlab.text.embeddings import EmbeddingsParams, glove_file, glove_matrix
from rnnlab.text.vocab import Vocab
from rnnlab.text.word2vec import pool_sentences, train_word2vec, word2vec_matrix


def main(task: str) -> None:
    params = load_entry("embeddings", task, EmbeddingsParams)
    vocab = Vocab.load(paths.vocab(task))
    seed = params.seed or 0
    blocks, record = [], {"vocab_size": len(vocab)}
    if "glove" in params.vectors:
        dim = load_entry("download", "glove", DownloadParams).dim
        matrix, coverage = glove_matrix(glove_file(paths.raw("glove"), dim), vocab, dim,
                                        params.missing, seed)
        blocks.append(matrix)
        record |= {"glove_dim": dim, "coverage": round(coverage, 6)}
        print(f"{task}: {coverage:.1%} of {len(vocab) - 2} vocabulary words found in GloVe {dim}d")
    if "word2vec" in params.vectors:
        table = read_table(paths.prepared(params.pool), columns=["text", "split"])
        texts = table.loc[table["split"].isin(params.word2vec_splits), "text"]
        sentences = pool_sentences(texts, vocab)
        vectors = train_word2vec(sentences, params.word2vec_dim, params.word2vec_window,
                                 params.word2vec_epochs, params.word2vec_min_count,
                                 params.word2vec_skip_gram, seed)
        matrix, coverage = word2vec_matrix(vectors, vocab, params.word2vec_dim, params.missing,
                                           seed)
        blocks.append(matrix)
        record |= {"word2vec_dim": params.word2vec_dim, "word2vec_words": len(vectors),
                   "word2vec_pool_texts": len(sentences),
                   "word2vec_coverage": round(coverage, 6)}
        print(f"{task}: word2vec {params.word2vec_dim}d from {len(sentences)} texts of "
              f"{params.pool}: {coverage:.1%} of the vocabulary words")
    save_npz(paths.embeddings(task), matrix=np.concatenate(blocks, axis=1))
    write_json(paths.METRICS / "glove" / f"{task}.json", record)


if __name__ == "__main__":
    run(main)
