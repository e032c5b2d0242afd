"""Provides the HTML report: one self-contained page, readable in any browser and printable.

Inline CSS only, no script, and nothing fetched: no stylesheet, font or image link, only in-page
anchors. Every value is escaped by `htmltags`; states are words with border patterns as well as
colours, so the page says the same printed in grey.
"""

from __future__ import annotations

from cockpit.report import words
from cockpit.report.htmlservices import decisions_section, services_section
from cockpit.report.htmlstyle import CSS
from cockpit.report.htmltags import anchor, badge, code, esc, flow, items, nowrap, progress, prose, table
from cockpit.report.model import CriterionReport, PhaseReport, Report

TITLE = "Homelab migration progress report"
SECTIONS = (
    ("blockers", "Open blockers"),
    ("phases", "Phases"),
    ("overrides", "Overrides"),
    ("services", "Services"),
    ("decisions", "Decisions"),
)


def render_html(report: Report) -> str:
    body = [_head(report), _blockers(report), _phases(report), _overrides(report)]
    body += [services_section(report), decisions_section(report)]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(TITLE)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _head(report: Report) -> str:
    s, src = report.summary, report.source
    current = f"current phase {s.current_phase}" if s.current_phase is not None else "no phase in progress"
    nav = "".join(f'<li><a href="#{key}">{esc(title)}</a></li>' for key, title in SECTIONS)
    example = " This is the embedded example inventory." if src.example else ""
    return (
        f"<header><h1>{esc(TITLE)}</h1>"
        f'<p class="meta">Generated {esc(report.generated_at)} by {esc(report.operator)}, from config '
        f"{code(src.config)} and store {code(src.store)} (journal event {src.journal_seq}).{esc(example)}</p>"
        '<p class="meta">Nothing here was asked of a backend: every result is what cockpit last recorded, '
        "with its time; what was never checked says so.</p>"
        f"{progress(s.phases_complete, s.phases_total, 'phases complete')}"
        f"<p>{esc(current)}</p>"
        f"{progress(s.tasks_done, s.tasks_total, 'tasks done')}"
        f"{progress(s.services_done, s.services_total, 'services cut over')}"
        f"<p><strong>{esc(s.blockers)} open blocker(s)</strong></p>"
        f"<nav><ul>{nav}</ul></nav></header>"
    )


def _blockers(report: Report) -> str:
    if not report.blockers:
        return '<section id="blockers"><h2>Open blockers</h2><p>No open blockers.</p></section>'
    rows = [
        [
            nowrap(n),
            badge("fail" if b.kind in ("regression", "service") else "open", b.kind),
            nowrap("-" if b.phase is None else b.phase),
            code(b.subject),
            flow(b.message),
        ]
        for n, b in enumerate(report.blockers, start=1)
    ]
    return (
        '<section id="blockers"><h2>Open blockers</h2><div class="alert">'
        + table(["#", "Kind", "Phase", "Subject", "What"], rows)
        + "</div></section>"
    )


def _phases(report: Report) -> str:
    rows = [
        [
            f'<a href="#{anchor("phase", p.id)}">{esc(p.id)}</a>',
            esc(p.title),
            badge(p.state, words.state(p.state).upper())
            + (" " + badge("fail", "OVERRIDDEN") if p.overridden else ""),
            progress(p.tasks_done, p.tasks_total, "tasks"),
            progress(p.criteria_passed, p.criteria_total, "pass"),
        ]
        for p in report.phases
    ]
    overview = table(["Phase", "Title", "State", "Tasks", "Criteria"], rows)
    return (
        '<section id="phases"><h2>Phases</h2>'
        + overview
        + "".join(_phase(p) for p in report.phases)
        + "</section>"
    )


def _phase(p: PhaseReport) -> str:
    latches = [
        f"active since {words.who_when(p.activated.by, p.activated.at)}" if p.activated else "",
        f"complete since {words.who_when(p.completed.by, p.completed.at)}" if p.completed else "",
    ]
    parts = [
        f'<article id="{anchor("phase", p.id)}"><h3>Phase {esc(p.id)}: {esc(p.title)} '
        f"{badge(p.state, words.state(p.state).upper())}</h3>",
        f'<p class="muted">{esc("; ".join(x for x in latches if x))}</p>' if p.activated else "",
        f"<p>Goal: {prose(p.goal)}</p>",
    ]
    if p.override:
        stamp = words.who_when(p.override.by, p.override.at)
        parts.append(
            f'<p class="alert">{badge("fail", "OVERRIDDEN")} by {esc(stamp)}: {prose(p.override.reason)}</p>'
        )
    if p.regressions:
        parts.append('<div class="alert"><strong>REGRESSION</strong>' + items(p.regressions) + "</div>")
    header = ["Criterion and check", "Kind", "Result", "Observed", "Expected", "Evidence"]
    parts += [f"<h4>Criteria of phase {esc(p.id)}</h4>", table(header, [_criterion(c) for c in p.criteria])]
    tasks = [
        [
            code(t.id),
            esc(t.title + ("" if t.required else " (optional)")),
            badge("done" if t.done else "open", "done" if t.done else "OPEN"),
            prose(t.note or "-"),
            esc(words.who_when(t.by, t.at) if t.done else "-"),
        ]
        for t in p.tasks
    ]
    parts += [
        f"<h4>Tasks of phase {esc(p.id)}</h4>",
        progress(p.tasks_done, p.tasks_total, "tasks done"),
        table(["Task", "Title", "Status", "Note", "Done by"], tasks),
        "</article>",
    ]
    return "\n".join(parts)


def _criterion(c: CriterionReport) -> list[str]:
    observed = words.value(c.observed) if c.observed is not None else (c.detail or "-")
    if c.attestation:
        stamp = words.who_when(c.attestation.by, c.attestation.at)
        evidence = f"{c.attestation.evidence} (attested by {stamp})"
    else:
        evidence = (c.evidence or "-") + (f" (checked at {c.evaluated_at})" if c.evaluated_at else "")
    return [
        # The check type shares the id's cell: two unbreakable ids side by side would not fit on A4.
        f'{code(c.id)} {esc(c.title)}<br><span class="muted">check {code(c.type)}</span>',
        esc(c.kind),
        badge(c.result),
        flow(observed),
        flow(words.value(c.expected)),
        prose(evidence),
    ]


def _overrides(report: Report) -> str:
    if not report.overrides:
        return '<section id="overrides"><h2>Overrides</h2><p>No phase was opened by override.</p></section>'
    rows = [
        [
            nowrap(o.phase),
            prose(o.reason),
            esc(words.who_when(o.by, o.at)),
            badge("fail", "IN FORCE") if o.in_force else badge("done", "cleared"),
        ]
        for o in report.overrides
    ]
    return (
        '<section id="overrides"><h2>Overrides</h2>'
        + table(["Phase", "Reason", "By", "Status"], rows)
        + "</section>"
    )
