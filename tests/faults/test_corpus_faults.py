"""Faults in the raw corpora the `prepare` stage reads: each reader (IMDB, Reuters, sonnets,
tiny-shakespeare, Sheldon, Anki por-eng) given a raw folder that is missing or empty, or a file
that is not UTF-8, truncated, empty or malformed, must raise a one-line `DataError` naming the
file; and the stage must leave the last good table where it was, with no temporary file.

Desired behaviour the readers do not have yet is written as `xfail(strict=True)`, so each case
flips to a failure (to be unmarked) when its defect is fixed. Parser details already covered by
tests/test_reuters.py and tests/test_translation.py are not repeated.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from conftest import ROOT
from fakedata import make_imdb_tar, make_reuters_tar
from faultkit import leftovers, one_line, snapshot

from rnnlab.core.errors import DataError
from rnnlab.corpora.imdb import ImdbParams, prepare_imdb
from rnnlab.corpora.por_eng import PorEngParams, prepare_por_eng
from rnnlab.corpora.reuters import ReutersParams, prepare_reuters
from rnnlab.corpora.shakespeare import ShakespeareParams, prepare_shakespeare
from rnnlab.corpora.sheldon import SheldonParams, prepare_sheldon
from rnnlab.corpora.sonnets import SonnetsParams, prepare_sonnets


def refused(prepare, raw: Path, params, match: str) -> str:
    with pytest.raises(DataError) as err:
        prepare(raw, params)
    message = str(err.value).splitlines()[0]  # what the stage runner prints
    assert re.search(match, message), message
    return message


# ------------------------------------------------------------------ plain-text corpora


SONNETS = SonnetsParams(corpus="sonnets", val_fraction=0.1, test_fraction=0.1, block_lines=14,
                        seed=42)
SHAKESPEARE = ShakespeareParams(corpus="shakespeare", val_fraction=0.1)
SHELDON = SheldonParams(corpus="sheldon", val_fraction=0.1, block_lines=1, seed=42)
TEXT_CORPORA = {
    "sonnets": (prepare_sonnets, SONNETS, "sonnets.txt"),
    "shakespeare": (prepare_shakespeare, SHAKESPEARE, "input.txt"),
    "sheldon": (prepare_sheldon, SHELDON, "sheldon.txt"),
}


def text_case(corpus: str, fault: str, content: bytes | None, match: str, defect: str = ""):
    marks = [pytest.mark.xfail(strict=True, reason=f"known defect: {defect}")] if defect else []
    return pytest.param(corpus, content, match, marks=marks, id=f"{corpus}-{fault}")


NOT_UTF8 = b"Shall I compare thee\n\xff\xfe to a summer's day?\n"
CUT_MID_CHARACTER = "Thou art more lovely and more temperate: caf\u00e9".encode()[:-1]

TEXT_CASES = []
for _corpus in TEXT_CORPORA:
    TEXT_CASES += [
        text_case(_corpus, "not-utf8", NOT_UTF8, r"not UTF-8 text \(invalid start byte at byte "
                                                 r"21\)$"),
        text_case(_corpus, "cut-mid-character", CUT_MID_CHARACTER,
                  r"not UTF-8 text \(unexpected end of data at byte 44\)$"),
    ]
TEXT_CASES += [
    text_case("sonnets", "empty", b"", r"^[^ ]+: no text \(expected "),
    text_case("shakespeare", "empty", b"", r"^[^ ]+: no text \(expected "),
    text_case("sheldon", "empty", b"", r"^[^ ]+: no text \(expected "),
    text_case("sonnets", "blank-lines-only", b"\n  \n\t\n", r"^[^ ]+: no text \(expected "),
    text_case("sheldon", "blank-lines-only", b"\n  \n\t\n", r"^[^ ]+: no text \(expected "),
]


@pytest.mark.parametrize("corpus, content, match", TEXT_CASES)
def test_a_bad_text_corpus_file_is_named(tmp_path, corpus, content, match):
    prepare, params, name = TEXT_CORPORA[corpus]
    (tmp_path / name).write_bytes(content)
    message = refused(prepare, tmp_path, params, match)
    assert message.startswith(f"{tmp_path / name}: ")


@pytest.mark.parametrize("corpus", TEXT_CORPORA)
@pytest.mark.parametrize("fault", ["no-raw-folder", "empty-raw-folder", "a-folder-for-the-file"])
def test_a_missing_text_corpus_file_is_named(tmp_path, corpus, fault):
    prepare, params, name = TEXT_CORPORA[corpus]
    raw = tmp_path / "raw" / corpus
    if fault != "no-raw-folder":
        raw.mkdir(parents=True)
    if fault == "a-folder-for-the-file":
        (raw / name).mkdir()
        refused(prepare, raw, params, rf"^{raw / name}: is a folder, expected a file$")
    else:
        refused(prepare, raw, params, rf"^{raw / name}: missing \(run the stage that writes it "
                                      r"first\)$")


# ------------------------------------------------------------------ IMDB


IMDB = ImdbParams(corpus="imdb", val_fraction=0.1, seed=42)


@pytest.fixture(scope="module")
def imdb_tar(tmp_path_factory) -> bytes:
    """The uncompressed aclImdb.tar the download stage keeps, tiny: 3 reviews a folder."""
    packed = tmp_path_factory.mktemp("imdb") / "aclImdb.tar.gz"
    make_imdb_tar(packed, per_folder=3)
    return gzip.decompress(packed.read_bytes())


def rewritten(tar: bytes, change, rename=lambda name: name) -> bytes:
    """The archive with each member's data passed through `change(name, data)` (None: dropped)
    and its name through `rename`."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(tar)) as source, tarfile.open(fileobj=out,
                                                                         mode="w") as dest:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            if data is not None:
                member.size, member.name = len(data), rename(member.name)
                dest.addfile(member, io.BytesIO(data))
    return out.getvalue()


def member_offset(tar: bytes, prefix: str) -> int:
    """Where the first member whose name starts with `prefix` begins (its header)."""
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        return next(m.offset for m in archive if m.name.startswith(prefix))


IMDB_FAULTS = {
    "empty-archive": lambda tar: b"",
    "a-text-file": lambda tar: b"<html>not found</html>\n",
    "cut-inside-a-review": lambda tar: tar[:member_offset(tar, "aclImdb/test/neg/") + 600],
    "cut-compressed": lambda tar: gzip.compress(tar, mtime=0)[:len(gzip.compress(tar)) // 2],
    "a-folder-missing": lambda tar: rewritten(tar, lambda name, data:
                                              None if "/test/pos/" in name else data),
    "another-top-folder": lambda tar: rewritten(tar, lambda name, data: data,
                                                lambda name: name.replace("aclImdb/", "imdb/")),
}


@pytest.mark.parametrize("fault, match", [
    ("no-raw-folder", r"aclImdb.tar: missing \(run the download stage first\)$"),
    ("empty-raw-folder", r"aclImdb.tar: missing \(run the download stage first\)$"),
    ("a-folder-for-the-archive", r"aclImdb.tar: truncated or corrupt archive \(\[Errno 21\] "),
    ("empty-archive", r"aclImdb.tar: truncated or corrupt archive"),
    ("a-text-file", r"aclImdb.tar: truncated or corrupt archive"),
    ("cut-inside-a-review", r"aclImdb.tar: truncated or corrupt archive \(unexpected end of "
                            r"data\)$"),
    ("cut-compressed", r"aclImdb.tar: truncated or corrupt archive"),
    ("a-folder-missing", r"aclImdb.tar: no aclImdb/test/pos/\*.txt reviews \(expected the "
                         r"aclImdb layout\)$"),
    ("another-top-folder", r"aclImdb.tar: no aclImdb/train/neg/\*.txt reviews \(expected the "
                           r"aclImdb layout\)$"),
], ids=lambda v: v if "(" not in v else None)
def test_a_bad_imdb_archive_is_named(tmp_path, imdb_tar, fault, match):
    raw = tmp_path / "raw" / "imdb"
    archive = raw / "aclImdb.tar"
    if fault != "no-raw-folder":
        raw.mkdir(parents=True)
    if fault == "a-folder-for-the-archive":
        archive.mkdir()
    elif fault in IMDB_FAULTS:
        archive.write_bytes(IMDB_FAULTS[fault](imdb_tar))
    refused(prepare_imdb, raw, IMDB, rf"^{re.escape(str(archive))}" + match.removeprefix(
        "aclImdb.tar"))


def test_imdb_reads_a_compressed_archive_too(tmp_path, imdb_tar):
    """Documented (tarfile's "r:*"): a gzip-compressed aclImdb.tar is read as well."""
    (tmp_path / "aclImdb.tar").write_bytes(gzip.compress(imdb_tar, mtime=0))
    assert len(prepare_imdb(tmp_path, IMDB)) == 4 * 3 + 10


def test_a_non_utf8_imdb_review_is_named(tmp_path, imdb_tar):
    with tarfile.open(fileobj=io.BytesIO(imdb_tar)) as archive:
        bad = next(n for n in archive.getnames() if n.startswith("aclImdb/train/pos/"))
    (tmp_path / "aclImdb.tar").write_bytes(rewritten(
        imdb_tar, lambda name, data: b"\xff\xfe not utf-8" if name == bad else data))
    refused(prepare_imdb, tmp_path, IMDB, rf"aclImdb.tar: {bad}: not UTF-8")


def cut_between_members(tar: bytes) -> bytes:
    return tar[:member_offset(tar, "aclImdb/train/unsup/7_")]


def damaged_header(tar: bytes) -> bytes:
    out = bytearray(tar)
    out[member_offset(tar, "aclImdb/train/unsup/7_") + 10] ^= 0x01  # a name byte: bad checksum
    return bytes(out)


@pytest.mark.parametrize("damage", [cut_between_members, damaged_header],
                         ids=["cut-between-members", "damaged-member-header"])
def test_an_imdb_archive_that_loses_members_is_refused(tmp_path, imdb_tar, damage):
    (tmp_path / "aclImdb.tar").write_bytes(damage(imdb_tar))
    refused(prepare_imdb, tmp_path, IMDB, r"aclImdb.tar: truncated or corrupt")


# ------------------------------------------------------------------ Reuters


R8 = ReutersParams(corpus="reuters", scheme="r8", val_fraction=0.1, seed=42)


@pytest.fixture(scope="module")
def reuters_files(tmp_path_factory) -> dict[str, bytes]:
    packed = tmp_path_factory.mktemp("reuters") / "reuters.tar.gz"
    make_reuters_tar(packed, per_topic=4)
    with tarfile.open(packed) as tar:
        return {Path(m.name).name: tar.extractfile(m).read() for m in tar
                if m.name.endswith(".sgm")}


@pytest.fixture
def reuters_raw(tmp_path, reuters_files) -> Path:
    raw = tmp_path / "raw" / "reuters"
    raw.mkdir(parents=True)
    for name, data in reuters_files.items():
        (raw / name).write_bytes(data)
    return raw


def test_a_reuters_raw_path_that_is_a_file_is_named(tmp_path):
    (tmp_path / "reuters").write_text("not a folder")
    refused(prepare_reuters, tmp_path / "reuters", R8, rf"^{tmp_path / 'reuters'}: not a folder")


def test_a_reuters_file_that_is_a_folder_is_named(reuters_raw):
    (reuters_raw / "reut2-005.sgm").unlink()
    (reuters_raw / "reut2-005.sgm").mkdir()
    refused(prepare_reuters, reuters_raw, R8, rf"^{reuters_raw / 'reut2-005.sgm'}: no such file "
                                              r"\(expected a Reuters-21578 .sgm file\)$")


def sgm_edit(raw: Path, name: str, edit) -> None:
    path = raw / name
    path.write_bytes(edit(path.read_bytes().decode("latin-1")).encode("latin-1"))


@pytest.mark.parametrize("name, edit, match", [
    ("reut2-003.sgm", lambda text: "", r"^reut2-003.sgm: no <REUTERS> documents found "
                                       r"\(expected at least one\)$"),
    ("reut2-004.sgm", lambda text: text.replace('NEWID="', 'NEWID="x', 1),
     r"^reut2-004.sgm: document #1: no numeric NEWID attribute \(got 'x\d+'\)$"),
    ("reut2-006.sgm", lambda text: text.replace("</TOPICS>", "", 1),
     r"^reut2-006.sgm: document #1 \(NEWID=\d+\): <TOPICS> is never closed "
     r"\(expected </TOPICS>\)$"),
    ("reut2-007.sgm", lambda text: text.replace("</TEXT>", "", 1),
     r"^reut2-007.sgm: document #1 \(NEWID=\d+\): <TEXT> is never closed"),
    ("reut2-008.sgm", lambda text: text + "</REUTERS>\n",
     r"^reut2-008.sgm: </REUTERS> at offset \d+ closes no document"),
    ("reut2-009.sgm", lambda text: text[:text.rindex("</BODY>") + 3],
     r"^reut2-009.sgm: document #\d+ \(NEWID=\d+\) has no closing </REUTERS> before end of "
     r"file \(truncated\?\)$"),
], ids=["empty-file", "non-numeric-newid", "unclosed-topics", "unclosed-text",
        "stray-close-at-the-end", "cut-inside-the-last-body"])
def test_a_malformed_reuters_file_is_named(reuters_raw, name, edit, match):
    sgm_edit(reuters_raw, name, edit)
    refused(prepare_reuters, reuters_raw, R8, match)


def test_a_reuters_file_cut_inside_an_opening_tag_is_refused(reuters_raw):
    sgm_edit(reuters_raw, "reut2-000.sgm", lambda text: text[:text.rindex("<REUTERS") + 30])
    assert (reuters_raw / "reut2-000.sgm").read_text().count("</REUTERS>") == 1  # one was kept
    refused(prepare_reuters, reuters_raw, R8, r"^reut2-000.sgm: .*truncated")


def test_a_reuters_corpus_with_no_document_for_the_scheme_is_refused(reuters_raw):
    for path in reuters_raw.glob("*.sgm"):
        sgm_edit(reuters_raw, path.name, lambda text: re.sub(r'LEWISSPLIT="[A-Z]+"',
                                                            'LEWISSPLIT="NOT-USED"', text))
    refused(prepare_reuters, reuters_raw, R8, r"no .*document")


# ------------------------------------------------------------------ Anki por-eng


POR_ENG = PorEngParams(corpus="por_eng", max_words=10, val_fraction=0.1, test_fraction=0.1,
                       seed=42)
PAIRS = "".join(f"sentence number {i}\tfrase número {i}\tCC-BY tatoeba #{i}\n" for i in range(40))


@pytest.mark.parametrize("content, match", [
    (b"", r"por.txt: no sentence pairs$"),
    (b"\n \n\t\n", r"por.txt: no sentence pairs$"),
    (PAIRS.encode()[:-40] + "\u00e9".encode()[:1],
     r"por.txt:40: not UTF-8 \(unexpected end of data at byte \d+\)$"),
    ("".join(f"{'w ' * 11}{i}\t{'p ' * 11}{i}\tx\n" for i in range(30)).encode(),
     r"por.txt: no pair left after normalising and max_words$"),
    ("".join("?!\t...\tx\n" for _ in range(30)).encode(),
     r"por.txt: no pair left after normalising and max_words$"),
    (PAIRS.encode()[:PAIRS.index("sentence number 3\t")],
     r"^3 source sentences cannot fill train, val and test with fractions 0.1 and 0.1$"),
    ((PAIRS + "only English, no tab\n").encode(),
     r"por.txt:41: expected English<TAB>Portuguese<TAB>attribution$"),
], ids=["empty", "blank-lines-only", "cut-mid-character", "every-pair-too-long",
        "punctuation-only", "too-few-sentences", "last-line-without-a-tab"])
def test_a_bad_anki_file_is_refused(tmp_path, content, match):
    (tmp_path / "por.txt").write_bytes(content)
    refused(prepare_por_eng, tmp_path, POR_ENG, match)


@pytest.mark.parametrize("fault", ["no-raw-folder", "empty-raw-folder"])
def test_a_missing_anki_file_is_named(tmp_path, fault):
    raw = tmp_path / "raw" / "por_eng"
    if fault == "empty-raw-folder":
        raw.mkdir(parents=True)
    refused(prepare_por_eng, raw, POR_ENG, rf"^{raw / 'por.txt'}: missing \(run the download "
                                           r"stage first\)$")


def test_a_folder_named_like_the_anki_file_is_named(tmp_path):
    (tmp_path / "por.txt").mkdir()
    refused(prepare_por_eng, tmp_path, POR_ENG, rf"^{tmp_path / 'por.txt'}: .*folder")


# ------------------------------------------------------------------ the prepare stage


def run_prepare(folder: Path, task: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(ROOT / "stages" / "prepare.py"), task],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=120)


def test_a_failed_prepare_keeps_the_last_table_and_leaves_no_temporary_file(tmp_path):
    entry = tmp_path / "data" / "params" / "prepare" / "sonnets.json"
    entry.parent.mkdir(parents=True)
    entry.write_text(json.dumps({"corpus": "sonnets", "val_fraction": 0.1, "test_fraction": 0.1,
                                 "block_lines": 14, "seed": 42}))
    raw = tmp_path / "data" / "raw" / "sonnets"
    raw.mkdir(parents=True)
    (raw / "sonnets.txt").write_bytes(NOT_UTF8)
    table = tmp_path / "data" / "prepared" / "sonnets.parquet"
    table.parent.mkdir(parents=True)
    table.write_bytes(b"PAR1 the table an earlier run wrote PAR1")
    before = snapshot(tmp_path / "data")
    result = run_prepare(tmp_path, "sonnets")
    assert result.returncode == 1
    assert one_line(result.stderr) == ("prepare sonnets: error: data/raw/sonnets/sonnets.txt: "
                                       "not UTF-8 text (invalid start byte at byte 21)")
    assert snapshot(tmp_path / "data") == before and leftovers(tmp_path) == []


def test_prepare_of_an_entry_the_params_stage_did_not_write_is_one_line(tmp_path):
    result = run_prepare(tmp_path, "nosuch")
    assert result.returncode == 1
    assert one_line(result.stderr) == ("prepare nosuch: error: data/params/prepare/nosuch.json: "
                                       "missing (run the stage that writes it first)")
    assert not (tmp_path / "data").exists()

