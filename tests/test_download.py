import dataclasses
import io
import tarfile
import zipfile

import pytest
from conftest import ROOT
from fakedata import make_mirror, write_sha256sums

from rnnlab.core.errors import DownloadError
from rnnlab.corpora.download import (
    DownloadParams,
    fetch_corpus,
    safe_extract_tar,
    safe_extract_zip,
    sha256_file,
)
from rnnlab.sections import load_all_params


def real_download_params() -> dict[str, DownloadParams]:
    """The `download` entries of the real params.yaml, checked as the params stage checks them."""
    return load_all_params(ROOT / "params.yaml")["download"]


def params(**overrides):
    base = dict(url=None, sha256=None, unpack="file", mirror="data.txt", mirror_unpack="file",
                expect=["data.txt"])
    return DownloadParams(**(base | overrides))


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    folder = tmp_path / "mirror"
    folder.mkdir()
    monkeypatch.setenv("RNNLAB_MIRROR", str(folder))
    return folder


def test_mirror_file_is_verified_and_copied(mirror, tmp_path):
    (mirror / "data.txt").write_text("hello\n")
    write_sha256sums(mirror)
    out = tmp_path / "raw" / "corpus"
    message = fetch_corpus("corpus", params(), out, tmp_path / "dl")
    assert "from mirror" in message
    assert (out / "data.txt").read_text() == "hello\n"


def test_checksum_mismatch_is_refused_and_nothing_is_left(mirror, tmp_path):
    (mirror / "data.txt").write_text("hello\n")
    write_sha256sums(mirror)
    (mirror / "data.txt").write_text("tampered\n")
    out = tmp_path / "raw" / "corpus"
    with pytest.raises(DownloadError, match=r"data.txt: sha256 is [0-9a-f]{64}, expected"):
        fetch_corpus("corpus", params(), out, tmp_path / "dl")
    assert not out.exists()
    assert not list((tmp_path / "raw").glob("*")) if (tmp_path / "raw").exists() else True


def test_file_missing_from_sha256sums_is_refused(mirror, tmp_path):
    write_sha256sums(mirror)
    (mirror / "data.txt").write_text("hello\n")
    with pytest.raises(DownloadError, match="no checksum for data.txt"):
        fetch_corpus("corpus", params(), tmp_path / "out", tmp_path / "dl")


@pytest.mark.slow
def test_no_mirror_and_no_network_says_what_to_set(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_MIRROR", str(tmp_path))  # an empty mirror
    (tmp_path / "SHA256SUMS").write_text("")
    unreachable = params(url="http://127.0.0.1:9/data.txt")
    with pytest.raises(DownloadError, match="set RNNLAB_MIRROR to a folder holding data.txt"):
        fetch_corpus("corpus", unreachable, tmp_path / "out", tmp_path / "dl")
    with pytest.raises(DownloadError, match="no canonical URL"):
        fetch_corpus("corpus", params(), tmp_path / "out", tmp_path / "dl")


def test_a_replaced_output_is_swapped_whole(mirror, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    (mirror / "data.txt").write_text("new\n")
    write_sha256sums(mirror)
    fetch_corpus("corpus", params(), out, tmp_path / "dl")
    assert sorted(p.name for p in out.iterdir()) == ["data.txt"]


def tar_with(path, name, data=b"x", kind=tarfile.REGTYPE, linkname=""):
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = linkname
        info.size = len(data) if kind == tarfile.REGTYPE else 0
        tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "/etc/evil.txt"])
def test_traversal_members_are_refused(tmp_path, name):
    archive = tmp_path / "bad.tar.gz"
    tar_with(archive, name)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(DownloadError, match="unsafe member path"):
        safe_extract_tar(archive, dest)
    assert not (tmp_path / "evil.txt").exists()


def test_links_leaving_the_folder_are_refused(tmp_path):
    archive = tmp_path / "link.tar.gz"
    tar_with(archive, "data/passwd", kind=tarfile.SYMTYPE, linkname="/etc/passwd")
    with pytest.raises(DownloadError, match="refusing link member"):
        safe_extract_tar(archive, tmp_path)


def test_zip_traversal_is_refused(tmp_path):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("../evil.txt", "x")
    with pytest.raises(DownloadError, match="unsafe member path"):
        safe_extract_zip(archive, tmp_path / "dest")


def test_unpacked_member_checksum_is_verified(mirror, tmp_path):
    make_mirror(mirror)
    glove = real_download_params()["glove"]
    with pytest.raises(DownloadError, match=r"^glove.6B.50d.txt \(unpacked from .*\): sha256 is"):
        fetch_corpus("glove", glove, tmp_path / "out", tmp_path / "dl")
    assert not (tmp_path / "out").exists()


def test_truncated_archive_is_refused(tmp_path):
    archive = tmp_path / "whole.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for i in range(50):
            data = bytes(range(256)) * 40
            info = tarfile.TarInfo(f"f{i}.bin")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(DownloadError, match="truncated or corrupt archive"):
        safe_extract_tar(cut, tmp_path / "dest")


def test_strip_and_member_globs_give_one_layout(tmp_path):
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name in ("top/keep/1.txt", "top/keep/2.feat", "top/README"):
            info = tarfile.TarInfo(name)
            tar.addfile(info, io.BytesIO(b""))
    safe_extract_tar(archive, tmp_path / "d", strip="top", members=["*.txt", "README"])
    found = sorted(p.relative_to(tmp_path / "d").as_posix()
                   for p in (tmp_path / "d").rglob("*") if p.is_file())
    assert found == ["README", "keep/1.txt"]


def test_every_corpus_of_the_real_params_unpacks_from_a_mirror(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_MIRROR", str(make_mirror(tmp_path / "mirror")))
    for corpus, p in real_download_params().items():
        p = dataclasses.replace(p, member_sha256=None)  # the fake GloVe is not the real one
        out = tmp_path / "raw" / corpus
        fetch_corpus(corpus, p, out, tmp_path / "dl")
        for name in p.resolved().expect:
            assert (out / name).is_file(), (corpus, name)
    anki = (tmp_path / "raw" / "por_eng" / "por.txt").read_text().splitlines()
    assert anki[0].split("\t")[:2] == ["the cat likes fish", "o gato gosta de peixe"]
    assert len(anki) == 26 + 8 + 8  # the three fake splits pooled, repeats and all
    assert sha256_file(tmp_path / "raw" / "reuters" / "README.txt")
    assert not (tmp_path / "raw" / "reuters" / "reuters21578").exists()
