"""The Large Movie Review Dataset (aclImdb) as one tidy table."""

from __future__ import annotations

import dataclasses
import tarfile
import zlib
from pathlib import Path
from typing import Literal

import pandas as pd

from rnnlab.core.errors import DataError
from rnnlab.core.params import value
from rnnlab.corpora.corpus import Corpus
from rnnlab.text.splits import carve_validation
from rnnlab.text.tokenize import strip_markup

LABEL_NAMES = {-1: "unlabeled", 0: "neg", 1: "pos"}
# (folder under aclImdb/, split, label); unlabelled reviews get label -1.
_FOLDERS = [
    ("train/neg", "train", 0),
    ("train/pos", "train", 1),
    ("test/neg", "test", 0),
    ("test/pos", "test", 1),
    ("train/unsup", "unsup", -1),
]


ARCHIVE = "aclImdb.tar"


class _Header(tarfile.TarInfo):
    """A member header that records, on its archive, why the header after the last one could
    not be read. tarfile ends the members at any unreadable header after the first, so a cut at
    a 512-byte block or a header failing its checksum would silently lose every later review;
    only an all-zero block (`EOFHeaderError`) is the end-of-archive marker a whole tar has."""

    @classmethod
    def fromtarfile(cls, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        try:
            return super().fromtarfile(tarfile_)
        except tarfile.HeaderError as err:
            tarfile_.rnnlab_end = err  # type: ignore[attr-defined]
            raise


def _check_the_end(tar: tarfile.TarFile, last: str | None) -> None:
    end = getattr(tar, "rnnlab_end", None)
    if last is not None and not isinstance(end, tarfile.EOFHeaderError):
        raise tarfile.ReadError(f"cannot read the header after member {last} ({end}); "
                                "expected another member or the end-of-archive marker")


def read_imdb(raw_dir: Path) -> pd.DataFrame:
    """Every review as a row (`id`, `text`, `label`, `split`, `label_name`), markup removed.

    Reviews are read straight from the (uncompressed) archive the download stage keeps: one
    file instead of 100,000 keeps `dvc status` and `dvc push` fast. Rows are in folder order,
    then file-name order, so the table (and all that follows) is byte-stable.
    """
    archive = raw_dir / ARCHIVE
    found: dict[str, list[tuple[str, str]]] = {folder: [] for folder, _, _ in _FOLDERS}
    try:
        with tarfile.open(archive, "r:*", tarinfo=_Header) as tar:
            last = None
            for member in tar:
                last = member.name
                folder, _, name = member.name.removeprefix("aclImdb/").rpartition("/")
                if member.isfile() and folder in found and name.endswith(".txt"):
                    data = tar.extractfile(member).read()
                    try:
                        text = data.decode("utf-8")
                    except UnicodeDecodeError as err:
                        raise DataError(f"{archive}: {member.name}: not UTF-8 text ({err.reason} "
                                        f"at byte {err.start})") from None
                    found[folder].append((name[:-4], text))
            _check_the_end(tar, last)
    except FileNotFoundError:
        raise DataError(f"{archive}: missing (run the download stage first)") from None
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise DataError(f"{archive}: truncated or corrupt archive ({err})") from err
    rows = []
    for folder, split, label in _FOLDERS:
        if not found[folder]:
            raise DataError(f"{archive}: no aclImdb/{folder}/*.txt reviews (expected the "
                             "aclImdb layout)")
        for name, text in sorted(found[folder]):
            rows.append((f"{folder}/{name}", " ".join(strip_markup(text).split()), label, split))
    table = pd.DataFrame(rows, columns=["id", "text", "label", "split"])
    table["label_name"] = table["label"].map(LABEL_NAMES)
    return table


@dataclasses.dataclass(frozen=True, kw_only=True)
class ImdbParams:
    """The IMDB reviews (`prepare.imdb`), with a validation split carved from train."""

    corpus: Literal["imdb"] = value(help="The corpus module that prepares this entry.")
    val_fraction: float = value(gt=0, lt=1, help="Share of the training reviews held out for "
                                "validation (stratified by label).")
    seed: int = value(ge=0, help="Seeds the random split, so the same params give the same "
                      "split.")


def prepare_imdb(raw_dir: Path, params: ImdbParams) -> pd.DataFrame:
    """The review table with a stratified validation split carved from `train`."""
    return carve_validation(read_imdb(raw_dir), params.val_fraction, params.seed)


CORPUS = Corpus(ImdbParams, prepare_imdb)
