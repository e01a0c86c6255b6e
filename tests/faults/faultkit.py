"""Helpers shared by the fault suite: what a failed step may leave behind in a folder."""

from __future__ import annotations

from pathlib import Path


def leftovers(folder: Path) -> list[str]:
    """Every temporary file or folder (`*.tmp`, the atomic writers' names) under `folder`."""
    if not folder.exists():
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.tmp"))


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under `folder` with its bytes (None for a folder), to compare before/after."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def one_line(text: str) -> str:
    """The single line of `text`; fails (naming what there was) if it has more or none."""
    lines = text.splitlines()
    assert len(lines) == 1, f"expected one line, got {len(lines)}:\n{text[-3000:]}"
    return lines[0]
