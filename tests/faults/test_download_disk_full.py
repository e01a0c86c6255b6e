"""A full disk (or a quota, or a read-only file system) while a corpus is fetched or unpacked is
reported as that, naming the folder or file being written: not as a corrupt archive, and not
retried as a network error (rnnlab/corpora/download.py, rnnlab/core/files.py). The output folder
keeps the corpus an earlier fetch wrote, and no temporary file is left."""
# ruff: noqa: F811 (the fixtures of test_download_faults, imported, are the tests' arguments)

from __future__ import annotations

import errno
import gzip
import os
from pathlib import Path

import pytest
from faultkit import leftovers, snapshot
from test_download_faults import (  # noqa: F401 (fixtures among them)
    ANKI,
    PAYLOAD,
    URL,
    FakeResponse,
    anki_mirror,
    mirror,
    mirrored,
    offline,
    out,
    params,
    tar_bytes,
    zip_bytes,
)

from rnnlab.core.errors import DownloadError
from rnnlab.core.files import WriteError
from rnnlab.corpora import download
from rnnlab.corpora.download import DownloadParams, fetch_corpus

REASONS = {"ENOSPC": "no space left on the disk", "EDQUOT": "disk quota exceeded",
           "EROFS": "read-only file system"}


def refuse(code: str):
    def fail(*_args, **_kwargs):
        raise OSError(getattr(errno, code), os.strerror(getattr(errno, code)))
    return fail


def full_disk(p: DownloadParams, target: Path, out: Path, work: Path, code: str) -> str:
    """Fetch, expecting a one-line WriteError naming `target` with `code`'s reason (never a
    DownloadError); the output is unchanged and nothing temporary is left."""
    before = snapshot(out)
    with pytest.raises(WriteError) as raised:
        fetch_corpus("corpus", p, out, work)
    assert not isinstance(raised.value, DownloadError)
    message = str(raised.value)
    assert "\n" not in message and "corrupt" not in message
    assert message.startswith(f"{target}: could not be written: {REASONS[code]}"), message
    assert snapshot(out) == before
    assert leftovers(out.parent) == [] and leftovers(work) == []
    return message


MIRRORED = {  # how the mirror file is unpacked: its data, and the call that writes it out
    "file": (PAYLOAD, "shutil.copyfile"),
    "gzip": (gzip.compress(PAYLOAD), "shutil.copyfileobj"),
    "tar": (tar_bytes([("data.txt", PAYLOAD)]), "shutil.copyfileobj"),
    "zip": (zip_bytes([("data.txt", PAYLOAD)]), "shutil.copyfileobj"),
    "anki_split": (None, "pathlib.Path.write_text"),
}
CASES = [(how, code) for how in MIRRORED for code in REASONS]


@pytest.mark.parametrize("how, code", CASES, ids=[f"{h}-{c}" for h, c in CASES])
def test_a_full_disk_while_unpacking_is_not_a_corrupt_archive(mirror, out, tmp_path,
                                                             monkeypatch, how, code):
    data, writer = MIRRORED[how]
    if how == "anki_split":
        anki_mirror(mirror)
        fetch = params(**ANKI)
    else:
        mirrored(mirror, "corpus.bin", data)
        fetch = params(mirror="corpus.bin", mirror_unpack=how)
    monkeypatch.setattr(writer, refuse(code))
    try:
        full_disk(fetch, out, out, tmp_path / "downloads", code)
    finally:
        monkeypatch.undo()


class FullFile:
    """A file being written on a full disk: every write fails."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, _data):
        refuse(self.code)()

    def close(self):
        pass


@pytest.mark.parametrize("code", REASONS)
def test_a_full_disk_while_downloading_is_named_and_not_retried(offline, out, tmp_path,
                                                                monkeypatch, code):
    queue, calls = offline
    queue.extend(FakeResponse([PAYLOAD]) for _ in range(3))
    monkeypatch.setattr(download, "open", lambda *_a, **_k: FullFile(code), raising=False)
    work = tmp_path / "downloads"
    message = full_disk(params(url=URL), work / "data.txt", out, work, code)
    assert len(calls) == 1 and "download failed" not in message


def test_a_damaged_archive_is_still_a_corrupt_archive(mirror, out, tmp_path):
    """The other side: an OSError that is not a refused write stays what it was."""
    source = mirrored(mirror, "corpus.bin", gzip.compress(PAYLOAD)[:-20])
    with pytest.raises(DownloadError, match=rf"^{source}: truncated or corrupt gzip file"):
        fetch_corpus("corpus", params(mirror="corpus.bin", mirror_unpack="gzip"), out,
                     tmp_path / "downloads")
    assert leftovers(out.parent) == []
