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
}

# Events that change the state whatever their outcome (a failed action still closes its intent).
ANY_OUTCOME = ("task.action.finished", "task.action.reconciled", "task.ran")


def apply_event(db: TinyDB, event: Event) -> None:
    """Apply one committed event; events without a state effect (store.*, journal.*) are skipped."""
    if event.get("outcome") not in ("ok", None) and event["action"] not in ANY_OUTCOME:
        return
    handler = HANDLERS.get(event["action"])
    if handler is not None:
        handler(db, event)
