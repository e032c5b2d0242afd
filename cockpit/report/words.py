"""Provides the words the renderers share: outcome and state labels, values in one line.

A state or an outcome is always said in a word (capitals for what is wrong), so a report printed
in grey or read by a screen reader says the same as one in colour.
"""

from __future__ import annotations

from typing import Any

from cockpit.report.timeline import compact

OUTCOME_WORDS = {
    "pass": "pass",
    "fail": "FAIL",
    "error": "ERROR",
    "inconclusive": "inconclusive",
    "not_evaluated": "not evaluated",
}
STATE_WORDS = {"needs_attention": "NEEDS ATTENTION"}
LONGEST_VALUE = 400
NEVER = "never checked"
DNS_COLUMN = "DNS as last seen"
DNS_HEADING = "DNS as last seen"


def outcome(result: str) -> str:
    return OUTCOME_WORDS.get(result, result)


def state(name: str) -> str:
    return STATE_WORDS.get(name, name.replace("_", " "))


def value(data: Any) -> str:
    """An observed or expected value in one line ('-' for none); the JSON report keeps it whole."""
    return "-" if data is None or data == "" else compact(data, LONGEST_VALUE)


def who_when(by: Any, at: str | None) -> str:
    parts = [str(by) if by is not None else "", f"at {at}" if at else ""]
    return " ".join(p for p in parts if p) or "-"


def answer(item: Any) -> str:
    """A DNS answer with its label: `v3 (192.168.30.10)`, `NXDOMAIN`, `error: ...`."""
    if isinstance(item.answer, str):
        return item.answer
    addresses = ", ".join(item.answer) or "no address"
    return f"{item.label} ({addresses})" if item.label in ("v2", "v3", "old") else f"other ({addresses})"


def seen(item: Any) -> str:
    """How and when an answer was recorded: `answered at T` (a verification) or `read back at T`."""
    how = "read back" if item.source == "read_back" else "answered"
    return f"{how} at {item.at}" if item.at else f"{how}, time not recorded"


def by_server(dns: Any) -> str:
    """The newest answers in a few words: `adguard v3, pihole v2` (`v3/v2` when names disagree)."""
    if dns.checked_at is None:
        return NEVER
    labels: dict[str, list[str]] = {}
    for item in dns.answers:
        word = {"nxdomain": "NXDOMAIN", "error": "ERROR", "other": "OTHER"}.get(item.label, item.label)
        if word not in labels.setdefault(item.server, []):
            labels[item.server].append(word)
    return ", ".join(f"{server} {'/'.join(found)}" for server, found in labels.items()) or "no answers"


def percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 0


def drift(found: list[str] | None, at: str | None = None) -> str:
    """The drift verdict in a few words, with the time of what it rests on."""
    if found is None:
        return NEVER
    if found:
        return f"DRIFT ({len(found)})"
    return f"none at the last check ({at})" if at else "none at the last check"
