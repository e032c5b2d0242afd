"""Provides the few HTML building blocks of the report, each escaping what it is given.

Every value goes through `html.escape` here and nowhere else, so no note, reason or observed
value can become markup. Badges carry the state as a word and a class for its border pattern.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from cockpit.report import words

FAMILY = {
    "pass": "good",
    "complete": "good",
    "cut_over": "good",
    "finalized": "good",
    "done": "good",
    "fail": "bad",
    "error": "bad",
    "needs_attention": "bad",
    "open": "waiting",
    "drift": "bad",
    "not_evaluated": "unknown",
    "never": "unknown",
    "locked": "unknown",
    "planned": "unknown",
    "inconclusive": "waiting",
    "ready": "waiting",
    "rolled_back": "waiting",
    "active": "busy",
    "cutting_over": "busy",
    "verifying": "busy",
    "rolling_back": "busy",
}


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


LONG_TOKEN = re.compile(r"\S{16,}")
# After the last separator of a run ("https://" stays whole) but not inside a CIDR (`/24` stays
# with its address), and between the date and the time of an ISO 8601 timestamp.
BREAK_AFTER = re.compile(r"(?<=[/_=&?,;])(?=[^/_=&?,;])(?!(?<=\d/)\d)|(?<=\d{4}-\d\d-\d\dT)(?=\d)")
WBR = "<wbr>"
DATE = re.compile(r"\b\d{4}-\d\d-\d\d")  # digits and dashes only: never inside an escaped entity


def flow(value: object) -> str:
    """Escaped text whose long tokens (paths, URLs, disk ids, times) may wrap between their parts.

    A table column is at least as wide as its longest word, so one URL in an observed value would
    push the table off an A4 page; a break hint after `/ _ = & ? , ;` (or after a timestamp's `T`)
    lets it wrap between its parts. Dots, colons and hyphens get none, and a date is kept whole:
    an address, a port, a number or a date is never split.
    """
    text, parts, start = str(value), [], 0
    for match in LONG_TOKEN.finditer(text):
        parts += [
            _dated(text[start : match.start()]),
            WBR.join(map(_dated, BREAK_AFTER.split(match.group()))),
        ]
        start = match.end()
    return "".join([*parts, _dated(text[start:])])


def _dated(text: str) -> str:
    """Escaped, each date kept whole: a browser would otherwise wrap `2026-` away from `11-27`."""
    return DATE.sub(lambda m: f'<span class="nowrap">{m.group()}</span>', esc(text))


def badge(key: str, label: str | None = None) -> str:
    """A state or outcome as a word in a box whose border pattern says its family."""
    word = label if label is not None else words.OUTCOME_WORDS.get(key) or words.state(key)
    return f'<span class="badge {FAMILY.get(key, "unknown")}">{esc(word)}</span>'


def progress(done: int, total: int, what: str) -> str:
    """A bar with its numbers written beside it (the bar alone would say nothing in grey)."""
    pct = words.percent(done, total)
    return (
        f'<div class="progress"><div class="bar" role="img" aria-label="{esc(f"{done} of {total} {what}")}">'
        f'<span style="width:{pct}%"></span></div><span>{esc(f"{done}/{total} {what} ({pct}%)")}</span></div>'
    )


def table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A table; header words are escaped here, cells must already be HTML (escaped by the caller)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def items(values: Iterable[str]) -> str:
    """A bullet list of plain texts (escaped here)."""
    return '<ul class="tight">' + "".join(f"<li>{flow(v)}</li>" for v in values) + "</ul>"


def code(value: object) -> str:
    """An id, a name or a path; kept on one line in a table (the style sheet's `td code`)."""
    return f"<code>{esc(value)}</code>"


def nowrap(value: object) -> str:
    """An address, a number or a short token that must never break across lines."""
    return f'<span class="nowrap">{esc(value)}</span>'


def _as_typed(value: object) -> str:
    return "\n".join(line.rstrip() for line in str(value).strip().splitlines())


def prose(value: object) -> str:
    """Text as typed, inline: its line breaks and blank lines kept (pre-wrap); one line as it is."""
    text = _as_typed(value)
    return f'<span class="prose">{flow(text)}</span>' if "\n" in text else flow(text)


def paragraphs(value: object) -> str:
    """Prose as blocks: a <p> per paragraph (blank-line separated), its line breaks kept inside."""
    chunks = re.split(r"\n{2,}", _as_typed(value))
    return "".join(f'<p class="prose">{flow(chunk)}</p>' for chunk in chunks if chunk.strip())


def anchor(kind: str, name: object) -> str:
    """An id for in-page links: only letters, digits and dashes survive."""
    return f"{kind}-" + "".join(c if c.isalnum() else "-" for c in str(name))
