"""Provides the phase gates: locked, ready, active, complete, and the overridden flag.

`active` and `complete` latch when reached (recorded with their evidence in the store); a later
failing check shows as a regression on the phase, it never relocks the phases after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cockpit.checks.context import CheckContext
from cockpit.checks.local import attestation_result
from cockpit.models.phases import CriterionKind, Phase
from cockpit.project import Project
from cockpit.results import OUTCOMES, CheckResult
from cockpit.store.state import Store

PhaseState = Literal["locked", "ready", "active", "complete"]


@dataclass
class PhaseStatus:
    """A phase as the operator sees it."""

    id: int
    title: str
    state: PhaseState
    overridden: bool
    override_reason: str | None
    tasks_done: int
    tasks_total: int
    required_open: list[str]
    criteria: dict[str, int]
    regressions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "state": self.state,
            "overridden": self.overridden,
            "override_reason": self.override_reason,
            "tasks_done": self.tasks_done,
            "tasks_total": self.tasks_total,
            "required_tasks_open": self.required_open,
            "criteria": self.criteria,
            "regressions": self.regressions,
        }


def phase_states(project: Project, store: Store) -> dict[int, PhaseState]:
    """Each phase's state, in order: a phase is ready only when the one before it is complete."""
    states: dict[int, PhaseState] = {}
    previous_complete = True
    for phase in project.phases:
        record = store.phase_record(phase.id)
        state: PhaseState
        if "complete" in record:
            state = "complete"
        elif "active" in record or "override" in record:
            state = "active"
        elif previous_complete:
            state = "ready"
        else:
            state = "locked"
        states[phase.id] = state
        previous_complete = state == "complete"
    return states


def latest_result(
    project: Project, store: Store, phase: Phase, kind: CriterionKind, criterion_id: str
) -> CheckResult:
    """What is known now: manual criteria from their attestation, others from the last recorded check."""
    criterion = phase.criterion(criterion_id)
    assert criterion is not None
    if criterion.manual:
        return attestation_result(criterion, CheckContext(project, store, phase.id, kind))
    recorded = store.result(phase.id, criterion_id)
    if recorded is None:
        return CheckResult(
            phase=phase.id,
            criterion=criterion_id,
            kind=kind,
            type=criterion.check.type,
            result="not_evaluated",
            detail="never checked",
        )
    fields = {k: v for k, v in recorded.items() if k in CheckResult.model_fields and k != "phase"}
    return CheckResult(phase=phase.id, **fields)


def task_done(store: Store, phase: int, task: str) -> bool:
    record = store.task(phase, task)
    return bool(record and record.get("done"))


def phase_status(project: Project, store: Store, phase: Phase, state: PhaseState) -> PhaseStatus:
    record = store.phase_record(phase.id)
    results = [latest_result(project, store, phase, kind, c.id) for kind, c in phase.criteria()]
    counts: dict[str, int] = {outcome: sum(r.result == outcome for r in results) for outcome in OUTCOMES}
    counts["total"] = len(results)
    override = record.get("override")
    return PhaseStatus(
        id=phase.id,
        title=phase.title,
        state=state,
        overridden=override is not None,
        override_reason=override.get("reason") if override else None,
        tasks_done=sum(task_done(store, phase.id, t.id) for t in phase.tasks),
        tasks_total=len(phase.tasks),
        required_open=[t.id for t in phase.tasks if t.required and not task_done(store, phase.id, t.id)],
        criteria=counts,
        regressions=_regressions(phase, record, results, store),
    )


def _regressions(phase: Phase, record: dict, results: list[CheckResult], store: Store) -> list[str]:
    """What no longer holds since the phase latched active or complete."""
    found: list[str] = []
    latched = {"entry"} if "active" in record else set()
    if "complete" in record:
        latched |= {"entry", "exit"}
        found += [
            f"required task {t.id} is no longer done"
            for t in phase.tasks
            if t.required and not task_done(store, phase.id, t.id)
        ]
    for result in results:
        if result.kind not in latched:
            continue
        if result.result in ("fail", "error"):
            found.append(f"{result.kind} criterion {result.criterion} now {result.result}: {result.observed}")
        elif result.type == "manual" and result.result != "pass":
            found.append(f"{result.kind} criterion {result.criterion} is no longer attested")
    return found


def evidence_of(results: list[CheckResult]) -> dict[str, dict[str, object]]:
    """The evidence a latch keeps: each criterion's result as it was when the gate opened."""
    return {
        r.criterion: {
            "result": r.result,
            "observed": r.observed,
            "evidence": r.evidence,
            "evaluated_at": r.evaluated_at,
        }
        for r in results
    }
