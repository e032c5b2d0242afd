"""Provides the Markdown report: headings, tables and lists that render cleanly on GitHub.

No raw HTML anywhere: every value is escaped by `mdtext`, states are words, progress bars are
plain characters in code spans. The open blockers come right after the summary.
"""

from __future__ import annotations

from cockpit.report import words
from cockpit.report.mdservices import decisions_section, services_section
from cockpit.report.mdtext import bar, cell, cell_or_below, code, item, multiline, paragraphs, table, text
from cockpit.report.model import CriterionReport, PhaseReport, Report


def render_markdown(report: Report) -> str:
    lines = _head(report) + _blockers(report) + _phases(report) + _overrides(report)
    lines += services_section(report) + decisions_section(report)
    return "\n".join(lines).rstrip() + "\n"


def _head(report: Report) -> list[str]:
    s, src = report.summary, report.source
    current = f"current phase {s.current_phase}" if s.current_phase is not None else "no phase in progress"
    example = " This is the embedded example inventory." if src.example else ""
    return [
        "# Homelab migration progress report",
        "",
        f"Generated {text(report.generated_at)} by {text(report.operator)}, from config {code(src.config)} "
        f"and store {code(src.store)} (journal event {src.journal_seq}).{example}",
        "",
        "Nothing here was asked of a backend: every result is what cockpit last recorded, with its time; "
        "what was never checked says so.",
        "",
        f"- Phases complete: {bar(s.phases_complete, s.phases_total)} ({text(current)})",
        f"- Tasks done: {bar(s.tasks_done, s.tasks_total)}",
        f"- Services cut over: {bar(s.services_done, s.services_total)}",
        f"- Open blockers: {s.blockers}",
        "",
    ]


def _blockers(report: Report) -> list[str]:
    lines = ["## Open blockers", ""]
    if not report.blockers:
        return [*lines, "No open blockers.", ""]
    rows = [
        [str(n), cell(b.kind), cell("-" if b.phase is None else b.phase), code(b.subject), cell(b.message)]
        for n, b in enumerate(report.blockers, start=1)
    ]
    return lines + table(["#", "Kind", "Phase", "Subject", "What"], rows)


def _phases(report: Report) -> list[str]:
    rows = [
        [
            str(p.id),
            cell(p.title),
            cell(words.state(p.state).upper() + (" (OVERRIDDEN)" if p.overridden else "")),
            bar(p.tasks_done, p.tasks_total, 10),
            f"{p.criteria_passed}/{p.criteria_total} pass",
        ]
        for p in report.phases
    ]
    lines = ["## Phases", "", *table(["Phase", "Title", "State", "Tasks", "Criteria"], rows)]
    for phase in report.phases:
        lines += _phase(phase)
    return lines


def _phase(p: PhaseReport) -> list[str]:
    lines = [f"### Phase {p.id}: {text(p.title)}", "", f"State: **{cell(words.state(p.state).upper())}**"]
    if p.activated:
        lines[-1] += f"; active since {text(words.who_when(p.activated.by, p.activated.at))}"
    if p.completed:
        lines[-1] += f"; complete since {text(words.who_when(p.completed.by, p.completed.at))}"
    lines += ["", *paragraphs(f"Goal: {p.goal}")]
    if p.override:
        stamp = text(words.who_when(p.override.by, p.override.at))
        if multiline(p.override.reason):
            lines += [f"**OVERRIDDEN** by {stamp}:", "", *paragraphs(p.override.reason)]
        else:
            lines += [f"**OVERRIDDEN** by {stamp}: {text(p.override.reason)}", ""]
    lines += [item(f"REGRESSION: {r}") for r in p.regressions]
    lines += [""] if p.regressions else []
    below: list[str] = []  # the multi-line texts of a table, in full after it
    lines += [
        f"#### Criteria of phase {p.id}",
        "",
        *table(CRITERIA_HEADER, [_criterion(c, below) for c in p.criteria]),
        *below,
    ]
    below = []
    tasks = [
        [
            code(t.id),
            cell(t.title) + ("" if t.required else " (optional)"),
            "done" if t.done else "OPEN",
            cell_or_below(t.note or "-", f"Note of {code(t.id)}", below),
            cell(words.who_when(t.by, t.at) if t.done else "-"),
        ]
        for t in p.tasks
    ]
    lines += [f"#### Tasks of phase {p.id}", "", bar(p.tasks_done, p.tasks_total), ""]
    return lines + table(["Task", "Title", "Status", "Note", "Done by"], tasks) + below


CRITERIA_HEADER = ["Criterion", "Kind", "Check", "Result", "Observed", "Expected", "Evidence"]


def _criterion(c: CriterionReport, below: list[str]) -> list[str]:
    observed = words.value(c.observed) if c.observed is not None else (c.detail or "-")
    evidence = c.evidence or "-"
    if c.attestation:
        stamp = words.who_when(c.attestation.by, c.attestation.at)
        evidence = f"{c.attestation.evidence} (attested by {stamp})"
    elif c.evaluated_at:
        evidence = f"{evidence} (checked at {c.evaluated_at})"
    return [
        code(c.id) + f" {cell(c.title)}",
        c.kind,
        code(c.type),
        f"**{words.outcome(c.result)}**" if c.result != "pass" else "pass",
        cell(observed),
        cell(words.value(c.expected)),
        cell_or_below(evidence, f"Evidence of {code(c.id)}", below),
    ]


def _overrides(report: Report) -> list[str]:
    lines = ["## Overrides", ""]
    if not report.overrides:
        return [*lines, "No phase was opened by override.", ""]
    below: list[str] = []
    rows = [
        [
            str(o.phase),
            cell_or_below(
                o.reason, f"Reason of the override of phase {o.phase} ({text(o.at or '-')})", below
            ),
            cell(words.who_when(o.by, o.at)),
            "in force" if o.in_force else "cleared",
        ]
        for o in report.overrides
    ]
    return lines + table(["Phase", "Reason", "By", "Status"], rows) + below
