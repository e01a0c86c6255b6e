"""rnnlab: recurrent language models in Keras, run as a DVC pipeline.

Layers, lowest first; a module imports only from its own layer or a lower one:
`core` (params schema, files, paths, stage runner, model folders) <- `text` (tokenize, vocab,
sequences, splits, embeddings) <- `corpora` (one reader per corpus, downloads) and `tasks`
(`classify`, `lm`, `translate`; tasks never import a corpus) <- `report`, `sections`, `cli`.
"""
