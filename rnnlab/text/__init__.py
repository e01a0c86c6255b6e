"""Text to numbers: tokenize, vocabularies, sequences, splits, pretrained embeddings."""
