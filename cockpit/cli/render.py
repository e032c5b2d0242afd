"""Provides the plain-text views of the CLI (status, check results, a phase, the audit trail)."""

from __future__ import annotations

from typing import Any

from cockpit.cli.output import out
from cockpit.models.phases import Phase
from cockpit.results import CheckResult


def _criteria_summary(counts: dict[str, int]) -> str:
    parts = [f"{counts['pass']}/{counts['total']} pass"]
    parts += [
        f"{counts[k]} {k.replace('_', ' ')}"
        for k in ("fail", "error", "inconclusive", "not_evaluated")
        if counts[k]
    ]
    return ", ".join(parts)


def status(report: dict[str, Any]) -> None:
    config = report["config"]
    if config["origin"] == "example":
        out("(no cockpit.toml found: showing the embedded example inventory; see README, Configuration)")
    store = report["store"]
    holder = store["lock_holder"]
    lock = (
        f"locked by {holder.get('user')}@{holder.get('host')} pid {holder.get('pid')}"
        if holder
        else "not locked"
    )
    out(f"config {config['path']}  store {store['dir']} ({lock})")
    out("")
    for phase in report["phases"]:
        flag = " OVERRIDDEN" if phase["overridden"] else ""
        out(f"Phase {phase['id']}  {phase['state'].upper():<8}{flag}  {phase['title']}")
        out(
            f"         tasks {phase['tasks_done']}/{phase['tasks_total']}   criteria {_criteria_summary(phase['criteria'])}"
        )
        if phase["overridden"]:
            out(f"         override reason: {phase['override_reason']}")
        for regression in phase["regressions"]:
            out(f"         REGRESSION: {regression}")
    for pending in report.get("pending_operations", []):
        if pending.get("kind") == "dns":
            out(
                f"PENDING: a DNS change of {pending['subject']} on {pending.get('server')} ({pending.get('hostname')}) "
                f"started at {pending.get('at')} has no recorded outcome; the next writer reconciles it"
            )
            continue
        out(
            f"PENDING: {pending.get('action')} on {pending.get('target')} for task {pending['subject']} started at "
            f"{pending.get('at')} has no recorded outcome; the next run reconciles it"
        )
    out("")
    out("Services")
    for service in report["services"]:
        flag = (
            "  DRIFT" if service.get("drift") else "  drift unknown" if service.get("drift") is None else ""
        )
        out(
            f"  {service['name']:<18} {service['hostname']:<32} phase {service['phase']}  {service['state']}{flag}"
        )
        for finding in service.get("drift") or []:
            out(f"      {finding}")


def results(items: list[CheckResult]) -> None:
    current = None
    for r in items:
        if r.phase != current:
            current = r.phase
            out(f"Phase {r.phase}")
        line = f"  {r.kind:<5} {r.criterion:<34} {r.type:<24} {r.result.upper().replace('_', ' ')}"
        out(line)
        if r.result == "not_evaluated" and r.observed is None:
            out(f"        {r.detail}")
            continue
        if r.observed is not None or r.expected is not None:
            out(f"        observed: {r.observed}   expected: {r.expected}")
        if r.evidence:
            out(f"        evidence: {r.evidence}")
        if r.detail and r.result != "pass":
            out(f"        {r.detail}")


def phase(phase: Phase, state: str, tasks: list[dict[str, Any]], criteria: list[CheckResult]) -> None:
    out(f"Phase {phase.id}: {phase.title}  [{state}]")
    out(f"Goal: {phase.goal}")
    by_id = {c.criterion: c for c in criteria}
    for kind, title in (("entry", "Entry criteria"), ("exit", "Exit criteria")):
        out("")
        out(title)
        for criterion in getattr(phase, kind):
            result = by_id[criterion.id]
            out(
                f"  [{result.result.upper().replace('_', ' '):<13}] {criterion.id}: {criterion.title} ({criterion.check.type})"
            )
    out("")
    out("Tasks")
    for task, record in zip(phase.tasks, tasks, strict=True):
        mark = "x" if record.get("done") else " "
        optional = "" if task.required else " (optional)"
        out(f"  [{mark}] {task.id}: {task.title}{optional}")
        if record.get("note"):
            out(f"        note: {record['note']}")
        for line in task.runbook.strip().splitlines():
            out(f"        | {line}")


def audit(events: list[dict[str, Any]]) -> None:
    for e in events:
        who = e.get("operator") or {}
        via = f" via {who['ssh_client']}" if who.get("ssh_client") else ""
        out(
            f"#{e['seq']:<6} {e['time']}  {who.get('user')}@{who.get('host')}{via}  {e['action']}  {e['subject']}  {e['outcome']}"
        )
        if e.get("before") is not None or e.get("after") is not None:
            out(f"         before: {e.get('before')}  after: {e.get('after')}")


def doctor(reports: list[Any]) -> None:
    def word(value: bool | None, yes: str, no: str) -> str:
        return "?" if value is None else (yes if value else no)

    for r in reports:
        out(f"{r.name} ({r.kind}) {r.url}")
        dns = (
            f"; dns: {word(r.dns_answers, 'answers', 'NO ANSWER')}" if r.kind in ("adguard", "pihole") else ""
        )
        api = f"{word(r.reachable, 'reachable', 'UNREACHABLE')}, {word(r.authenticated, 'authenticated', 'NOT AUTHENTICATED')}"
        out(f"    api: {api}, version {r.version or '?'}{dns}")
        if r.tls:
            out(f"    tls: {r.tls}")
        for node, skew in r.clock_skew_s.items():
            out(f"    clock: {node} {skew:+.1f} s")
        for lack in r.lacks:
            out(f"    lacks: {lack}")
        if r.error:
            out(f"    {r.error}")
    if not reports:
        out("no backends configured")
