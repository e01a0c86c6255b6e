"""One reader per corpus (`registry.CORPORA` names them) and the download of raw files."""
