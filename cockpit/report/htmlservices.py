"""Provides the HTML report's services and decisions: the board, each service, the log.

Every value is escaped by `htmltags`; never-checked answers and drift carry their own badge, so
an unknown is never drawn like a pass.
"""

from __future__ import annotations

from cockpit.report import words
from cockpit.report.htmltags import anchor, badge, code, esc, flow, items, nowrap, paragraphs, table
from cockpit.report.model import Report, ServiceReport


def services_section(report: Report) -> str:
    rows = [
        [
            f'<a href="#{anchor("service", s.name)}">{esc(s.name)}</a>',
            nowrap(s.phase),
            badge(s.state),
            nowrap(s.v2 or "-"),
            nowrap(s.v3),
            esc(words.by_server(s.dns)),
            _drift_badge(s.drift),
            badge("needs_attention", f"YES ({len(s.needs_attention)})") if s.needs_attention else esc("no"),
        ]
        for s in report.services
    ]
    header = ["Service", "Phase", "State", "v2", "v3", words.DNS_COLUMN, "Drift", "Needs attention"]
    return (
        '<section id="services"><h2>Services</h2>'
        + table(header, rows)
        + "".join(map(_service, report.services))
        + "</section>"
    )


def _drift_badge(drift: list[str] | None) -> str:
    if drift is None:
        return badge("never", words.NEVER)
    return badge("drift", words.drift(drift)) if drift else badge("done", "none")


def _service(s: ServiceReport) -> str:
    title = f"{s.name}: {s.title}" if s.title else s.name
    since = f" since {s.since}" if s.since else ""
    parts = [
        f'<article id="{anchor("service", s.name)}"><h3>Service {esc(title)} {badge(s.state)}</h3>',
        f"<p>{esc(words.state(s.state))}{esc(since)}{flow(': ' + s.reason if s.reason else '')}</p>",
        f"<p>Names: {', '.join(code(h) for h in s.hostnames) or '-'}; v2 {nowrap(s.v2 or '-')}, "
        f"v3 {nowrap(s.v3)}; phase {esc(s.phase)}; cutover {esc(s.cutover)}; "
        f"on a failed verification: {esc(s.rollback_policy)}</p>",
        f"<p>Drift: {_drift_badge(s.drift)}{esc(_drift_when(s))}</p>",
        _dns(s),
    ]
    if s.needs_attention:
        parts.append(
            '<div class="alert"><strong>Needs attention</strong>' + items(s.needs_attention) + "</div>"
        )
    parts.append(_runbook(s))
    if s.timeline:
        rows = [
            [
                nowrap(e.seq),
                esc(e.time),
                esc(e.by or "-"),
                code(e.action),
                esc(e.outcome),
                flow(e.summary or "-"),
            ]
            for e in s.timeline
        ]
        parts += ["<h4>Timeline</h4>", table(["#", "Time", "By", "Event", "Outcome", "What"], rows)]
    return "\n".join(parts) + "</article>"


def _drift_when(s: ServiceReport) -> str:
    if s.drift is None or not s.drift_at:
        return ""
    return (
        f" (as of {s.drift_at}; the findings are under Needs attention)" if s.drift else f" at {s.drift_at}"
    )


def _dns(s: ServiceReport) -> str:
    if s.dns.checked_at is None:
        return f"<p>DNS: {badge('never', words.NEVER)} (nothing recorded: no verification, no write)</p>"
    if s.dns.verified_at is None:
        verdict = esc("no verification recorded")
    else:
        outcome = badge("pass", "ok") if s.dns.ok else badge("fail", "FAILED")
        verdict = f"last verification {outcome} at {esc(s.dns.verified_at)}"
    rows = [
        [esc(a.server), code(a.hostname), nowrap(words.answer(a)), esc(words.seen(a))] for a in s.dns.answers
    ]
    return f"<h4>{esc(words.DNS_HEADING)} (newest {esc(s.dns.checked_at)}; {verdict})</h4>" + table(
        ["Server", "Name", "Answer", "Seen"], rows
    )


def _runbook(s: ServiceReport) -> str:
    parts = ["<h4>Runbook</h4>"]
    steps = [(step, getattr(s.runbook, step)) for step in ("start", "stop", "backup", "restore", "rollback")]
    for step, body in [*steps, ("notes", s.runbook.notes)]:
        if body:
            parts.append(f"<p><strong>{esc(step.capitalize())}</strong></p><pre>{esc(body)}</pre>")
    if s.runbook.missing:
        parts.append(f'<p class="muted">Not written yet: {esc(", ".join(s.runbook.missing))}.</p>')
    return "\n".join(parts)


def decisions_section(report: Report) -> str:
    if not report.decisions:
        note = report.decisions_note or "No decisions recorded."
        return f'<section id="decisions"><h2>Decisions</h2><p>{esc(note)}</p></section>'
    parts = ['<section id="decisions"><h2>Decisions</h2>']
    for d in report.decisions:
        facts = [
            f"{name}: {value}"
            for name, value in (("Date", d.date), ("Principle", d.principle), ("File", d.path))
            if value
        ]
        parts += [
            f'<article id="{anchor("decision", d.id)}"><h3>{esc(d.id)}: {esc(d.title)}</h3>',
            items(facts),
        ]
        for name, body in (("Decision", d.decision), ("Rationale", d.rationale), ("Revisit when", d.revisit)):
            if body:
                parts.append(f"<h4>{esc(name)}</h4>{paragraphs(body)}")
        parts.append("</article>")
    return "\n".join(parts) + "</section>"
