"""Reuters-21578: parse the raw SGML and build the R8, R52 and Keras-like 46-topic datasets.

`parse_reuters` reads the 22 `reut2-NNN.sgm` files of Distribution 1.0 into one row per
`<REUTERS>` document; `make_dataset` turns that table into a labelled train/test set.

The SGML is not valid XML (a DOCTYPE naming an SGML DTD, control-character entities such as
`&#3;`, one non-UTF-8 byte in `reut2-017.sgm`), so it is read with regexes and str.find over
latin-1-decoded bytes. Latin-1 maps every byte to exactly one character, so decoding never fails
and never depends on the platform; the corpus is ASCII apart from that one stray byte.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from rnnlab.config import PrepareParams
from rnnlab.splits import carve_validation

N_FILES = 22
REUT2_FILES: tuple[str, ...] = tuple(f"reut2-{i:03d}.sgm" for i in range(N_FILES))
N_DOCUMENTS = 21_578

R8_TOPICS: frozenset[str] = frozenset(
    {"earn", "acq", "crude", "trade", "money-fx", "interest", "ship", "grain"}
)
SCHEMES: tuple[str, ...] = ("r8", "r52", "reuters46")
# What each scheme gives on the canonical corpus (train, test, classes); reuters46 with the
# default test_fraction=0.2. Kept here so pipeline stages and tests check the same numbers.
CANONICAL_COUNTS: dict[str, tuple[int, int, int]] = {
    "r8": (5_485, 2_189, 8),
    "r52": (6_532, 2_568, 52),
    "reuters46": (8_982, 2_246, 46),
}
REUTERS46_MIN_DOCS = 14

COLUMNS = ["id", "title", "body", "topics", "lewis_split", "topics_attr", "text_type", "text"]

# Tag names are matched as written in lewis.dtd (upper case), which the whole corpus follows;
# plain str.find is several times faster than lazy DOTALL regexes over 27 MB.
_OPEN = re.compile(r"<REUTERS\b([^>]*)>")
_CLOSE = "</REUTERS>"
_ATTR = re.compile(r'([A-Za-z]+)\s*=\s*"([^"]*)"')
_D = re.compile(r"<D>(.*?)</D>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
# C0 controls except tab/newline, DEL and the latin-1 C1 range: in this corpus they are
# teletype framing (&#2;, &#3;, &#5;, ...) or line noise, never text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name[0] != "#":
        return _NAMED[name]
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    # An out-of-range code point cannot be text; dropping it is as deterministic as anything.
    return chr(code) if code <= 0x10FFFF else ""


def decode_entities(text: str) -> str:
    """Decode `&lt;`, `&gt;`, `&amp;`, `&quot;`, `&apos;` and numeric references; drop controls.

    Only these entities are decoded (unlike `html.unescape`, which would also rewrite text such
    as `&copy` without a semicolon). Control characters (C0 except tab and newline, DEL, C1),
    whether written as entities (`&#3;`) or as raw bytes, are removed; `\\r\\n` becomes `\\n`.
    """
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    text = text.replace("\r\n", "\n")
    return _CONTROL.sub("", text)


def _element(text: str, tag: str, where: str) -> tuple[str, str] | None:
    """The attributes and content of the first `<tag ...>...</tag>` in `text`, or None.

    An element that opens but never closes raises, since its content would be silently lost.
    """
    start = text.find(f"<{tag}")
    while start >= 0:
        after = start + len(tag) + 1
        if after < len(text) and text[after] in "> \t\n":
            break  # not a longer tag name such as <TEXTS>
        start = text.find(f"<{tag}", after)
    if start < 0:
        return None
    head_end = text.find(">", start)
    end = text.find(f"</{tag}>", head_end) if head_end >= 0 else -1
    if end < 0:
        raise ValueError(f"{where}: <{tag}> is never closed (expected </{tag}>)")
    return text[start + len(tag) + 1 : head_end], text[head_end + 1 : end]


def _parse_document(where: str, attrs: str, inner: str) -> dict[str, object]:
    attributes = {key.upper(): value for key, value in _ATTR.findall(attrs)}
    newid = attributes.get("NEWID", "")
    if not newid.isdigit():
        raise ValueError(f"{where}: no numeric NEWID attribute (got {newid!r})")
    where = f"{where} (NEWID={newid})"
    _, topics_inner = _element(inner, "TOPICS", where) or ("", "")
    topics = [decode_entities(d).strip() for d in _D.findall(topics_inner)]
    text_attrs, text_inner = _element(inner, "TEXT", where) or ("", "")
    text_type = {k.upper(): v for k, v in _ATTR.findall(text_attrs)}.get("TYPE", "NORM")
    title_element = _element(text_inner, "TITLE", where)
    body_element = _element(text_inner, "BODY", where)
    title = decode_entities(title_element[1]).strip() if title_element else ""
    body = decode_entities(body_element[1]).strip() if body_element else ""
    if body:
        text = f"{title}\n{body}" if title else body
    elif title:
        text = title
    else:
        # TYPE="UNPROC" documents have neither TITLE nor BODY: their TEXT is the whole story.
        text = decode_entities(_TAG.sub(" ", text_inner)).strip()
    return {
        "id": int(newid),
        "title": title,
        "body": body,
        "topics": [t for t in topics if t],
        "lewis_split": attributes.get("LEWISSPLIT", ""),
        "topics_attr": attributes.get("TOPICS", ""),
        "text_type": text_type.upper(),
        "text": text,
    }


def parse_file(path: Path) -> list[dict[str, object]]:
    """Parse one `.sgm` file into document records; raise `ValueError` on malformed structure.

    Each `<REUTERS ...>` must be closed by exactly one `</REUTERS>` before the next one opens:
    a truncated file therefore raises rather than losing its last document, and a file with no
    documents at all raises too. So does a TOPICS, TEXT, TITLE or BODY element left unclosed.
    """
    content = path.read_bytes().decode("latin-1")
    opens = list(_OPEN.finditer(content))
    if not opens:
        raise ValueError(f"{path.name}: no <REUTERS> documents found (expected at least one)")
    records = []
    previous_end = 0
    for index, match in enumerate(opens):
        stray = content.find(_CLOSE, previous_end, match.start())
        if stray >= 0:
            raise ValueError(
                f"{path.name}: {_CLOSE} at offset {stray} closes no document "
                f"(expected one <REUTERS> per {_CLOSE})"
            )
        limit = opens[index + 1].start() if index + 1 < len(opens) else len(content)
        close = content.find(_CLOSE, match.end(), limit)
        where = f"{path.name}: document #{index + 1}"
        if close < 0:
            newid = dict(_ATTR.findall(match.group(1))).get("NEWID", "?")
            raise ValueError(
                f"{where} (NEWID={newid}) has no closing {_CLOSE} before "
                f"{'the next <REUTERS>' if index + 1 < len(opens) else 'end of file (truncated?)'}"
            )
        inner = content[match.end() : close]
        records.append(_parse_document(where, match.group(1), inner))
        previous_end = close + len(_CLOSE)
    stray = content.find(_CLOSE, previous_end)
    if stray >= 0:
        raise ValueError(
            f"{path.name}: {_CLOSE} at offset {stray} closes no document "
            f"(expected one <REUTERS> per {_CLOSE})"
        )
    return records


def parse_reuters(folder: Path, files: Sequence[str] | None = None) -> pd.DataFrame:
    """Parse the extracted Reuters-21578 SGML files into one row per `<REUTERS>` document.

    `folder` holds the files (`data/raw/reuters/reut2-000.sgm` ...). By default all 22
    `reut2-000.sgm` .. `reut2-021.sgm` are required, and any other `reut2-*.sgm` there is an
    error too, so the result is never silently partial; `files` names an explicit subset instead.

    Columns:
    - `id`: NEWID (int), unique, rows sorted by it.
    - `title`, `body`: TITLE and BODY text, entities decoded, control characters dropped,
      stripped ("" when absent).
    - `topics`: the TOPICS `<D>` values as a list of str, in document order (may be empty).
    - `lewis_split`: LEWISSPLIT, one of TRAIN / TEST / NOT-USED.
    - `topics_attr`: the TOPICS attribute, one of YES / NO / BYPASS.
    - `text_type`: the TEXT element's TYPE: NORM (no TYPE given), BRIEF or UNPROC.
    - `text`: title + "\\n" + body. Documents without a BODY (TYPE="BRIEF" has a title only)
      fall back to the title alone; documents with neither (TYPE="UNPROC") use the whole TEXT
      content with tags removed.

    Raises `ValueError` (one line, naming the file) for a missing folder, missing or unexpected
    `reut2` files, a file without documents, a truncated or otherwise unbalanced `<REUTERS>`, a
    document without NEWID, or a NEWID seen twice.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a folder (expected the extracted Reuters-21578 files)")
    if files is None:
        present = {p.name for p in folder.glob("reut2-*.sgm")}
        missing = [name for name in REUT2_FILES if name not in present]
        if missing:
            raise ValueError(
                f"{folder}: missing {len(missing)} of {N_FILES} reut2 files "
                f"(expected reut2-000.sgm .. reut2-021.sgm; first missing: {missing[0]})"
            )
        extra = sorted(present - set(REUT2_FILES))
        if extra:
            raise ValueError(f"{folder}: unexpected file {extra[0]} (expected only {N_FILES})")
        files = REUT2_FILES
    elif not files:
        raise ValueError(f"{folder}: empty file list (expected at least one .sgm file name)")
    records: list[dict[str, object]] = []
    seen: dict[int, str] = {}
    for name in files:
        path = folder / name
        if not path.is_file():
            raise ValueError(f"{path}: no such file (expected a Reuters-21578 .sgm file)")
        for record in parse_file(path):
            doc_id = record["id"]
            assert isinstance(doc_id, int)
            if doc_id in seen:
                raise ValueError(f"{name}: NEWID={doc_id} already seen in {seen[doc_id]}")
            seen[doc_id] = name
            records.append(record)
    docs = pd.DataFrame.from_records(records, columns=COLUMNS)
    return docs.sort_values("id", kind="stable").reset_index(drop=True)


def corpus_counts(docs: pd.DataFrame) -> dict[str, int]:
    """Counts worth logging after parsing (documents, splits, TEXT types, topic presence)."""
    counts = {"documents": len(docs)}
    for column in ("lewis_split", "topics_attr", "text_type"):
        for value, n in sorted(docs[column].value_counts().items()):
            counts[f"{column}={value}"] = int(n)
    counts["with_topics"] = int(docs["topics"].map(len).gt(0).sum())
    counts["empty_text"] = int(docs["text"].eq("").sum())
    return counts


def _modapte_single_label(docs: pd.DataFrame) -> pd.DataFrame:
    keep = (
        docs["lewis_split"].isin(["TRAIN", "TEST"])
        & docs["topics_attr"].eq("YES")
        & docs["topics"].map(len).eq(1)
    )
    single = docs.loc[keep]
    return pd.DataFrame(
        {
            "id": single["id"].to_numpy(),
            "text": single["text"].to_numpy(),
            "label": single["topics"].map(lambda topics: topics[0]).to_numpy(),
            "split": single["lewis_split"].str.lower().to_numpy(),
        }
    )


def make_dataset(
    docs: pd.DataFrame, scheme: str, seed: int, test_fraction: float = 0.2
) -> pd.DataFrame:
    """Build a labelled train/test set from `parse_reuters` output.

    Returns columns `id` (NEWID, for tracing and later validation carving), `text`, `label`
    (topic name, str) and `split` ("train" / "test"), rows in NEWID order. No validation split
    is made here.

    Schemes:
    - `r8`: single-label ModApte: LEWISSPLIT TRAIN/TEST, TOPICS="YES", exactly one `<D>` topic;
      keep earn, acq, crude, trade, money-fx, interest, ship, grain. 5,485 train / 2,189 test.
    - `r52`: the same single-label ModApte documents, keeping every topic with at least one
      train and one test document: 52 topics, 6,532 train / 2,568 test.
      For r8 and r52 the split is ModApte's own, so `seed` and `test_fraction` are unused.
    - `reuters46`: the size of Keras's `reuters.load_data` set: every document with at least
      one `<D>` in TOPICS, whatever its TOPICS attribute (YES/NO/BYPASS) or LEWISSPLIT
      (NOT-USED included), labelled by its FIRST listed topic, keeping the topics that label at
      least 14 such documents: 11,228 documents in 46 topics. Split like Keras: indices in NEWID
      order shuffled by `np.random.RandomState(seed).shuffle`, the first
      `int(n * (1 - test_fraction))` are train (8,982 / 2,246 at 0.2). Only the sizes match
      Keras; its exact documents and order are not reproduced.

    Unknown `scheme` raises `ValueError`.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown Reuters scheme {scheme!r}; expected one of {', '.join(SCHEMES)}")
    missing = {"id", "text", "topics", "lewis_split", "topics_attr"} - set(docs.columns)
    if missing:
        raise ValueError(f"docs lacks columns {sorted(missing)}; pass parse_reuters output")
    docs = docs.sort_values("id", kind="stable")
    if scheme in ("r8", "r52"):
        single = _modapte_single_label(docs)
        if scheme == "r8":
            keep = single["label"].isin(R8_TOPICS)
        else:
            splits_per_label = single.groupby("label")["split"].nunique()
            keep = single["label"].map(splits_per_label).eq(2)
        return single.loc[keep].reset_index(drop=True)

    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    labelled = docs.loc[docs["topics"].map(len).gt(0)]
    first = labelled["topics"].map(lambda topics: topics[0])
    sizes = first.value_counts()
    keep = first.map(sizes).ge(REUTERS46_MIN_DOCS)
    kept = labelled.loc[keep]
    n = len(kept)
    indices = np.arange(n)
    np.random.RandomState(seed).shuffle(indices)
    n_train = int(n * (1 - test_fraction))
    split = np.empty(n, dtype=object)
    split[indices[:n_train]] = "train"
    split[indices[n_train:]] = "test"
    return pd.DataFrame(
        {
            "id": kept["id"].to_numpy(),
            "text": kept["text"].to_numpy(),
            "label": first.loc[keep].to_numpy(),
            "split": split.astype(str),
        }
    )


def label_names(dataset: pd.DataFrame) -> list[str]:
    """Class names in a deterministic order: by train frequency, descending, then by name.

    Labels only seen outside the train split (none in the schemes here) come last, by name.
    The index of a name in this list is the class id a model should use.
    """
    train = dataset.loc[dataset["split"].eq("train"), "label"].value_counts()
    labels = sorted(set(dataset["label"]))
    return sorted(labels, key=lambda label: (-int(train.get(label, 0)), label))


def dataset_counts(dataset: pd.DataFrame) -> dict[str, int]:
    """Train / test / class counts of a `make_dataset` result, for logs and metrics."""
    return {
        "train": int(dataset["split"].eq("train").sum()),
        "test": int(dataset["split"].eq("test").sum()),
        "classes": int(dataset["label"].nunique()),
    }


def prepare_reuters(raw_dir: Path, params: PrepareParams) -> pd.DataFrame:
    """One scheme's table for the pipeline: integer labels, names, and a seeded validation split.

    Class ids follow `label_names` (train frequency, then name). Validation is carved from
    train, stratified where every class has at least two training documents.
    """
    if params.scheme is None:
        raise ValueError(f"prepare: the reuters corpus needs a scheme ({', '.join(SCHEMES)})")
    dataset = make_dataset(parse_reuters(raw_dir), params.scheme, params.seed)
    names = label_names(dataset)
    ids = {name: i for i, name in enumerate(names)}
    table = pd.DataFrame({
        "id": dataset["id"].astype(str).to_numpy(),
        "text": dataset["text"].to_numpy(),
        "label": dataset["label"].map(ids).astype(int).to_numpy(),
        "split": dataset["split"].to_numpy(),
        "label_name": dataset["label"].to_numpy(),
    })
    return carve_validation(table, params.val_fraction, params.seed)
