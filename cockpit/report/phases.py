"""Provides the phases part of a report: gates, tasks, criteria with their evidence, and overrides.

Everything comes from the store through the core's own readers (`latest_result`, `phase_status`),
so a criterion never checked reads `not_evaluated` here exactly as in `cockpit show`.
"""

from __future__ import annotations

from typing import Any

from cockpit.core import Cockpit
from cockpit.gates import PhaseState, phase_status
from cockpit.models.phases import Phase
from cockpit.report.model import (
    Attestation,
    CriterionReport,
    OverrideReport,
    PhaseReport,
    Stamp,
    TaskReport,
    Who,
)


def who(value: Any) -> Who | None:
    """The journal's operator dict as a Who (None when the record has none)."""
    return (
        Who(**{k: value.get(k) for k in ("user", "host", "ssh_client")}) if isinstance(value, dict) else None
    )


def stamp(record: dict[str, Any] | None) -> Stamp | None:
    return Stamp(by=who(record.get("by")), at=record.get("at")) if record else None


def phase_reports(cockpit: Cockpit) -> list[PhaseReport]:
    states = cockpit.states()
    return [_phase(cockpit, phase, states[phase.id]) for phase in cockpit.project.phases]


def _phase(cockpit: Cockpit, phase: Phase, state: PhaseState) -> PhaseReport:
    status = phase_status(cockpit.project, cockpit.store, phase, state)
    record = cockpit.store.phase_record(phase.id)
    criteria = _criteria(cockpit, phase)
    override = record.get("override")
    return PhaseReport(
        id=phase.id,
        title=phase.title,
        goal=phase.goal,
        state=state,
        overridden=status.overridden,
        override=_override(phase.id, override, in_force=True) if override else None,
        activated=stamp(record.get("active")),
        completed=stamp(record.get("complete")),
        tasks_done=status.tasks_done,
        tasks_total=status.tasks_total,
        criteria_passed=sum(c.result == "pass" for c in criteria),
        criteria_total=len(criteria),
        tasks=[_task(cockpit, phase.id, t.id, t.title, t.required) for t in phase.tasks],
        criteria=criteria,
        regressions=status.regressions,
    )


def _criteria(cockpit: Cockpit, phase: Phase) -> list[CriterionReport]:
    reports = []
    for (_, criterion), result in zip(phase.criteria(), cockpit.criteria(phase.id), strict=True):
        attested = cockpit.store.attestation(phase.id, criterion.id) if criterion.manual else None
        reports.append(
            CriterionReport(
                id=criterion.id,
                kind=result.kind,
                title=criterion.title,
                principle=criterion.principle,
                type=criterion.check.type,
                result=result.result,
                observed=result.observed,
                expected=result.expected,
                evidence=result.evidence,
                detail=result.detail,
                # A manual criterion is "evaluated" whenever it is read: its time is the attestation's.
                evaluated_at=(attested or {}).get("at") if criterion.manual else result.evaluated_at,
                attestation=(
                    Attestation(
                        evidence=str(attested.get("evidence", "")),
                        by=who(attested.get("by")),
                        at=attested.get("at"),
                    )
                    if attested
                    else None
                ),
            )
        )
    return reports


def _task(cockpit: Cockpit, phase_id: int, task_id: str, title: str, required: bool) -> TaskReport:
    record = cockpit.store.task(phase_id, task_id) or {}
    last_run = record.get("last_run")
    return TaskReport(
        id=task_id,
        title=title,
        required=required,
        done=bool(record.get("done")),
        note=record.get("note"),
        by=who(record.get("by")) if "done" in record else None,
        at=record.get("at") if "done" in record else None,
        last_run=last_run.get("outcome") if isinstance(last_run, dict) else None,
    )


def _override(phase_id: int, record: dict[str, Any], *, in_force: bool) -> OverrideReport:
    return OverrideReport(
        phase=phase_id,
        reason=str(record.get("reason", "")),
        by=who(record.get("by")),
        at=record.get("at"),
        in_force=in_force,
    )


def override_history(events: list[dict[str, Any]]) -> list[OverrideReport]:
    """Every override ever recorded, oldest first; the last one of a phase is in force until cleared."""
    found: list[OverrideReport] = []
    for event in events:
        if event.get("outcome") not in ("ok", None):
            continue
        subject = str(event.get("subject", ""))
        if not subject.isdigit():
            continue
        phase = int(subject)
        if event["action"] in ("phase.overridden", "phase.override_cleared"):
            found = [o if o.phase != phase else o.model_copy(update={"in_force": False}) for o in found]
        if event["action"] == "phase.overridden":
            after = event.get("after") or {}
            found.append(
                _override(
                    phase, {**after, "by": event.get("operator"), "at": event.get("time")}, in_force=True
                )
            )
    return found
