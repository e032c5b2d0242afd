"""Provides the services part of a report: the cutover board as the store last recorded it.

A report never asks a backend: what each DNS server holds is the newest record of it (a
verification or the engine's read-back after a write, see `knowledge`), and drift is judged from
that and from what writers observed. A service whose names were never checked says so (drift
None, no answers); one whose servers disagree is never shown as fine.
"""

from __future__ import annotations

from typing import Any

from cockpit.core import Cockpit
from cockpit.models.inventory import Service
from cockpit.report import words
from cockpit.report.knowledge import addresses, known_answers, split
from cockpit.report.model import RUNBOOK_STEPS, Runbook, ServiceDns, ServiceReport
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
    dns = known_answers(service, record, events, earlier)
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
        drift_at=drift_time(record, dns) if drift is not None else None,
        needs_attention=attention_items(service, record, state, drift, pending),
        runbook=runbook_of(service),
        timeline=timeline(events),
    )


def recorded_drift(service: Service, record: dict[str, Any], state: str, dns: ServiceDns) -> list[str] | None:
    """Disagreements between the state and what was last seen; None when nothing was ever seen.

    A drift a writer observed (`drift.observed`: the board, `cockpit check`) is on record as such,
    for a service in any state, and stands unless newer answers were recorded since; otherwise the
    newest answers are judged against the state. Servers left split (a service stopped half-way)
    are always a finding: a writer's "no drift" for a needs_attention service must not hide them.
    """
    observed = record.get("drift") if isinstance(record.get("drift"), dict) else None
    if observed is None and dns.checked_at is None:
        return None
    if observed is not None and (dns.checked_at is None or str(observed.get("at") or "") >= dns.checked_at):
        findings = [str(f) for f in observed.get("findings") or []]
    else:
        findings = _judged(state, dns)
    disagreement = split(dns) if state not in AT_REST_V3 | AT_REST_V2 else None
    return findings + ([disagreement] if disagreement and disagreement not in findings else [])


def drift_time(record: dict[str, Any], dns: ServiceDns) -> str | None:
    """When what the drift verdict rests on was recorded: the writer's look or the newest answer."""
    observed = record.get("drift") if isinstance(record.get("drift"), dict) else None
    times = [t for t in ((observed or {}).get("at"), dns.checked_at) if t]
    return str(max(times)) if times else None


def _judged(state: str, dns: ServiceDns) -> list[str]:
    """At rest, every newest answer that is not the state's side (v3 for cut_over, v2 for rolled_back)."""
    if state not in AT_REST_V3 | AT_REST_V2:
        return []
    want = "v3" if state in AT_REST_V3 else "v2"
    return [
        f"{a.server}: {a.hostname} is {words.answer(a)} ({words.seen(a)}), not the {want} address "
        f"a {state} service should have"
        for a in dns.answers
        if a.label not in (want, "old")
    ]


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
                live = entry.get("live")
                seen = "could not be read" if live is None else f"seen {addresses(live)}"
                items.append(
                    f"{server}: {hostname} recorded before {addresses(entry.get('before'))}, "
                    f"after {addresses(entry.get('after'))}; {seen} at {record.get('since')}"
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
