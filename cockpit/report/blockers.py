"""Provides the open blockers: what stands between the operator and the next step, worst first.

A regression or a service in needs_attention comes before an open task: the first is something
that was true and broke, the last is work not done yet. The phase that blocks is the one being
worked on: every active phase (its exit criteria and required tasks), or when none is active the
first ready phase (the entry criteria that keep it closed).
"""

from __future__ import annotations

from typing import Any

from cockpit.errors import unprefixed
from cockpit.report.model import Blocker, CriterionReport, PhaseReport, ServiceReport
from cockpit.report.timeline import compact

# Worst first; a criterion that fails (or errs) outranks one that is merely not evaluated yet.
RANK = {"regression": 0, "service": 1, "pending": 2, "criterion": 3, "task": 5}
UNSURE = ("inconclusive", "not_evaluated")
RESULT_WORDS = {
    "fail": "FAILS",
    "error": "could not be evaluated (error)",
    "inconclusive": "is inconclusive",
    "not_evaluated": "is not evaluated",
}


def working_phases(phases: list[PhaseReport]) -> list[PhaseReport]:
    active = [p for p in phases if p.state == "active"]
    if active:
        return active
    return [p for p in phases if p.state == "ready"][:1]


def _criterion(phase: PhaseReport, criterion: CriterionReport) -> Blocker:
    why = criterion.detail or (
        f"observed {compact(criterion.observed, 120)}" if criterion.observed is not None else ""
    )
    return Blocker(
        kind="criterion",
        phase=phase.id,
        subject=f"{phase.id}.{criterion.id}",
        message=f"{criterion.kind} criterion {criterion.id} {RESULT_WORDS[criterion.result]}: {criterion.title}"
        + (f" ({why})" if why else ""),
    )


def _phase_blockers(phase: PhaseReport) -> list[tuple[int, Blocker]]:
    kind = "exit" if phase.state == "active" else "entry"
    found = [
        (RANK["criterion"] + (c.result in UNSURE), _criterion(phase, c))
        for c in phase.criteria
        if c.kind == kind and c.result != "pass"
    ]
    if phase.state == "active":
        found += [
            (
                RANK["task"],
                Blocker(
                    kind="task",
                    phase=phase.id,
                    subject=f"{phase.id}.{t.id}",
                    message=f"required task {t.id} is open: {t.title}",
                ),
            )
            for t in phase.tasks
            if t.required and not t.done
        ]
    return found


def _pending(operation: dict[str, Any]) -> Blocker:
    if operation.get("kind") == "dns":
        what = f"a DNS change of {operation.get('subject')} on {operation.get('server')} ({operation.get('hostname')})"
    else:
        what = f"{operation.get('action')} on {operation.get('target')} for task {operation.get('subject')}"
    return Blocker(
        kind="pending",
        subject=str(operation.get("subject", "")),
        message=f"{what} started at {operation.get('at')} has no recorded outcome; the next writer reconciles it",
    )


def blockers(
    phases: list[PhaseReport], services: list[ServiceReport], pending: list[dict[str, Any]]
) -> list[Blocker]:
    """Every open blocker, sorted: regressions, services needing attention, pending operations,
    failing then unevaluated criteria, open tasks."""
    found = [
        Blocker(kind="regression", phase=p.id, subject=str(p.id), message=f"phase {p.id} regressed: {r}")
        for p in phases
        for r in p.regressions
    ]
    found += [
        Blocker(
            kind="service",
            phase=s.phase,
            subject=s.name,
            message=f"{s.name}: {unprefixed(s.name, s.needs_attention[0])}",
        )
        for s in services
        if s.state == "needs_attention" or s.drift
    ]
    found += [_pending(op) for op in pending]
    ranked = [(RANK[b.kind], b) for b in found]
    for phase in working_phases(phases):
        ranked += _phase_blockers(phase)
    return [b for _, b in sorted(ranked, key=lambda pair: pair[0])]  # stable: phase order within a rank
