"""Provides the Markdown report's services and decisions: the board, each service, the log.

Each service says its state, what each DNS server answered at the last recorded check (or that
it was never checked), its drift, what needs attention, its runbook and its timeline.
"""

from __future__ import annotations

from cockpit.report import words
from cockpit.report.mdtext import block, cell, code, item, paragraphs, table, text
from cockpit.report.model import Report, ServiceReport


def services_section(report: Report) -> list[str]:
    rows = [
        [
            code(s.name),
            str(s.phase),
            cell(words.state(s.state)),
            cell(s.v2 or "-"),
            cell(s.v3),
            cell(words.by_server(s.dns)),
            cell(words.drift(s.drift)),
            cell(f"YES ({len(s.needs_attention)})" if s.needs_attention else "no"),
        ]
        for s in report.services
    ]
    header = ["Service", "Phase", "State", "v2", "v3", words.DNS_COLUMN, "Drift", "Needs attention"]
    lines = ["## Services", "", *table(header, rows)]
    for service in report.services:
        lines += _service(service)
    return lines


def _service(s: ServiceReport) -> list[str]:
    since = f" since {text(s.since)}" if s.since else ""
    reason = f": {text(s.reason)}" if s.reason else ""
    lines = [
        f"### Service {text(s.name)}" + (f": {text(s.title)}" if s.title else ""),
        "",
        f"- State: **{cell(words.state(s.state))}**{since}{reason}",
        f"- Names: {', '.join(code(h) for h in s.hostnames) or '-'}; v2 {cell(s.v2 or '-')}, v3 {cell(s.v3)}",
        f"- Phase {s.phase}; cutover {text(s.cutover)}; on a failed verification: {text(s.rollback_policy)}",
        f"- Drift: {text(words.drift(s.drift, s.drift_at))}{_drift_when(s)}",
        "",
    ]
    lines += _dns(s)
    if s.needs_attention:
        lines += ["#### Needs attention", "", *(item(entry) for entry in s.needs_attention), ""]
    lines += _runbook(s)
    if s.timeline:
        rows = [
            [
                str(e.seq),
                cell(e.time),
                cell(e.by or "-"),
                code(e.action),
                cell(e.outcome),
                cell(e.summary or "-"),
            ]
            for e in s.timeline
        ]
        lines += ["#### Timeline", "", *table(["#", "Time", "By", "Event", "Outcome", "What"], rows)]
    return lines


def _drift_when(s: ServiceReport) -> str:
    if not s.drift or not s.drift_at:
        return ""
    return f", as of {text(s.drift_at)} (the findings are under Needs attention)"


def _dns(s: ServiceReport) -> list[str]:
    if s.dns.checked_at is None:
        return [f"DNS: {words.NEVER} (nothing recorded: no verification, no write).", ""]
    rows = [
        [cell(a.server), code(a.hostname), cell(words.answer(a)), cell(words.seen(a))] for a in s.dns.answers
    ]
    if s.dns.verified_at is None:
        verdict = "no verification recorded"
    else:
        verdict = f"last verification {'ok' if s.dns.ok else 'FAILED'} at {text(s.dns.verified_at)}"
    return [
        f"{words.DNS_HEADING} (newest {text(s.dns.checked_at)}; {verdict}):",
        "",
        *table(["Server", "Name", "Answer", "Seen"], rows),
    ]


def _runbook(s: ServiceReport) -> list[str]:
    lines = ["#### Runbook", ""]
    steps = [(step, getattr(s.runbook, step)) for step in ("start", "stop", "backup", "restore", "rollback")]
    for step, body in [*steps, ("notes", s.runbook.notes)]:
        if body:
            lines += [f"**{step.capitalize()}**", "", *block(body), ""]
    if s.runbook.missing:
        lines += [f"Not written yet: {', '.join(s.runbook.missing)}.", ""]
    return lines


def decisions_section(report: Report) -> list[str]:
    lines = ["## Decisions", ""]
    if not report.decisions:
        return [*lines, text(report.decisions_note or "No decisions recorded."), ""]
    for d in report.decisions:
        lines += [f"### {text(d.id)}: {text(d.title)}", ""]
        facts = [("Date", d.date), ("Principle", d.principle), ("File", d.path)]
        lines += [f"- {name}: {cell(value)}" for name, value in facts if value] + [""]
        for name, body in (("Decision", d.decision), ("Rationale", d.rationale), ("Revisit when", d.revisit)):
            if body:
                lines += [f"**{name}**", "", *paragraphs(body)]
    return lines
