"""Provides Markdown escaping that GitHub renders as the literal text, never as markup or HTML.

Every value from the store, the config or a decision file goes through here: punctuation that
Markdown reads (emphasis, links, raw HTML, table pipes) is backslash-escaped, so a note such as
`<script>` or `a | b` shows as typed and cannot break a table or inject HTML.
"""

from __future__ import annotations

import re

SPECIAL = re.compile(r"([\\`*_\[\]<>|~#&!])")
LINE_START = re.compile(r"^([-+=>]|\d+(?=[.)]))")


def text(value: object) -> str:
    """Inline text: one line, Markdown punctuation escaped."""
    return SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def cell(value: object) -> str:
    """A table cell: inline text, never empty (an empty cell reads as a missing column)."""
    escaped = text(value)
    return escaped if escaped else "-"


def code(value: object) -> str:
    """A code span (ids, paths): a fence longer than any backtick run inside; pipes escaped for tables."""
    flat = " ".join(str(value).split()).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def block(value: str) -> list[str]:
    """Multi-line text kept as typed (commands, runbooks): a fenced block no line inside can close."""
    longest = max((len(run) for run in re.findall(r"`{3,}|~{3,}", value)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *value.rstrip().splitlines(), fence]


def paragraphs(value: str) -> list[str]:
    """Prose (a rationale, a note): paragraphs separated by blank lines, the line breaks inside a
    paragraph kept as hard breaks (a trailing backslash, never `<br>`), every line escaped."""
    found: list[str] = []
    for chunk in re.split(r"\n\s*\n", value.strip()):
        rows = [_not_a_block(text(line)) for line in chunk.splitlines() if line.strip()]
        if rows:
            found += [*(row + "\\" for row in rows[:-1]), rows[-1], ""]
    return found


def multiline(value: object) -> bool:
    """Whether a value has more than one line: a table cell cannot hold it whole."""
    return len([line for line in str(value).splitlines() if line.strip()]) > 1


def cell_or_below(value: object, label: str, below: list[str]) -> str:
    """A cell for text that may span lines: one line stays in the cell; more lines go below the
    table, under `label`, with their paragraphs and line breaks (a GitHub table row is one line)."""
    if not multiline(value):
        return cell(value)
    below += [f"{label}:", "", *paragraphs(str(value))]
    first = next(line for line in str(value).splitlines() if line.strip())
    return f"{cell(first)} (in full below the table)"


def _not_a_block(line: str) -> str:
    """A paragraph that starts like a list item, a heading underline or a quote stays a paragraph."""
    match = LINE_START.match(line)
    if match is None:
        return line
    if match.group(1)[0].isdigit():  # `1. ` is a list: escape the dot, not the digits
        return line[: match.end()] + "\\" + line[match.end() :]
    return "\\" + line


def item(value: object) -> str:
    """A bullet list item whose text cannot start a nested list."""
    return "- " + _not_a_block(text(value))


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A GitHub table; cells are already escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def bar(done: int, total: int, width: int = 20) -> str:
    """A progress bar in plain characters, as a code span so GitHub keeps it monospaced."""
    filled = round(width * done / total) if total else 0
    return f"`[{'#' * filled}{'.' * (width - filled)}]` {done}/{total}"
