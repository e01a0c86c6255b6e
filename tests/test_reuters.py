"""Reuters-21578 parser and schemes: SGML edge cases on snippets, counts on the real corpus."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path, PurePosixPath

import pandas as pd
import pytest

from rnnlab.corpora.reuters import (
    CANONICAL_COUNTS,
    SCHEMES,
    dataset_counts,
    label_names,
    make_dataset,
)
from rnnlab.corpora.reuters_sgml import N_DOCUMENTS, REUT2_FILES, decode_entities, parse_reuters

TARBALL = "reuters21578_files.tar.gz"


def doc(
    newid: int,
    *,
    topics: tuple[str, ...] = ("earn",),
    split: str = "TRAIN",
    topics_attr: str = "YES",
    title: str | None = "A TITLE",
    body: str | None = "Some body.\n Reuter\n&#3;",
    text_type: str = "",
) -> str:
    ds = "".join(f"<D>{t}</D>" for t in topics)
    title_el = f"<TITLE>{title}</TITLE>\n" if title is not None else ""
    body_el = f"<DATELINE> X, Feb 26 - </DATELINE><BODY>{body}</BODY>" if body is not None else ""
    text_attr = f' TYPE="{text_type}"' if text_type else ""
    return (
        f'<REUTERS TOPICS="{topics_attr}" LEWISSPLIT="{split}" CGISPLIT="TRAINING-SET" '
        f'OLDID="{newid + 5000}" NEWID="{newid}">\n'
        f"<DATE>26-FEB-1987 15:01:01.79</DATE>\n<TOPICS>{ds}</TOPICS>\n"
        "<PLACES><D>usa</D></PLACES>\n"
        "<UNKNOWN>&#5;&#5;&#5;C T\n&#22;&#1;f0704&#31;reute</UNKNOWN>\n"
        f"<TEXT{text_attr}>&#2;\n{title_el}{body_el}</TEXT>\n</REUTERS>\n"
    )


def write_sgm(folder: Path, name: str, *docs: str, raw: bytes = b"") -> Path:
    path = folder / name
    header = '<!DOCTYPE lewis SYSTEM "lewis.dtd">\n'
    path.write_bytes(header.encode("ascii") + "".join(docs).encode("latin-1") + raw)
    return path


def parse_one(folder: Path) -> pd.DataFrame:
    return parse_reuters(folder, files=["reut2-000.sgm"])


# --- parser on snippets -------------------------------------------------------------------------


def test_entities_controls_and_fields(tmp_path: Path) -> None:
    body = "Profit &lt;ABC&gt; &amp; Co&#127;rose &#3;\n Reuter\n&#3;"
    write_sgm(tmp_path, "reut2-000.sgm", doc(1, title="AT&amp;T &lt;T&gt; SAYS", body=body))
    docs = parse_one(tmp_path)
    assert len(docs) == 1
    row = docs.iloc[0]
    assert row["id"] == 1
    assert row["title"] == "AT&T <T> SAYS"
    assert row["body"] == "Profit <ABC> & Corose \n Reuter"
    assert row["text"] == "AT&T <T> SAYS\nProfit <ABC> & Corose \n Reuter"
    assert row["lewis_split"] == "TRAIN"
    assert row["topics_attr"] == "YES"
    assert row["text_type"] == "NORM"
    assert not any(ord(c) < 32 and c not in "\n\t" for c in row["text"])


def test_decode_entities_is_narrow() -> None:
    assert decode_entities("&#60;x&#x3E; &copy &unknown; &#2;a\r\nb") == "<x> &copy &unknown; a\nb"


def test_multiple_topics_keep_document_order(tmp_path: Path) -> None:
    write_sgm(
        tmp_path,
        "reut2-000.sgm",
        doc(1, topics=("grain", "wheat", "corn")),
        doc(2, topics=(), topics_attr="NO", split="TEST"),
    )
    docs = parse_one(tmp_path)
    assert docs["topics"].tolist() == [["grain", "wheat", "corn"], []]
    assert docs["lewis_split"].tolist() == ["TRAIN", "TEST"]


def test_missing_body_falls_back_to_title(tmp_path: Path) -> None:
    unproc = doc(3, title=None, body=None, text_type="UNPROC").replace(
        "</TEXT>", "FEDERAL RESERVE REPORT\n Net free reserves...644</TEXT>"
    )
    write_sgm(
        tmp_path,
        "reut2-000.sgm",
        doc(1, body=None, title="ASSETS ROSE 720.4 MLN DLRS", text_type="BRIEF"),
        doc(2, body=""),
        unproc,
    )
    docs = parse_one(tmp_path).set_index("id")
    assert docs.loc[1, "text"] == "ASSETS ROSE 720.4 MLN DLRS"
    assert docs.loc[1, "body"] == ""
    assert docs.loc[1, "text_type"] == "BRIEF"
    assert docs.loc[2, "text"] == "A TITLE"
    assert docs.loc[3, "text"] == "FEDERAL RESERVE REPORT\n Net free reserves...644"
    assert docs.loc[3, "text_type"] == "UNPROC"


def test_stray_non_utf8_bytes_are_decoded_deterministically(tmp_path: Path) -> None:
    path = write_sgm(tmp_path, "reut2-000.sgm", doc(1, body="growth.\xfc&#5;&#30;side \x81x"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    docs = parse_one(tmp_path)
    assert docs.loc[0, "body"] == "growth.\u00fcside x"


def test_truncated_document_raises_with_file_name(tmp_path: Path) -> None:
    text = doc(1) + doc(2)
    cut = text.rindex("</REUTERS>")
    write_sgm(tmp_path, "reut2-000.sgm", text[:cut])
    with pytest.raises(ValueError, match=r"reut2-000\.sgm: document #2 \(NEWID=2\).*truncated"):
        parse_one(tmp_path)


def test_unclosed_document_before_next_raises(tmp_path: Path) -> None:
    write_sgm(tmp_path, "reut2-000.sgm", doc(1).replace("</REUTERS>", ""), doc(2))
    with pytest.raises(ValueError, match=r"reut2-000\.sgm: document #1 .*next <REUTERS>"):
        parse_one(tmp_path)


def test_unclosed_body_raises(tmp_path: Path) -> None:
    write_sgm(tmp_path, "reut2-000.sgm", doc(1).replace("</BODY>", ""))
    with pytest.raises(ValueError, match=r"reut2-000\.sgm.*NEWID=1.*<BODY> is never closed"):
        parse_one(tmp_path)


def test_file_without_documents_raises(tmp_path: Path) -> None:
    write_sgm(tmp_path, "reut2-000.sgm")
    with pytest.raises(ValueError, match=r"reut2-000\.sgm: no <REUTERS> documents"):
        parse_one(tmp_path)


def test_duplicate_newid_raises(tmp_path: Path) -> None:
    write_sgm(tmp_path, "reut2-000.sgm", doc(1))
    write_sgm(tmp_path, "reut2-001.sgm", doc(1))
    with pytest.raises(ValueError, match=r"reut2-001\.sgm: NEWID=1 already seen in reut2-000"):
        parse_reuters(tmp_path, files=["reut2-000.sgm", "reut2-001.sgm"])


def test_empty_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"missing 22 of 22 reut2 files"):
        parse_reuters(tmp_path)


def test_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"not a folder"):
        parse_reuters(tmp_path / "nope")


def test_one_missing_file_raises(tmp_path: Path) -> None:
    for i, name in enumerate(REUT2_FILES[:-1]):
        write_sgm(tmp_path, name, doc(i + 1))
    with pytest.raises(ValueError, match=r"missing 1 of 22 .*reut2-021\.sgm"):
        parse_reuters(tmp_path)
    write_sgm(tmp_path, REUT2_FILES[-1], doc(22))
    assert len(parse_reuters(tmp_path)) == 22
    write_sgm(tmp_path, "reut2-022.sgm", doc(23))
    with pytest.raises(ValueError, match=r"unexpected file reut2-022\.sgm"):
        parse_reuters(tmp_path)


# --- schemes on a synthetic table ---------------------------------------------------------------


def synthetic_docs() -> pd.DataFrame:
    rows = []
    newid = 0

    def add(topics: list[str], split: str, attr: str = "YES") -> None:
        nonlocal newid
        newid += 1
        rows.append(
            {
                "id": newid,
                "text": f"doc {newid}",
                "topics": topics,
                "lewis_split": split,
                "topics_attr": attr,
            }
        )

    for _ in range(3):
        add(["earn"], "TRAIN")
        add(["earn"], "TEST")
    add(["acq"], "TRAIN")
    add(["acq"], "TEST")
    add(["cocoa"], "TRAIN")  # train only: not in r52
    add(["acq", "earn"], "TRAIN")  # multi-label: not in r8/r52
    add(["earn"], "NOT-USED")  # outside ModApte
    add(["earn"], "TRAIN", attr="NO")  # TOPICS="NO": outside ModApte
    return pd.DataFrame(rows)


def test_r8_and_r52_rules() -> None:
    docs = synthetic_docs()
    r8 = make_dataset(docs, "r8", seed=0)
    assert list(r8.columns) == ["id", "text", "label", "split"]
    assert dataset_counts(r8) == {"train": 4, "test": 4, "classes": 2}
    r52 = make_dataset(docs, "r52", seed=0)
    assert set(r52["label"]) == {"earn", "acq"}
    assert label_names(r52) == ["earn", "acq"]


def test_reuters46_first_topic_min_docs_and_seeded_split() -> None:
    docs = synthetic_docs()
    extra = pd.DataFrame(
        {
            "id": range(100, 120),
            "text": "x",
            "topics": [["ship", "crude"]] * 14 + [["rare"]] * 6,
            "lewis_split": "NOT-USED",
            "topics_attr": "BYPASS",
        }
    )
    docs = pd.concat([docs, extra], ignore_index=True)
    a = make_dataset(docs, "reuters46", seed=7)
    # "earn" labels 9 documents and "ship" 14: only ship reaches the 14-document minimum.
    assert set(a["label"]) == {"ship"}
    assert dataset_counts(a) == {"train": 11, "test": 3, "classes": 1}  # int(14 * 0.8) = 11
    b = make_dataset(docs, "reuters46", seed=7)
    c = make_dataset(docs, "reuters46", seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert a["split"].tolist() != c["split"].tolist()


def test_unknown_scheme_and_bad_fraction() -> None:
    with pytest.raises(ValueError, match=r"'r10'.*r8, r52, reuters46"):
        make_dataset(synthetic_docs(), "r10", seed=0)
    with pytest.raises(ValueError, match=r"test_fraction"):
        make_dataset(synthetic_docs(), "reuters46", seed=0, test_fraction=1.0)


def test_label_names_order() -> None:
    ds = pd.DataFrame(
        {
            "label": ["b", "a", "a", "c", "b", "z"],
            "split": ["train", "train", "train", "train", "train", "test"],
        }
    )
    assert label_names(ds) == ["a", "b", "c", "z"]


# --- the real corpus ----------------------------------------------------------------------------


def mirror_tarball() -> Path | None:
    env = os.environ.get("RNNLAB_MIRROR")
    folder = (
        Path(env) if env else Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"
    )
    path = folder / TARBALL
    return path if path.is_file() else None


@pytest.fixture(scope="module")
def real_docs(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    tarball = mirror_tarball()
    if tarball is None:
        pytest.skip(f"{TARBALL} not found (set RNNLAB_MIRROR or provide ../shared/datasets)")
    target = tmp_path_factory.mktemp("reuters")
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            parts = PurePosixPath(member.name).parts
            # Written by hand, not extract(): strips the leading reuters21578/ folder and cannot
            # write outside `target` whatever the member names are.
            if member.isfile() and len(parts) == 2 and parts[1].startswith("reut2-"):
                handle = archive.extractfile(member)
                assert handle is not None
                (target / parts[1]).write_bytes(handle.read())
    return parse_reuters(target)


@pytest.mark.realdata
def test_real_corpus_parses_every_document(real_docs: pd.DataFrame) -> None:
    assert len(real_docs) == N_DOCUMENTS
    assert real_docs["id"].tolist() == list(range(1, N_DOCUMENTS + 1))
    assert real_docs["lewis_split"].value_counts().to_dict() == {
        "TRAIN": 14_668,
        "TEST": 6_188,
        "NOT-USED": 722,
    }
    assert int(real_docs["topics"].map(len).gt(0).sum()) == 11_367
    assert real_docs["text"].str.contains("&#|&lt;|\x03", regex=True).sum() == 0
    first = real_docs.iloc[0]
    assert first["title"] == "BAHIA COCOA REVIEW"
    assert first["topics"] == ["cocoa"]
    assert first["text"].startswith("BAHIA COCOA REVIEW\nShowers continued")


@pytest.mark.realdata
@pytest.mark.parametrize("scheme", SCHEMES)
def test_real_scheme_counts(real_docs: pd.DataFrame, scheme: str) -> None:
    ds = make_dataset(real_docs, scheme, seed=113)
    train, test, classes = CANONICAL_COUNTS[scheme]
    assert dataset_counts(ds) == {"train": train, "test": test, "classes": classes}
    assert len(label_names(ds)) == classes
    assert ds["id"].is_unique
    if scheme == "r8":
        assert label_names(ds) == [
            "earn", "acq", "crude", "trade", "money-fx", "interest", "ship", "grain"
        ]  # fmt: skip
    if scheme == "r52":
        assert ds.groupby("label")["split"].nunique().eq(2).all()
    if scheme == "reuters46":
        assert len(ds) == 11_228
        assert ds["label"].value_counts().min() >= 14
        again = make_dataset(real_docs, scheme, seed=113)
        pd.testing.assert_frame_equal(ds, again)
