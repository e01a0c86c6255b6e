"""Reuters-21578's raw SGML as one row per `<REUTERS>` document (`parse_reuters`).

The SGML is not valid XML (a DOCTYPE naming an SGML DTD, control-character entities such as
`&#3;`, one non-UTF-8 byte in `reut2-017.sgm`), so it is read with regexes and str.find over
latin-1-decoded bytes. Latin-1 maps every byte to exactly one character, so decoding never fails
and never depends on the platform; the corpus is ASCII apart from that one stray byte.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from rnnlab.core.errors import DataError

N_FILES = 22
REUT2_FILES: tuple[str, ...] = tuple(f"reut2-{i:03d}.sgm" for i in range(N_FILES))
N_DOCUMENTS = 21_578

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
        raise DataError(f"{where}: <{tag}> is never closed (expected </{tag}>)")
    return text[start + len(tag) + 1 : head_end], text[head_end + 1 : end]


def _parse_document(where: str, attrs: str, inner: str) -> dict[str, object]:
    attributes = {key.upper(): value for key, value in _ATTR.findall(attrs)}
    newid = attributes.get("NEWID", "")
    if not newid.isdigit():
        raise DataError(f"{where}: no numeric NEWID attribute (got {newid!r})")
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


def _check_not_cut_inside_a_tag(content: str, start: int, name: str) -> None:
    """A `<` after `start` that no `>` follows: the file ends inside a tag (such as its last
    `<REUTERS ...>`, which the tag pattern then cannot see), so it was truncated."""
    cut = content.rfind("<", start)
    if cut >= 0 and content.find(">", cut) < 0:
        raise DataError(f"{name}: ends inside the tag {content[cut:cut + 12]!r}... at offset "
                        f"{cut} (truncated?)")


def parse_file(path: Path) -> list[dict[str, object]]:
    """Parse one `.sgm` file into document records; raise `ValueError` on malformed structure.

    Each `<REUTERS ...>` must be closed by exactly one `</REUTERS>` before the next one opens:
    a truncated file therefore raises rather than losing its last document, and a file with no
    documents at all raises too. So does a TOPICS, TEXT, TITLE or BODY element left unclosed.
    """
    content = path.read_bytes().decode("latin-1")
    opens = list(_OPEN.finditer(content))
    if not opens:
        _check_not_cut_inside_a_tag(content, 0, path.name)
        raise DataError(f"{path.name}: no <REUTERS> documents found (expected at least one)")
    records = []
    previous_end = 0
    for index, match in enumerate(opens):
        stray = content.find(_CLOSE, previous_end, match.start())
        if stray >= 0:
            raise DataError(
                f"{path.name}: {_CLOSE} at offset {stray} closes no document "
                f"(expected one <REUTERS> per {_CLOSE})"
            )
        limit = opens[index + 1].start() if index + 1 < len(opens) else len(content)
        close = content.find(_CLOSE, match.end(), limit)
        where = f"{path.name}: document #{index + 1}"
        if close < 0:
            newid = dict(_ATTR.findall(match.group(1))).get("NEWID", "?")
            raise DataError(
                f"{where} (NEWID={newid}) has no closing {_CLOSE} before "
                f"{'the next <REUTERS>' if index + 1 < len(opens) else 'end of file (truncated?)'}"
            )
        inner = content[match.end() : close]
        records.append(_parse_document(where, match.group(1), inner))
        previous_end = close + len(_CLOSE)
    _check_not_cut_inside_a_tag(content, previous_end, path.name)
    stray = content.find(_CLOSE, previous_end)
    if stray >= 0:
        raise DataError(
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
        raise DataError(f"{folder}: not a folder (expected the extracted Reuters-21578 files)")
    if files is None:
        present = {p.name for p in folder.glob("reut2-*.sgm")}
        missing = [name for name in REUT2_FILES if name not in present]
        if missing:
            raise DataError(
                f"{folder}: missing {len(missing)} of {N_FILES} reut2 files "
                f"(expected reut2-000.sgm .. reut2-021.sgm; first missing: {missing[0]})"
            )
        extra = sorted(present - set(REUT2_FILES))
        if extra:
            raise DataError(f"{folder}: unexpected file {extra[0]} (expected only {N_FILES})")
        files = REUT2_FILES
    elif not files:
        raise DataError(f"{folder}: empty file list (expected at least one .sgm file name)")
    records: list[dict[str, object]] = []
    seen: dict[int, str] = {}
    for name in files:
        path = folder / name
        if not path.is_file():
            raise DataError(f"{path}: no such file (expected a Reuters-21578 .sgm file)")
        for record in parse_file(path):
            doc_id = record["id"]
            assert isinstance(doc_id, int)
            if doc_id in seen:
                raise DataError(f"{name}: NEWID={doc_id} already seen in {seen[doc_id]}")
            seen[doc_id] = name
            records.append(record)
    docs = pd.DataFrame.from_records(records, columns=COLUMNS)
    return docs.sort_values("id", kind="stable").reset_index(drop=True)
