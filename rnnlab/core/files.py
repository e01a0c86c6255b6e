"""Atomic, byte-stable writes: nothing half-written is ever left where a reader looks.

Every output is written to a temporary sibling and renamed into place, so an interrupted stage
leaves either the old file or the new one, never a torn one. A write the file system refuses (a
full disk, a read-only or unwritable folder) is a `WriteError` naming the file and the reason,
the temporary sibling removed and the old file kept.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import re
import secrets
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.core.errors import DataError

# what the file system says when it refuses a write, in a user's words
WRITE_FAILURES = {errno.ENOSPC: "no space left on the disk", errno.EDQUOT: "disk quota exceeded",
                  errno.EACCES: "permission denied", errno.EPERM: "permission denied",
                  errno.EROFS: "read-only file system", errno.EFBIG: "file too large"}


class WriteError(DataError):
    """A file or folder the file system would not let us write; nothing half-written is left."""


def write_error(err: OSError, target: str | os.PathLike) -> WriteError | None:
    """`err` as one line naming `target` (and the path refused, if another), when it is a
    refused write; None for any other error (a bug, or not about writing)."""
    reason = WRITE_FAILURES.get(err.errno)
    if reason is None:
        return None
    where = f" at {err.filename}" if err.filename and Path(err.filename) != Path(target) else ""
    return WriteError(f"{target}: could not be written: {reason}{where} (nothing was replaced; "
                      "free some space or fix the folder's permissions, then run again)")


@contextlib.contextmanager
def _writing(target: Path) -> Iterator[None]:
    try:
        yield
    except OSError as err:
        failure = write_error(err, target)
        if failure is None:
            raise
        raise failure from err


# npz members get this timestamp so that the same arrays always give the same bytes.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


# A temporary sibling of `<target>` is `.<target>.<pid>.<random>.tmp`; the pid says whether the
# writer may still be running, the exact pattern whose target it is (see `remove_leftovers`).
# `tempfile`'s names before this format were `.<target>.<8 of [a-z0-9_]>.tmp`, without a pid.
_TEMP = r"\.{name}\.(?:(?P<pid>\d+)\.[0-9a-f]{{8}}|[a-z0-9_]{{8}})\.tmp"


def remove_leftovers(path: str | os.PathLike) -> list[Path]:
    """Delete the temporary siblings a killed writer of `path` left behind; return them.

    Safe beside other writers: the pattern is anchored on the whole target name, so the temps of
    another target (`a.b` beside `a`, `a` beside `ab`) never match; and a temp whose pid is a
    live process is kept, so a second writer of the same target (a stage run by hand while DVC
    runs it) keeps its own. DVC itself runs one stage per output at a time (its lock), so the
    writer that calls this is the only one of `path`; a temp of the older, pid-less format is
    from a process that is gone (or of that format's code, which cannot be running the same
    stage at once). Only the target's own folder is looked at, not the tree.
    """
    target = Path(path)
    pattern = re.compile(_TEMP.format(name=re.escape(target.name)))
    try:
        siblings = list(target.parent.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    removed = []
    for sibling in siblings:
        found = pattern.fullmatch(sibling.name)
        if found is None or (found["pid"] and _alive(int(found["pid"]))):
            continue
        _remove(sibling)
        removed.append(sibling)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, run by another user
        return True
    return True


def _remove(path: Path) -> None:
    """A file, link or whole folder; already gone is fine (another cleaner got there first)."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


def _temp_sibling(target: Path, make: Callable[[Path], None]) -> Path:
    """A new, empty temporary sibling of `target`, created exclusively by `make`."""
    while True:
        tmp = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            make(tmp)
            return tmp
        except FileExistsError:  # 2**32 names: only a clash with a live writer, try another
            continue


def _prepare(target: Path, want_folder: bool) -> None:
    """The target's folder made, anything in the way named, the target's leftovers removed."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise DataError(f"{_first_file(target.parent)}: is a file, expected a folder "
                        f"(remove it, then run again)") from None
    if want_folder and (target.is_symlink() or target.exists()) and not target.is_dir():
        raise DataError(f"{target}: is a file, expected a folder (remove it, then run again)")
    if not want_folder and target.is_dir() and not target.is_symlink():
        raise DataError(f"{target}: is a folder, expected a file (remove it, then run again)")
    remove_leftovers(target)


def _first_file(folder: Path) -> Path:
    """The first path on the way to `folder` that is a file, not a folder."""
    for parent in [*reversed(folder.parents), folder]:
        if parent.exists() and not parent.is_dir():
            return parent
    return folder


def _new_file(path: Path) -> None:
    # the mode open() would give (mkstemp's 0600 made every output private to its writer)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds.

    A writer killed before the rename leaves its temp, which the next writer of `path` removes.
    """
    target = Path(path)
    with _writing(target):
        _prepare(target, want_folder=False)
        tmp = _temp_sibling(target, _new_file)
        try:
            yield tmp
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside `path`; it replaces `path` only if the block succeeds.

    The old folder is renamed aside before the new one is renamed in, and deleted after, so a
    kill at any point leaves `path` whole (old or new) or absent, never half-deleted; what is
    left aside has a temp's name and goes with the next writer's `remove_leftovers`.
    """
    target = Path(path)
    with _writing(target):
        _prepare(target, want_folder=True)
        tmp = _temp_sibling(target, Path.mkdir)
        old = None
        try:
            yield tmp
            if target.is_symlink() or target.exists():
                # rename() onto an empty folder or a file replaces it: a folder needs the
                # first, a link to one (which is replaced, not followed) the second
                old = _temp_sibling(target, _new_file if target.is_symlink() else Path.mkdir)
                os.replace(target, old)
            try:
                os.replace(tmp, target)
            except BaseException:  # the old folder goes back: nothing lost
                if old is not None:
                    aside, old = old, None  # kept, even if it cannot go back
                    os.replace(aside, target)
                raise
        finally:
            for leftover in (tmp, old):
                if leftover is not None and (leftover.is_symlink() or leftover.exists()):
                    _remove(leftover)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, data: Any) -> None:
    """JSON with sorted keys and a final newline, so equal data gives equal bytes."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def read_text(path: str | os.PathLike) -> str:
    """A UTF-8 text file; a missing or undecodable one is a `DataError` naming it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: missing (run the stage that writes it first)") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, expected a file") from None
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None


def read_json(path: str | os.PathLike) -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None


def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """Like `np.savez`, but byte-stable: fixed member timestamps, members in name order."""
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[name]),
                                      allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_EPOCH)
            archive.writestr(info, buffer.getvalue())


def read_table(path: str | os.PathLike, columns: list[str] | None = None) -> Any:
    """A parquet table (a pandas DataFrame); a missing or damaged one is a `DataError`."""
    import pandas as pd

    try:
        return pd.read_parquet(path, columns=columns)
    except FileNotFoundError:
        raise DataError(f"{path}: missing (run the stage that writes it first)") from None
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise DataError(f"{path}: not a readable parquet table ({err})") from None


def write_table(path: str | os.PathLike, table: Any) -> None:
    with atomic_path(path) as tmp:
        table.to_parquet(tmp, index=False)


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Arrays saved by `save_npz`; never unpickles (a crafted file cannot run code)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise DataError(f"{path}: missing (run the stage that writes it first)") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
        raise DataError(f"{path}: not a readable .npz file ({err})") from None
    # numpy hands back the raw bytes of a member without the .npy header instead of failing
    for name, array in arrays.items():
        if not isinstance(array, np.ndarray):
            raise DataError(f"{path}: not a readable .npz file (member {name!r} is not a .npy "
                            "array)")
    return arrays
