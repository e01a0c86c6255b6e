"""Fetch a corpus from its canonical URL or an offline mirror, verify it, unpack it safely.

Whatever the source, `data/raw/<corpus>/` ends with one layout: the files named in the corpus's
`expect` list. The mirror (env `RNNLAB_MIRROR`, else `../shared/datasets` when present) is used
first; each mirror file is checked against the mirror's own `SHA256SUMS`.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import gzip
import hashlib
import os
import shutil
import sys
import tarfile
import time
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Literal

from rnnlab.core.errors import DataError, DownloadError
from rnnlab.core.files import WRITE_FAILURES, WriteError, atomic_dir, atomic_path, read_text
from rnnlab.core.params import value

MIRROR_ENV = "RNNLAB_MIRROR"
DEFAULT_MIRROR = Path("../shared/datasets")
CHUNK = 1 << 20


@dataclasses.dataclass(frozen=True, kw_only=True)
class DownloadParams:
    """Where a corpus comes from: its canonical URL, and its file in the offline mirror."""

    url: str | None = value(help="The canonical download (null: the corpus only exists in "
                            "mirrors).")
    sha256: str | None = value(help="SHA-256 of the canonical download (null: upstream "
                               "publishes none).")
    unpack: Literal["file", "tar", "zip", "gzip"] = value(
        help="How the canonical download is unpacked.")
    mirror: str = value(help="The file or folder name inside the mirror directory.")
    mirror_unpack: Literal["file", "tar", "zip", "gzip", "anki_split"] = value(
        help="How the mirror's copy is unpacked.")
    strip: str | None = value(None, help="A leading folder inside the archive to drop, so "
                              "both sources give one layout.")
    members: list[str] | None = value(None, help="Glob patterns of archive members to keep "
                                      "(null: all).")
    expect: list[str] | None = value(None, help="Files that must exist in `data/raw/<corpus>/` "
                                     "afterwards.")
    member_sha256: dict[str, str] | None = value(None, help="SHA-256 of unpacked files, by "
                                                 "path, where known.")
    dim: int | None = value(None, ge=1, help="Fills {dim} in the names above (GloVe's vector "
                            "size).")

    def resolved(self) -> DownloadParams:
        """These params with every `{dim}` placeholder filled in."""
        if self.dim is None:
            return self

        def fill(value: Any) -> Any:
            if isinstance(value, str):
                return value.replace("{dim}", str(self.dim))
            if isinstance(value, list):
                return [fill(v) for v in value]
            if isinstance(value, dict):
                return {fill(k): fill(v) for k, v in value.items()}
            return value

        return dataclasses.replace(self, **{f.name: fill(getattr(self, f.name))
                                            for f in dataclasses.fields(self)})


def mirror_dir() -> Path | None:
    """The mirror folder: `$RNNLAB_MIRROR`, else `../shared/datasets` if it exists."""
    if os.environ.get(MIRROR_ENV):
        path = Path(os.environ[MIRROR_ENV])
        if not path.is_dir():
            raise DownloadError(f"{MIRROR_ENV}={path}: not a folder")
        return path
    return DEFAULT_MIRROR if DEFAULT_MIRROR.is_dir() else None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str, name: str | None = None) -> None:
    actual = sha256_file(path)
    if actual != expected.lower():
        raise DownloadError(f"{name or path}: sha256 is {actual}, expected {expected}")


def read_sha256sums(mirror: Path) -> dict[str, str]:
    sums_file = mirror / "SHA256SUMS"
    if not sums_file.is_file():
        raise DownloadError(f"{sums_file}: missing (every mirror lists its files' sha256 there)")
    try:
        text = sums_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        number = sums_file.read_bytes()[: err.start].count(b"\n") + 1
        raise DownloadError(f"{sums_file}:{number}: not UTF-8 text ({err.reason} at byte "
                            f"{err.start})") from None
    sums = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise DownloadError(f"{sums_file}:{number}: expected '<sha256>  <file>'")
        sums[parts[1].lstrip("*").strip()] = parts[0].lower()
    return sums


def fetch_url(url: str, dest: Path, sha256: str | None, retries: int = 3) -> None:
    """Stream `url` to `dest` with a progress bar, retrying; verify, then rename into place."""
    import requests
    from tqdm import tqdm

    last_error: Exception | None = None
    for attempt in range(retries):
        if attempt:
            time.sleep(2**attempt)
        try:
            with requests.get(url, stream=True, timeout=30) as response:
                response.raise_for_status()
                total = int(response.headers.get("content-length", 0)) or None
                with atomic_path(dest) as tmp, open(tmp, "wb") as out, tqdm(
                    total=total, unit="B", unit_scale=True, desc=dest.name, file=sys.stderr,
                    disable=None,
                ) as bar:
                    for chunk in response.iter_content(CHUNK):
                        out.write(chunk)
                        bar.update(len(chunk))
                    out.close()
                    if sha256:
                        verify_sha256(tmp, sha256)
            return
        except (DownloadError, WriteError):  # a bad checksum, a full disk: trying again won't help
            raise
        except Exception as err:  # network errors of every kind are retried alike
            last_error = err
    raise DownloadError(f"{url}: download failed after {retries} tries ({last_error})")


def fetch_corpus(name: str, params: DownloadParams, out_dir: Path, work_dir: Path) -> str:
    """Fill `out_dir` with the corpus's files; return a line saying which source was used."""
    params = params.resolved()
    mirror = mirror_dir()
    if mirror is not None and (mirror / params.mirror).exists():
        source = mirror / params.mirror
        _verify_mirror(mirror, params.mirror)
        _unpack(source, params.mirror_unpack, params, out_dir)
        return f"{name}: from mirror {source}"
    if params.url is None:
        where = f"mirror {mirror} has no {params.mirror}" if mirror else "no mirror is set"
        raise DownloadError(
            f"{name}: no canonical URL and {where}; set {MIRROR_ENV} to a folder holding "
            f"{params.mirror} and its SHA256SUMS"
        )
    archive = work_dir / PurePosixPath(params.url).name
    try:
        if not (archive.exists() and params.sha256 and sha256_file(archive) == params.sha256):
            fetch_url(params.url, archive, params.sha256)
    except DownloadError as err:
        where = f"mirror {mirror} has no {params.mirror}" if mirror else "no mirror is set"
        raise DownloadError(
            f"{name}: {err}; {where}: connect to the internet or set {MIRROR_ENV} to a folder "
            f"holding {params.mirror} and its SHA256SUMS"
        ) from err
    _unpack(archive, params.unpack, params, out_dir)
    return f"{name}: from {params.url}"


def _verify_mirror(mirror: Path, relative: str) -> None:
    sums = read_sha256sums(mirror)
    source = mirror / relative
    files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
    for path in files:
        key = path.relative_to(mirror).as_posix()
        if key not in sums:
            raise DownloadError(f"{mirror / 'SHA256SUMS'}: no checksum for {key}")
        verify_sha256(path, sums[key])


def _unpack(source: Path, how: str, params: DownloadParams, out_dir: Path) -> None:
    expect = params.expect or []
    if source.is_dir() != (how == "anki_split"):  # a folder where a file belongs, or back
        found, wanted = ("folder", "file") if source.is_dir() else ("file", "folder of splits")
        raise DownloadError(f"{source}: is a {found}, expected a {wanted}")
    with atomic_dir(out_dir) as tmp:
        if how == "file":
            shutil.copyfile(source, tmp / expect[0])
        elif how == "gzip":
            _gunzip(source, tmp / expect[0])
        elif how == "tar":
            safe_extract_tar(source, tmp, strip=params.strip, members=params.members)
        elif how == "zip":
            safe_extract_zip(source, tmp, strip=params.strip, members=params.members)
        elif how == "anki_split":
            write_anki_from_splits(source, tmp / expect[0])
        else:  # the params schema admits no other value
            raise DownloadError(f"unknown unpack method {how!r}")
        for relative in expect:
            if not (tmp / relative).is_file():
                raise DownloadError(f"{source}: unpacked, but {relative} is missing")
        for relative, digest in (params.member_sha256 or {}).items():
            if (tmp / relative).is_file():  # pinned for some variants only (GloVe 50d)
                verify_sha256(tmp / relative, digest, f"{relative} (unpacked from {source})")


def _gunzip(source: Path, dest: Path) -> None:
    try:
        if source.stat().st_size == 0:  # gzip would read it as an empty stream: no corpus
            raise DownloadError(f"{source}: truncated or corrupt gzip file (empty file)")
        with gzip.open(source, "rb") as packed, open(dest, "wb") as out:
            shutil.copyfileobj(packed, out, CHUNK)
    except (OSError, EOFError, zlib.error) as err:
        _raise_write_failure(err)
        raise DownloadError(f"{source}: truncated or corrupt gzip file ({err})") from err


def _raise_write_failure(err: BaseException) -> None:
    """Re-raise a full disk or an unwritable folder as itself, not as a corrupt archive: the
    `atomic_dir` being written names it (`WriteError`)."""
    if isinstance(err, OSError) and err.errno in WRITE_FAILURES:
        raise err


def _member_path(name: str, archive: Path, strip: str | None) -> PurePosixPath | None:
    """Where a member goes in the output folder (`strip` dropped); refuses absolute paths, `..`."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name.startswith(("/", "\\")):
        raise DownloadError(f"{archive}: unsafe member path {name!r} (absolute or '..')")
    if strip:
        if path.parts[:1] == (strip,):
            path = PurePosixPath(*path.parts[1:]) if len(path.parts) > 1 else PurePosixPath(".")
    return path


def _wanted(path: PurePosixPath, members: list[str] | None) -> bool:
    """Whether a member matches one of the `members` glob patterns (all do when None)."""
    return members is None or any(fnmatch.fnmatchcase(path.as_posix(), m) for m in members)


def _write_member(data: BinaryIO, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with data, open(target, "wb") as out:
        shutil.copyfileobj(data, out, CHUNK)


def safe_extract_tar(
    archive: Path, dest: Path, strip: str | None = None, members: list[str] | None = None
) -> None:
    """Extract a tar archive, refusing absolute paths, `..`, links and special files."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                path = _member_path(member.name, archive, strip)
                if member.issym() or member.islnk():
                    raise DownloadError(f"{archive}: refusing link member {member.name!r}")
                if not (member.isfile() or member.isdir()):
                    raise DownloadError(f"{archive}: refusing special member {member.name!r}")
                if member.isfile() and _wanted(path, members):
                    _write_member(tar.extractfile(member), dest / path)
            while tar.fileobj.read(CHUNK):  # to the end: only there is gzip's CRC checked
                pass
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        _raise_write_failure(err)
        raise DownloadError(f"{archive}: truncated or corrupt archive ({err})") from err


def safe_extract_zip(
    archive: Path, dest: Path, strip: str | None = None, members: list[str] | None = None
) -> None:
    """Extract a zip archive, refusing absolute paths and `..`."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                path = _member_path(info.filename, archive, strip)
                if not info.is_dir() and _wanted(path, members):
                    _write_member(zipped.open(info), dest / path)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as err:
        _raise_write_failure(err)
        raise DownloadError(f"{archive}: truncated or corrupt archive ({err})") from err


def _split_lines(path: Path) -> list[str]:
    if not path.exists():
        raise DownloadError(f"{path}: missing (each split needs a .pt and a .en)")
    try:
        return read_text(path).splitlines()
    except DataError as err:  # a folder, or not UTF-8: a bad download, as the rest here
        raise DownloadError(str(err)) from None


def write_anki_from_splits(folder: Path, dest: Path) -> None:
    """Pool a mirror's line-aligned `{split}.pt` / `{split}.en` files into Anki's TSV format.

    Anki's `por.txt` has `English<TAB>Portuguese<TAB>attribution` per line; writing the mirrored
    subset the same way lets one `prepare` read either source.
    """
    lines = []
    for split in ("train", "val", "test"):
        pt_file, en_file = folder / f"{split}.pt", folder / f"{split}.en"
        pt, en = _split_lines(pt_file), _split_lines(en_file)
        if len(pt) != len(en):
            raise DownloadError(f"{pt_file}: {len(pt)} lines, but {en_file} has {len(en)}")
        for number, (source, target) in enumerate(zip(pt, en, strict=True), 1):
            lines.append(f"{target}\t{source}\t{folder.name}/{split} line {number}\n")
    dest.write_text("".join(lines), encoding="utf-8")
