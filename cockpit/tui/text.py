"""Provides the TUI's words and marks: progress bars, outcome labels, plans, all in plain ASCII.

Everything shown on screen passes through `safe`: secrets are masked (the core's redactor knows
every secret resolved in this process) and the result is a `rich.text.Text`, so text from a
backend or the journal is never read as markup. Marks are ASCII on purpose: an operator on a
phone over SSH has fonts where box-drawing and block glyphs take two cells, or one, or none.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.text import Text

from cockpit.secrets import REDACTOR

if TYPE_CHECKING:
    from cockpit.cutover.plan import ServicePlan

OUTCOME_LABELS = {
    "pass": "pass",
    "fail": "FAIL",
    "error": "ERROR",
    "inconclusive": "inconclusive",
    "not_evaluated": "not evaluated",
}
OUTCOME_STYLES = {
    "pass": "green",
    "fail": "bold red",
    "error": "bold red",
    "inconclusive": "yellow",
    "not_evaluated": "dim",
}
STATE_STYLES = {
    "locked": "dim",
    "ready": "",
    "active": "bold cyan",
    "complete": "green",
    "needs_attention": "bold reverse red",
    "cut_over": "green",
    "finalized": "green",
    "rolled_back": "yellow",
}


def redact(value: object) -> str:
    """A value as one line of text, secrets masked."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return REDACTOR.redact(text)


# Typographic characters the seed and operators' notes use, which are East Asian "ambiguous"
# width: some SSH clients draw them two cells wide and shift the rest of the line.
PLAIN = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u2014": "-",
        "\u2013": "-",
        "\u2026": "...",
        "\u2192": "->",
        "\u2190": "<-",
        "\u00d7": "x",
    }
)


def plain(text: str) -> str:
    """The text with typographic quotes, dashes, ellipses and arrows in ASCII, as a terminal draws them."""
    return text.translate(PLAIN)


def safe(value: object, style: str = "") -> Text:
    """A value ready for a widget: secrets masked, never interpreted as markup, glyphs of one width."""
    return Text(plain(redact(value)), style=style)


def bar(done: int, total: int, width: int = 10) -> str:
    """`[####------] 4/10`: a progress bar any terminal font draws in one cell per character."""
    filled = round(width * done / total) if total else 0
    return f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total}"


def when(stamp: str | None) -> str:
    """An ISO time as the operator reads it ("2026-11-27 02:00:13"), or "never"."""
    if not stamp:
        return "never"
    return stamp.replace("T", " ")[:19]


def entries(items: list[dict[str, Any]]) -> str:
    parts = [
        f"'{e['item']}'" if e["kind"] == "host" else f"{e['domain']} -> {e['answer']} ({e['kind']})"
        for e in items
    ]
    return ", ".join(parts) or "nothing"


def plan_text(plans: list[ServicePlan]) -> str:
    """The plan as the confirmation shows it: per server and name, now and after, then every blocker."""
    lines: list[str] = []
    for plan in plans:
        healthy = "healthy" if plan.v3_healthy else "NOT healthy"
        lines.append(f"{plan.service}: {plan.state}, v2 {plan.v2} -> v3 {plan.v3} (v3 {healthy})")
        for server, names in plan.live.items():
            for name, now in names.items():
                lines.append(f"  {server} {name}")
                lines.append(f"    now:   {entries(now)}")
                lines.append(f"    after: {entries(plan.after[server][name])}")
        lines += [f"  BLOCKED: {blocker}" for blocker in plan.blockers]
        if not plan.blockers:
            lines.append("  can apply")
    return redact("\n".join(lines))


def result_line(result: dict[str, Any]) -> str:
    """One engine result in a notification: the state the service reached and why."""
    return redact(f"{result['service']}: {str(result['state']).upper()} ({result.get('reason', '')})")
