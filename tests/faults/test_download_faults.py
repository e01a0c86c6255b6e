"""Faults in the mirror and the downloads: a missing or damaged SHA256SUMS, files that fail it,
archives that are truncated, corrupt, empty or of the wrong format, members that would leave the
output folder or are links or devices, a folder where a file belongs, and canonical downloads
that break off. Each is a `DownloadError` naming the file, and the output folder is left as it
was (here: holding an older corpus), with no temporary files beside it.

Cases already in tests/test_download.py (a mirror file's checksum mismatch, a file SHA256SUMS
lacks, `..` and absolute tar members, a symlink to /etc/passwd, a truncated .tar.gz read
directly, an unpacked member's checksum) are not repeated.
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
import zipfile
from pathlib import Path

import pytest
from fakedata import write_sha256sums
from faultkit import leftovers, snapshot

from rnnlab.core.errors import DownloadError
from rnnlab.corpora import download
from rnnlab.corpora.download import DownloadParams, fetch_corpus, safe_extract_zip

PAYLOAD = b"".join(b"line %d of a corpus\n" % i for i in range(4000))  # ~80 kB


def params(**overrides) -> DownloadParams:
    base = dict(url=None, sha256=None, unpack="file", mirror="data.txt", mirror_unpack="file",
                expect=["data.txt"])
    return DownloadParams(**(base | overrides))


@pytest.fixture
def mirror(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "mirror"
    folder.mkdir()
    monkeypatch.setenv("RNNLAB_MIRROR", str(folder))
    return folder


@pytest.fixture
def out(tmp_path) -> Path:
    """data/raw/<corpus>/ as an earlier, good fetch left it."""
    folder = tmp_path / "raw" / "corpus"
    folder.mkdir(parents=True)
    (folder / "data.txt").write_text("the corpus an earlier fetch wrote\n")
    return folder


def refused(p: DownloadParams, out: Path, match: str, work: Path | None = None) -> str:
    """Fetch, expecting a one-line DownloadError matching `match`; the output is unchanged."""
    before = snapshot(out)
    work = work or out.parent.parent / "downloads"
    with pytest.raises(DownloadError) as err:
        fetch_corpus("corpus", p, out, work)
    message = str(err.value).splitlines()[0]  # what the stage runner prints
    assert re.search(match, message), message
    assert snapshot(out) == before
    assert leftovers(out.parent) == [] and leftovers(work) == []
    return message


def mirrored(mirror: Path, name: str, data: bytes) -> Path:
    (mirror / name).write_bytes(data)
    write_sha256sums(mirror)
    return mirror / name


def tar_bytes(members: list[tuple[str, bytes]], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


# ------------------------------------------------------------------ the mirror and SHA256SUMS


@pytest.mark.parametrize("kind", ["missing", "a-file"])
def test_a_mirror_variable_that_is_not_a_folder_is_named(tmp_path, monkeypatch, out, kind):
    target = tmp_path / "no-mirror"
    if kind == "a-file":
        target.write_text("not a folder")
    monkeypatch.setenv("RNNLAB_MIRROR", str(target))
    refused(params(), out, rf"^RNNLAB_MIRROR={target}: not a folder$")


@pytest.mark.parametrize("kind", ["missing", "a-folder"])
def test_a_mirror_without_sha256sums_is_refused(mirror, out, kind):
    (mirror / "data.txt").write_bytes(PAYLOAD)
    if kind == "a-folder":
        (mirror / "SHA256SUMS").mkdir()
    refused(params(), out, rf"^{mirror / 'SHA256SUMS'}: missing \(every mirror lists its "
                           r"files' sha256 there\)$")


@pytest.mark.parametrize("line, number", [
    ("0123abcd  data.txt", 1),  # a hash too short
    ("{good}", 2),  # no file name
    ("{good}data.txt", 2),  # no space between
], ids=["short-hash", "hash-only", "no-separator"])
def test_a_malformed_sha256sums_line_is_named_by_its_number(mirror, out, line, number):
    mirrored(mirror, "data.txt", PAYLOAD)
    good = (mirror / "SHA256SUMS").read_text().split()[0]
    first = "" if number == 1 else (mirror / "SHA256SUMS").read_text()
    (mirror / "SHA256SUMS").write_text(first + line.format(good=good) + "\n")
    refused(params(), out, rf"^{mirror / 'SHA256SUMS'}:{number}: expected '<sha256>  <file>'$")


def test_a_non_utf8_sha256sums_is_one_line(mirror, out):
    mirrored(mirror, "data.txt", PAYLOAD)
    (mirror / "SHA256SUMS").write_bytes((mirror / "SHA256SUMS").read_bytes() + b"\xff\xfe  x\n")
    refused(params(), out, rf"^{mirror / 'SHA256SUMS'}:2: .*UTF-8")


def test_upper_case_hashes_and_binary_markers_are_accepted(mirror, out):
    """Documented: `sha256sum -b` output (`*name`) and upper-case digests both verify."""
    mirrored(mirror, "data.txt", PAYLOAD)
    digest, name = (mirror / "SHA256SUMS").read_text().split()
    (mirror / "SHA256SUMS").write_text(f"\n{digest.upper()} *{name}\n\n")
    fetch_corpus("corpus", params(), out, out.parent.parent / "downloads")
    assert (out / "data.txt").read_bytes() == PAYLOAD


def anki_mirror(mirror: Path) -> Path:
    folder = mirror / "anki"
    folder.mkdir()
    for split in ("train", "val", "test"):
        (folder / f"{split}.pt").write_text("o gato\na casa\n")
        (folder / f"{split}.en").write_text("the cat\nthe house\n")
    write_sha256sums(mirror)
    return folder


ANKI = dict(mirror="anki", mirror_unpack="anki_split", expect=["por.txt"])


def test_a_tampered_file_inside_a_mirrored_folder_is_named(mirror, out):
    folder = anki_mirror(mirror)
    (folder / "val.en").write_text("the dog\nthe house\n")
    refused(params(**ANKI), out, rf"^{folder / 'val.en'}: sha256 is [0-9a-f]{{64}}, expected "
                                 r"[0-9a-f]{64}$")


def test_an_extra_file_inside_a_mirrored_folder_needs_a_checksum(mirror, out):
    folder = anki_mirror(mirror)
    (folder / "notes.txt").write_text("added after the sums were written\n")
    refused(params(**ANKI), out, rf"^{mirror / 'SHA256SUMS'}: no checksum for anki/notes.txt$")


def test_anki_splits_of_different_lengths_are_refused(mirror, out):
    folder = mirror / "anki"
    anki_mirror(mirror)
    (folder / "test.en").write_text("the cat\n")
    write_sha256sums(mirror)
    refused(params(**ANKI), out, rf"^{folder / 'test.pt'}: 2 lines, but {folder / 'test.en'} "
                                 r"has 1$")


def test_an_anki_mirror_missing_a_split_names_it(mirror, out):
    folder = anki_mirror(mirror)
    (folder / "val.en").unlink()
    write_sha256sums(mirror)
    refused(params(**ANKI), out, rf"{folder / 'val.en'}: missing")


def test_an_anki_split_that_is_not_utf8_is_named(mirror, out):
    folder = anki_mirror(mirror)
    (folder / "train.pt").write_bytes(b"o gato\n\xff\xfe\n")
    write_sha256sums(mirror)
    refused(params(**ANKI), out, rf"{folder / 'train.pt'}: .*UTF-8")


# ------------------------------------------------------------------ wrong, empty, damaged files


TEXT = b"<html>404: this is an error page, not an archive</html>\n"


@pytest.mark.parametrize("how, data, match", [
    ("tar", TEXT, "truncated or corrupt archive"),
    ("gzip", TEXT, r"truncated or corrupt gzip file \(Not a gzipped file"),
    ("zip", TEXT, r"truncated or corrupt archive \(File is not a zip file\)"),
    ("tar", b"", "truncated or corrupt archive"),
    ("zip", b"", r"truncated or corrupt archive \(File is not a zip file\)"),
    ("tar", tar_bytes([("data.txt", PAYLOAD)])[:5000], "truncated or corrupt archive"),
    ("gzip", gzip.compress(PAYLOAD)[:-20], r"truncated or corrupt gzip file \(Compressed file "
                                           r"ended before the end-of-stream marker"),
    ("zip", zip_bytes([("data.txt", PAYLOAD)])[:-30], "truncated or corrupt archive"),
    ("tar", tar_bytes([("data.txt", PAYLOAD)], "w")[:3000], r"truncated or corrupt archive "
                                                            r"\(unexpected end of data\)"),
], ids=["text-as-tar", "text-as-gzip", "text-as-zip", "empty-tar", "empty-zip",
        "truncated-tar-gz", "truncated-gzip", "truncated-zip", "truncated-plain-tar"])
def test_an_archive_that_cannot_be_read_is_refused(mirror, out, how, data, match):
    source = mirrored(mirror, "corpus.bin", data)
    refused(params(mirror="corpus.bin", mirror_unpack=how), out, rf"^{source}: {match}")


def test_a_gzip_whose_checksum_fails_is_refused(mirror, out):
    data = bytearray(gzip.compress(PAYLOAD, mtime=0))
    data[-8] ^= 0xFF  # the CRC-32 in the trailer
    source = mirrored(mirror, "corpus.gz", bytes(data))
    refused(params(mirror="corpus.gz", mirror_unpack="gzip"), out,
            rf"^{source}: truncated or corrupt gzip file \(CRC check failed")


def test_a_zip_member_whose_crc_fails_is_refused(mirror, out):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("data.txt", PAYLOAD)
    data = bytearray(buffer.getvalue())
    data[200] ^= 0xFF  # inside the stored member
    source = mirrored(mirror, "corpus.zip", bytes(data))
    refused(params(mirror="corpus.zip", mirror_unpack="zip"), out,
            rf"^{source}: truncated or corrupt archive \(Bad CRC-32 for file 'data.txt'\)$")


def flipped(data: bytes, at: float) -> bytes:
    damaged = bytearray(data)
    damaged[int(len(damaged) * at)] ^= 0xFF
    return bytes(damaged)


@pytest.mark.parametrize("how, data", [
    ("gzip", flipped(gzip.compress(PAYLOAD, mtime=0), 0.2)),
    ("tar", flipped(tar_bytes([("data.txt", PAYLOAD)]), 0.2)),
    ("zip", flipped(zip_bytes([("data.txt", PAYLOAD)]), 0.2)),
], ids=["gzip", "tar-gz", "zip-deflated"])
def test_damaged_compressed_data_is_one_line(mirror, out, how, data):
    source = mirrored(mirror, "corpus.bin", data)
    refused(params(mirror="corpus.bin", mirror_unpack=how), out, rf"^{source}: truncated or "
                                                                 r"corrupt")


def test_an_empty_gzip_is_refused(mirror, out):
    source = mirrored(mirror, "corpus.gz", b"")
    refused(params(mirror="corpus.gz", mirror_unpack="gzip"), out, rf"^{source}: ")


def test_an_archive_without_the_expected_file_is_refused(mirror, out):
    source = mirrored(mirror, "corpus.tar.gz", tar_bytes([("README", b"no corpus here\n")]))
    refused(params(mirror="corpus.tar.gz", mirror_unpack="tar", expect=["data.txt"]), out,
            rf"^{source}: unpacked, but data.txt is missing$")


def test_an_empty_file_is_copied_as_the_checksums_vouch(mirror, out):
    """Documented: a `file` corpus is copied as SHA256SUMS lists it; judging its text is the
    prepare stage's work (see test_corpus_faults.py)."""
    mirrored(mirror, "data.txt", b"")
    fetch_corpus("corpus", params(), out, out.parent.parent / "downloads")
    assert (out / "data.txt").read_bytes() == b""


def test_a_folder_where_a_mirror_file_belongs_is_refused(mirror, out):
    (mirror / "data.txt").mkdir()
    (mirror / "data.txt" / "part").write_bytes(PAYLOAD)
    write_sha256sums(mirror)
    refused(params(), out, rf"^{mirror / 'data.txt'}: .*folder")


def test_a_file_where_a_mirror_folder_belongs_is_refused(mirror, out):
    source = mirrored(mirror, "anki", PAYLOAD)
    refused(params(**ANKI), out, rf"^{source}: .*folder")


# ------------------------------------------------------------------ members


def special_tar(name: str, kind: bytes, linkname: str = "") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind, linkname
        tar.addfile(info)
    return buffer.getvalue()


@pytest.mark.parametrize("data, match", [
    (tar_bytes([("./../evil.txt", b"x")]), r"unsafe member path './../evil.txt'"),
    (tar_bytes([("a/./../../evil.txt", b"x")]), r"unsafe member path 'a/./../../evil.txt'"),
    (tar_bytes([("top/../../evil.txt", b"x")]), r"unsafe member path 'top/../../evil.txt'"),
    (tar_bytes([("ok.txt", b"x"), ("//evil.txt", b"x")]), r"unsafe member path '//evil.txt'"),
    (special_tar("data.txt", tarfile.LNKTYPE, "../outside"), "refusing link member 'data.txt'"),
    (special_tar("data.txt", tarfile.SYMTYPE, "other.txt"), "refusing link member 'data.txt'"),
    (special_tar("data.txt", tarfile.CHRTYPE), "refusing special member 'data.txt'"),
    (special_tar("data.txt", tarfile.BLKTYPE), "refusing special member 'data.txt'"),
    (special_tar("data.txt", tarfile.FIFOTYPE), "refusing special member 'data.txt'"),
], ids=["dot-then-dotdot", "dotdot-after-a-dot", "dotdot-past-the-stripped-folder",
        "double-slash", "hardlink", "symlink-inside", "char-device", "block-device", "fifo"])
def test_an_unsafe_tar_member_is_refused_and_nothing_is_written(mirror, out, tmp_path, data,
                                                                match):
    source = mirrored(mirror, "corpus.tar.gz", data)
    refused(params(mirror="corpus.tar.gz", mirror_unpack="tar", strip="top"), out,
            rf"^{source}: {match}( \(absolute or '..'\))?$")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "raw" / "evil.txt").exists()


@pytest.mark.parametrize("name", ["/etc/evil.txt", "a/../../evil.txt", "\\evil.txt"],
                         ids=["absolute", "dotdot", "backslash-root"])
def test_an_unsafe_zip_member_is_refused(mirror, out, tmp_path, name):
    source = mirrored(mirror, "corpus.zip", zip_bytes([("data.txt", b"x"), (name, b"evil")]))
    refused(params(mirror="corpus.zip", mirror_unpack="zip"), out,
            rf"^{source}: unsafe member path {re.escape(repr(name))} \(absolute or '..'\)$")
    assert not (tmp_path / "evil.txt").exists()


def test_a_zip_symlink_member_is_written_as_a_plain_file(tmp_path):
    """Documented (zip members are files): a symlink entry becomes a file holding the link's
    text, never a link that later writes could follow."""
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        info = zipfile.ZipInfo("data.txt")
        info.external_attr = 0o120777 << 16  # S_IFLNK
        zipped.writestr(info, "/etc/passwd")
    safe_extract_zip(archive, tmp_path / "dest")
    member = tmp_path / "dest" / "data.txt"
    assert not member.is_symlink() and member.read_text() == "/etc/passwd"


def test_a_member_below_a_file_member_is_one_line(mirror, out):
    source = mirrored(mirror, "corpus.tar.gz", tar_bytes([("data.txt", b"x"),
                                                          ("data.txt/inner", b"y")]))
    refused(params(mirror="corpus.tar.gz", mirror_unpack="tar"), out,
            rf"^{source}: truncated or corrupt archive \(\[Errno \d+\] ")


# ------------------------------------------------------------------ canonical downloads


class FakeResponse:
    """What `requests.get(..., stream=True)` returns: `chunks`, then `fail` if set."""

    def __init__(self, chunks: list[bytes], fail: Exception | None = None, status: int = 200):
        self.chunks, self.fail, self.status = chunks, fail, status
        self.headers = {"content-length": str(sum(map(len, chunks)) * 2)}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def raise_for_status(self):
        if self.status >= 400:
            import requests

            raise requests.HTTPError(f"{self.status} Client Error")

    def iter_content(self, size):
        yield from self.chunks
        if self.fail is not None:
            raise self.fail


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """An empty mirror (so the canonical URL is used), no sleeping between retries, and a
    `requests.get` that answers with the responses the test queues."""
    import requests

    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    (empty / "SHA256SUMS").write_text("")
    monkeypatch.setenv("RNNLAB_MIRROR", str(empty))
    monkeypatch.setattr(download.time, "sleep", lambda _: None)
    queue: list[FakeResponse] = []
    calls: list[str] = []

    def get(url, **_):
        calls.append(url)
        return queue.pop(0) if queue else FakeResponse([], requests.ConnectionError("refused"))

    monkeypatch.setattr(requests, "get", get)
    return queue, calls


URL = "https://example.org/corpus/data.txt"


def test_a_download_that_breaks_off_leaves_no_partial_file(offline, out, tmp_path):
    import requests

    queue, calls = offline
    queue.extend(FakeResponse([PAYLOAD[:1000]], requests.ConnectionError("reset by peer"))
                 for _ in range(3))
    work = tmp_path / "downloads"
    message = refused(params(url=URL), out, rf"^corpus: {URL}: download failed after 3 tries "
                                            r"\(reset by peer\)", work)
    assert "set RNNLAB_MIRROR to a folder holding data.txt" in message
    assert len(calls) == 3 and snapshot(work) == {}


def test_a_download_with_the_wrong_sha256_is_not_kept(offline, out, tmp_path):
    queue, calls = offline
    queue.append(FakeResponse([PAYLOAD]))
    work = tmp_path / "downloads"
    refused(params(url=URL, sha256="0" * 64), out,
            r"^corpus: .*data\.txt\.[^ ]*\.tmp: sha256 is [0-9a-f]{64}, expected 0{64}", work)
    assert len(calls) == 1  # a checksum failure is not retried
    assert snapshot(work) == {}


def test_an_http_error_is_retried_then_named(offline, out, tmp_path):
    queue, calls = offline
    queue.extend(FakeResponse([], status=404) for _ in range(3))
    refused(params(url=URL), out, rf"^corpus: {URL}: download failed after 3 tries \(404 "
                                  r"Client Error\)", tmp_path / "downloads")
    assert calls == [URL] * 3


def test_a_damaged_archive_left_in_downloads_is_fetched_again(offline, out, tmp_path):
    """Documented: a kept download is reused only if it matches its sha256."""
    import hashlib

    queue, calls = offline
    work = tmp_path / "downloads"
    work.mkdir()
    (work / "data.txt").write_bytes(PAYLOAD[:100])  # an earlier, interrupted run's file
    queue.append(FakeResponse([PAYLOAD]))
    fetch_corpus("corpus", params(url=URL, sha256=hashlib.sha256(PAYLOAD).hexdigest()), out,
                 work)
    assert calls == [URL] and (out / "data.txt").read_bytes() == PAYLOAD
    assert (work / "data.txt").read_bytes() == PAYLOAD and leftovers(work) == []


def test_a_downloaded_archive_that_is_truncated_is_refused(offline, out, tmp_path):
    """No published sha256 (as for Reuters): the damage shows when unpacking."""
    queue, _ = offline
    queue.append(FakeResponse([tar_bytes([("data.txt", PAYLOAD)])[:4000]]))
    url = "https://example.org/corpus.tar.gz"
    work = tmp_path / "downloads"
    refused(params(url=url, unpack="tar"), out,
            rf"^{work / 'corpus.tar.gz'}: truncated or corrupt archive", work)


def test_a_downloaded_tar_gz_with_corrupt_data_is_refused(offline, out, tmp_path):
    queue, _ = offline
    good = tar_bytes([("data.txt", PAYLOAD)])
    queue.append(FakeResponse([flipped(good, 0.6)]))
    url = "https://example.org/corpus.tar.gz"
    work = tmp_path / "downloads"
    refused(params(url=url, unpack="tar"), out, rf"^{work / 'corpus.tar.gz'}: ", work)
