"""The one writer of `metrics/samples/<task>.md`: a fixed, evenly spaced sample as a table."""

from __future__ import annotations

from collections.abc import Sequence


def spaced(total: int, count: int) -> list[int]:
    """`count` indices evenly spaced through `total` items: a fixed sample, not a chosen one.

    Index `i` of `k` is `i * (total - 1) / (k - 1)` rounded down, in integers: the float
    `linspace` gave 14.999… for 15 (`spaced(31, 23)`) and so picked the row before.
    """
    if total <= 0 or count < 1:
        return []
    k = min(count, total)
    if k == 1:
        return [0]
    return [i * (total - 1) // (k - 1) for i in range(k)]


def cell(text: object) -> str:
    """A value as one Markdown table cell: whitespace collapsed, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def markdown_blocks(intro: str, blocks: Sequence[tuple[str, str]]) -> str:
    """Texts whose line breaks matter (generated text), each under its heading, verbatim."""
    lines = [intro, ""]
    for title, text in blocks:
        lines += [f"### {title}", "", "```", text, "```", ""]
    return "\n".join(lines)
