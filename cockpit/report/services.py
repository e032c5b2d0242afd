"""Provides the services part of a report: the cutover board as the store last recorded it.

A report never asks a backend: what each DNS server answered is the last recorded verification,
and drift is judged from the entries cockpit last read back. A service whose names were never
checked says so (drift None, no answers), it is never shown as fine.
"""

from __future__ import annotations

from typing import Any

from cockpit.core import Cockpit
from cockpit.models.inventory import Service
from cockpit.report.model import RUNBOOK_STEPS, AnswerLabel, DnsAnswer, Runbook, ServiceDns, ServiceReport
from cockpit.report.timeline import timeline

AT_REST_V3 = frozenset({"cut_over", "finalized"})
AT_REST_V2 = frozenset({"planned", "ready", "rolled_back"})


def service_reports(cockpit: Cockpit, events: list[dict[str, Any]]) -> list[ServiceReport]:
    """Every service of the inventory, in inventory order, with its timeline from `events`."""
    pending = [p for p in cockpit.store.pending_operations() if p.get("kind") == "dns"]
    reports = []
    for service in cockpit.project.config.inventory.services:
        record = cockpit.store.service_record(service.name) or {}
        mine = [e for e in events if e.get("subject") == service.name]
        reports.append(_service(cockpit, service, record, mine, pending))
    return reports


def _service(
    cockpit: Cockpit,
    service: Service,
    record: dict[str, Any],
    events: list[dict[str, Any]],
    pending: list[dict[str, Any]],
) -> ServiceReport:
    state = str(record.get("state", "planned"))
    earlier = cockpit.project.config.service(service.follows) if service.follows else None
    dns = last_answers(service, record, earlier)
    drift = recorded_drift(service, record, state, dns)
    return ServiceReport(
        name=service.name,
        title=service.title,
        hostnames=list(service.hostnames),
        phase=service.phase,
        cutover=service.cutover,
        rollback_policy=service.rollback,
        state=state,
        since=record.get("since"),
        reason=str(record.get("reason") or ""),
        v2=str(service.v2) if service.v2 is not None else None,
        v3=str(service.v3),
        dns=dns,
        drift=drift,
        needs_attention=attention_items(service, record, state, drift, pending),
        runbook=runbook_of(service),
        timeline=timeline(events),
    )


def _label(service: Service, earlier: Service | None, answer: list[str] | str) -> AnswerLabel:
    if isinstance(answer, str):
        return "nxdomain" if answer == "NXDOMAIN" else "error"
    if service.v2 is not None and answer == [str(service.v2)]:
        return "v2"
    if answer == [str(service.v3)]:
        return "v3"
    if earlier is not None and earlier.v2 is not None and answer == [str(earlier.v2)]:
        return "old"  # the move this one follows has not happened yet
    return "other"


def last_answers(service: Service, record: dict[str, Any], earlier: Service | None) -> ServiceDns:
    """What each server answered at the last recorded verification (none recorded: never checked)."""
    verified = record.get("verified")
    if not isinstance(verified, dict):
        return ServiceDns()
    answers = []
    for server, by_name in sorted((verified.get("answers") or {}).items()):
        for hostname, answer in sorted(by_name.items()):
            value: list[str] | str = [str(a) for a in answer] if isinstance(answer, list) else str(answer)
            answers.append(
                DnsAnswer(
                    server=server, hostname=hostname, answer=value, label=_label(service, earlier, value)
                )
            )
    return ServiceDns(checked_at=verified.get("at"), ok=verified.get("ok"), answers=answers)


def _addresses(entries: Any) -> set[str]:
    return {str(e.get("answer") or e.get("ip")) for e in entries or [] if isinstance(e, dict)}


def recorded_drift(service: Service, record: dict[str, Any], state: str, dns: ServiceDns) -> list[str] | None:
    """Disagreements between the state and what was last read back; None when nothing was ever read.

    A drift a writer observed (`drift.observed`: the board, `cockpit check`) is on record as such,
    for a service in any state; the rest is judged from the entries the engine last read back.
    """
    observed = record.get("drift")
    if observed is not None:
        return list(observed.get("findings") or [])
    servers = record.get("servers") or {}
    seen = [(s, h, e) for s, names in servers.items() for h, e in names.items() if "live" in e]
    if not seen and dns.checked_at is None:
        return None
    findings: list[str] = []
    if state in AT_REST_V3 | AT_REST_V2:
        for server, hostname, entry in seen:
            expected = entry.get("after") if state in AT_REST_V3 else entry.get("before")
            if _addresses(entry["live"]) != _addresses(expected):
                findings.append(
                    f"{server}: {hostname} last read back {sorted(_addresses(entry['live'])) or 'nothing'}, "
                    f"not what cockpit recorded for a {state} service ({sorted(_addresses(expected))})"
                )
        want = "v3" if state in AT_REST_V3 else "v2"
        for answer in dns.answers:
            if answer.label not in (want, "old"):
                findings.append(
                    f"{answer.server}: {answer.hostname} answered {_answer_text(answer.answer)} at the last "
                    f"check, not the {want} address a {state} service should have"
                )
    return findings


def _answer_text(answer: list[str] | str) -> str:
    return ", ".join(answer) if isinstance(answer, list) else answer


def attention_items(
    service: Service,
    record: dict[str, Any],
    state: str,
    drift: list[str] | None,
    pending: list[dict[str, Any]],
) -> list[str]:
    """What an operator must look at for this service, each in one sentence."""
    items: list[str] = []
    if state == "needs_attention":
        items.append(f"needs attention: {record.get('reason') or 'no reason recorded'}")
        for server, names in sorted((record.get("diff") or {}).items()):
            for hostname, entry in sorted(names.items()):
                items.append(
                    f"{server}: {hostname} recorded before {sorted(_addresses(entry.get('before')))}, "
                    f"after {sorted(_addresses(entry.get('after')))}, seen {sorted(_addresses(entry.get('live')))}"
                )
    verified = record.get("verified")
    if isinstance(verified, dict) and verified.get("ok") is False and state != "rolled_back":
        items.append(f"the last verification failed ({verified.get('stage')}): {verified.get('reason')}")
    for op in pending:
        if op.get("subject") == service.name:
            items.append(
                f"a DNS change on {op.get('server')} for {op.get('hostname')} started at {op.get('at')} "
                "has no recorded outcome; the next writer reconciles it"
            )
    items += [f"drift: {finding}" for finding in drift or []]
    return items


def runbook_of(service: Service) -> Runbook:
    """The service's runbook steps and notes; a step nobody wrote is named in `missing`."""
    runbook = getattr(service, "runbook", None)

    def text(name: str) -> str | None:
        return str(getattr(runbook, name, None) or "").strip() or None

    steps = {step: text(step) for step in RUNBOOK_STEPS}
    return Runbook(
        **steps, notes=text("notes"), missing=[step for step, body in steps.items() if body is None]
    )
