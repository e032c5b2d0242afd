"""Provides how each journal event changes the state, so the state can always be rebuilt from the journal.

Every handler is idempotent (an upsert keyed by subject): replaying an event that the state
already holds changes nothing, which is what makes recovery after a crash safe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinydb import Query, TinyDB

Event = dict[str, Any]
Handler = Callable[[TinyDB, Event], None]


def _by(event: Event) -> dict[str, Any]:
    return {"by": event["operator"], "at": event["time"], "seq": event["seq"]}


def _task(db: TinyDB, event: Event) -> None:
    phase, _, task = event["subject"].partition(".")
    after = event["after"] or {}
    doc = {"key": event["subject"], "phase": int(phase), "task": task, **after, **_by(event)}
    db.table("tasks").upsert(doc, Query().key == event["subject"])


def _attested(db: TinyDB, event: Event) -> None:
    phase, _, criterion = event["subject"].partition(".")
    doc = {
        "key": event["subject"],
        "phase": int(phase),
        "criterion": criterion,
        **event["after"],
        **_by(event),
    }
    db.table("attestations").upsert(doc, Query().key == event["subject"])


def _revoked(db: TinyDB, event: Event) -> None:
    db.table("attestations").remove(Query().key == event["subject"])


def _phase_field(name: str) -> Handler:
    def handler(db: TinyDB, event: Event) -> None:
        phase = int(event["subject"])
        table = db.table("phases")
        current: dict[str, Any] = dict(table.get(Query().phase == phase) or {"phase": phase})
        current[name] = {**(event["after"] or {}), **_by(event)}
        table.upsert(current, Query().phase == phase)

    return handler


def _override_cleared(db: TinyDB, event: Event) -> None:
    table = db.table("phases")
    phase = int(event["subject"])
    current = table.get(Query().phase == phase)
    if current is not None:
        doc = {k: v for k, v in current.items() if k != "override"}
        table.remove(Query().phase == phase)
        table.insert(doc)


def _check_recorded(db: TinyDB, event: Event) -> None:
    table = db.table("results")
    phase = int(event["subject"])
    for result in event["after"]["results"]:
        key = f"{phase}.{result['criterion']}"
        table.upsert({"key": key, "phase": phase, **result, "seq": event["seq"]}, Query().key == key)


def _service_state(db: TinyDB, event: Event) -> None:
    doc = {"name": event["subject"], **event["after"], **_by(event)}
    db.table("services").upsert(doc, Query().name == event["subject"])


def _action_started(db: TinyDB, event: Event) -> None:
    after = event["after"] or {}
    doc = {"op": after.get("op"), "subject": event["subject"], **after, **_by(event)}
    db.table("pending").upsert(doc, Query().op == after.get("op"))


def _action_closed(db: TinyDB, event: Event) -> None:
    db.table("pending").remove(Query().op == (event["after"] or {}).get("op"))


def _task_ran(db: TinyDB, event: Event) -> None:
    phase, _, task = event["subject"].partition(".")
    table = db.table("tasks")
    current: dict[str, Any] = dict(table.get(Query().key == event["subject"]) or {})
    current.update({"key": event["subject"], "phase": int(phase), "task": task})
    current["last_run"] = {**(event["after"] or {}), "outcome": event["outcome"], **_by(event)}
    table.upsert(current, Query().key == event["subject"])


def _service(db: TinyDB, name: str) -> dict[str, Any]:
    return dict(db.table("services").get(Query().name == name) or {"name": name, "state": "planned"})


def _save_service(db: TinyDB, doc: dict[str, Any]) -> None:
    db.table("services").upsert(doc, Query().name == doc["name"])


def _transition(db: TinyDB, event: Event) -> None:
    doc = _service(db, event["subject"])
    after = event["after"] or {}
    doc.update({k: v for k, v in after.items() if k != "state"})
    doc["state"], doc["since"], doc["by"] = after["state"], event["time"], event["operator"]
    if after["state"] == "cut_over":
        doc["cut_over_at"] = event["time"]
    _save_service(db, doc)


def _dns_intent(db: TinyDB, event: Event) -> None:
    after = event["after"]
    db.table("pending").upsert(
        {"subject": event["subject"], "kind": "dns", **after, **_by(event)}, Query().op == after["op"]
    )
    if after.get("purpose") == "cutover":  # what a rollback restores
        doc = _service(db, event["subject"])
        servers = doc.setdefault("servers", {})
        servers.setdefault(after["server"], {})[after["hostname"]] = {
            "before": after["before"],
            "after": after["after"],
        }
        _save_service(db, doc)


def _dns_outcome(db: TinyDB, event: Event) -> None:
    after = event["after"]
    db.table("pending").remove(Query().op == after["op"])
    doc = _service(db, event["subject"])
    entry = doc.setdefault("servers", {}).setdefault(after["server"], {}).setdefault(after["hostname"], {})
    entry["live"] = after.get("observed")
    _save_service(db, doc)


def _verified(db: TinyDB, event: Event) -> None:
    doc = _service(db, event["subject"])
    doc["verified"] = {**(event["after"] or {}), "at": event["time"], "outcome": event["outcome"]}
    _save_service(db, doc)


def _cutover_started(db: TinyDB, event: Event) -> None:
    doc = _service(db, event["subject"])
    doc["servers"] = {}  # a new cutover records its own before and after entries
    doc["verified"] = None  # (an upsert merges fields: a stale verification must be overwritten, not popped)
    _save_service(db, doc)


def _drift_observed(db: TinyDB, event: Event) -> None:
    doc = _service(db, event["subject"])
    doc["drift"] = {"findings": (event["after"] or {}).get("findings", []), "at": event["time"]}
    _save_service(db, doc)


HANDLERS: dict[str, Handler] = {
    "task.done": _task,
    "task.undone": _task,
    "criterion.attested": _attested,
    "criterion.revoked": _revoked,
    "phase.overridden": _phase_field("override"),
    "phase.override_cleared": _override_cleared,
    "phase.activated": _phase_field("active"),
    "phase.completed": _phase_field("complete"),
    "check.recorded": _check_recorded,
    "service.state": _service_state,
    "task.action.started": _action_started,
    "task.action.finished": _action_closed,
    "task.action.reconciled": _action_closed,
    "task.ran": _task_ran,
    "service.transition": _transition,
    "service.cutover_started": _cutover_started,
    "service.verified": _verified,
    "dns.intent": _dns_intent,
    "dns.outcome": _dns_outcome,
    "dns.reconciled": _dns_outcome,
    "drift.observed": _drift_observed,
}

# Events that change the state whatever their outcome (a failed action still closes its intent).
ANY_OUTCOME = (
    "task.action.finished",
    "task.action.reconciled",
    "task.ran",
    "dns.outcome",
    "dns.reconciled",
    "service.verified",
    "drift.observed",
)


def apply_event(db: TinyDB, event: Event) -> None:
    """Apply one committed event; events without a state effect (store.*, journal.*) are skipped."""
    if event.get("outcome") not in ("ok", None) and event["action"] not in ANY_OUTCOME:
        return
    handler = HANDLERS.get(event["action"])
    if handler is not None:
        handler(db, event)
