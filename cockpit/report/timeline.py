"""Provides a service's timeline: its journal events, each said in one line an operator can read.

The full event stays in the journal (`cockpit audit`); the report keeps what happened, to what,
and why, so a reader can follow a cutover and its rollback without reading JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cockpit.errors import unprefixed
from cockpit.report.model import TimelineEntry
from cockpit.report.phases import who

LONGEST = 240


def compact(value: Any, longest: int = LONGEST) -> str:
    """A value in one line, cut at `longest` characters."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    text = " ".join(text.split())
    return text if len(text) <= longest else text[: longest - 3] + "..."


def _entries(entries: Any) -> str:
    if not entries:
        return "nothing"
    parts = [
        f"{e.get('domain') or e.get('item')} -> {e.get('answer') or e.get('ip')}"
        if isinstance(e, dict)
        else str(e)
        for e in entries
    ]
    return ", ".join(parts)


def _transition(before: dict[str, Any], after: dict[str, Any]) -> str:
    reason = f": {after['reason']}" if after.get("reason") else ""
    return f"{before.get('state', '?')} -> {after.get('state', '?')}{reason}"


def _intent(_: dict[str, Any], after: dict[str, Any]) -> str:
    return (
        f"{after.get('purpose', 'change')} on {after.get('server')} for {after.get('hostname')}: "
        f"{_entries(after.get('before'))} => {_entries(after.get('after'))}"
    )


def _outcome(_: dict[str, Any], after: dict[str, Any]) -> str:
    applied = "applied" if after.get("applied") else "NOT applied"
    verdict = f" ({after['reconciled']})" if after.get("reconciled") else ""
    error = f": {unprefixed(str(after.get('server')), str(after['error']))}" if after.get("error") else ""
    return f"{after.get('server')} {after.get('hostname')}: {applied}{verdict}, now {_entries(after.get('observed'))}{error}"


def _verified(_: dict[str, Any], after: dict[str, Any]) -> str:
    words = "verified" if after.get("ok") else f"verification FAILED at {after.get('stage')}"
    return f"{words}: {after['reason']}" if after.get("reason") else words


def _forced(_: dict[str, Any], after: dict[str, Any]) -> str:
    reasons = "; ".join(str(b) for b in after.get("overridden") or [])
    return f"forced past: {reasons}" if reasons else "forced"


def _started(_: dict[str, Any], after: dict[str, Any]) -> str:
    return f"cutover to v3 {after.get('v3')} started"


SUMMARIES: dict[str, Callable[[dict[str, Any], dict[str, Any]], str]] = {
    "service.transition": _transition,
    "dns.intent": _intent,
    "dns.outcome": _outcome,
    "dns.reconciled": _outcome,
    "service.verified": _verified,
    "cutover.forced": _forced,
    "service.cutover_started": _started,
}


def summary(event: dict[str, Any]) -> str:
    before = event.get("before") if isinstance(event.get("before"), dict) else {}
    after = event.get("after") if isinstance(event.get("after"), dict) else {}
    describe = SUMMARIES.get(str(event.get("action")))
    if describe is not None:
        return compact(describe(before or {}, after or {}))
    return compact(event.get("after")) if event.get("after") is not None else ""


def timeline(events: list[dict[str, Any]]) -> list[TimelineEntry]:
    """The events (oldest first) as timeline entries."""
    return [
        TimelineEntry(
            seq=int(e["seq"]),
            time=str(e.get("time", "")),
            by=who(e.get("operator")),
            action=str(e.get("action", "")),
            outcome=str(e.get("outcome", "")),
            summary=summary(e),
        )
        for e in events
    ]
