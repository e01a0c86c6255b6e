"""The project's own exception types: bad input, shown to a user as one line.

The stage runner and the CLI catch only these; any other exception is a bug and keeps its
traceback, so a bug is never disguised as a configuration error.
"""

from __future__ import annotations


class RnnlabError(Exception):
    """Bad input a user can fix: params, data files, downloads, command-line arguments."""


class ParamsError(RnnlabError, ValueError):
    """A params.yaml entry that does not match its schema."""


class DataError(RnnlabError, ValueError):
    """An input file (corpus, table, vocabulary, model folder) that is missing or malformed."""


class DownloadError(RnnlabError, RuntimeError):
    """A corpus that could not be fetched or failed its checksum."""


class UsageError(RnnlabError, ValueError):
    """Bad input from the command line."""
