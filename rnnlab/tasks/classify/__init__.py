"""Text classification: sentiment (IMDB) and topics (Reuters R8, R52, reuters46)."""
