"""Provides the few HTML building blocks of the report, each escaping what it is given.

Every value goes through `html.escape` here and nowhere else, so no note, reason or observed
value can become markup. Badges carry the state as a word and a class for its border pattern.
"""

from __future__ import annotations

import html
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
    return '<ul class="tight">' + "".join(f"<li>{esc(v)}</li>" for v in values) + "</ul>"


def code(value: object) -> str:
    return f"<code>{esc(value)}</code>"


def anchor(kind: str, name: object) -> str:
    """An id for in-page links: only letters, digits and dashes survive."""
    return f"{kind}-" + "".join(c if c.isalnum() else "-" for c in str(name))
