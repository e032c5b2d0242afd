"""Provides `build_report`: the report model, read from the project and its store, nothing else.

The store is opened read-only (it never takes the lock, so a report can be made while the TUI
or a cutover holds it) and no backend is contacted: the report says what cockpit last recorded
and when, and what was never checked reads as never checked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cockpit.core import Cockpit
from cockpit.errors import CockpitError
from cockpit.operator import Operator, current_operator
from cockpit.project import Project
from cockpit.report.blockers import blockers, working_phases
from cockpit.report.model import DecisionReport, PhaseReport, Report, ServiceReport, Source, Summary, Who
from cockpit.report.phases import override_history, phase_reports
from cockpit.report.services import AT_REST_V3, service_reports


def build_report(
    project: Project, *, operator: Operator | None = None, now: datetime | None = None
) -> Report:
    """Everything the store knows about the migration, as one report."""
    operator = operator or current_operator()
    with Cockpit.open(project, write=False, operator=operator) as cockpit:
        events = list(reversed(cockpit.audit()))  # oldest first
        phases = phase_reports(cockpit)
        services = service_reports(cockpit, events)
        pending = cockpit.store.pending_operations()
        found = blockers(phases, services, pending)
    decisions, note = decisions_of(project)
    return Report(
        generated_at=(now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        operator=Who(**operator.as_dict()),
        source=Source(
            config=str(project.config.source.path),
            origin=project.config.source.origin,
            example=project.config.inventory.example,
            store=str(project.state_dir),
            journal_seq=int(events[-1]["seq"]) if events else 0,
        ),
        summary=_summary(phases, services, len(found)),
        blockers=found,
        phases=phases,
        overrides=override_history(events),
        services=services,
        decisions=decisions,
        decisions_note=note,
    )


def _summary(phases: list[PhaseReport], services: list[ServiceReport], blocker_count: int) -> Summary:
    working = working_phases(phases)
    return Summary(
        phases_total=len(phases),
        phases_complete=sum(p.state == "complete" for p in phases),
        current_phase=working[0].id if working else None,
        tasks_done=sum(p.tasks_done for p in phases),
        tasks_total=sum(p.tasks_total for p in phases),
        services_total=len(services),
        services_done=sum(s.state in AT_REST_V3 for s in services),
        blockers=blocker_count,
    )


def decisions_of(project: Project) -> tuple[list[DecisionReport], str | None]:
    """The decisions log kept beside the config; a note instead when there is none to show."""
    try:
        from cockpit.decisions import list_decisions  # the decisions log is optional to a report
    except ImportError:
        return [], "this cockpit has no decisions log support"
    base = project.config.source.path.parent
    try:
        found = [_decision(d) for d in list_decisions(base)]
    except (CockpitError, OSError) as exc:  # a bad decision file must not cost the whole report
        return [], f"the decisions log could not be read: {exc}"
    return found, None if found else f"no decisions recorded yet beside {base}"


def _decision(decision: Any) -> DecisionReport:
    def text(name: str) -> str | None:
        value = getattr(decision, name, None)
        return None if value is None else str(value)

    return DecisionReport(
        id=text("id") or "",
        title=text("title") or "",
        date=text("date"),
        decision=text("decision") or "",
        rationale=text("rationale") or "",
        principle=text("principle"),
        revisit=text("revisit"),
        path=str(Path(decision.path)) if getattr(decision, "path", None) else None,
    )
