"""Provides task execution: the actions a task declares, run through the adapters and journaled.

Before each external call an intent (`task.action.started`, with an operation id, the action and
its target) is journaled; after it, the outcome under the same id. An intent left without an
outcome (a crash, a lost SSH link) is reconciled on the next run by reading the live backend:
the guest's state, the snapshot's presence; what cannot be read back (a command) is left for the
operator, flagged, never retried blindly.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cockpit.adapters import command as command_adapter
from cockpit.checks.command import expand, on_host
from cockpit.errors import CockpitError
from cockpit.models.actions import CommandAction, GuestShutdown, GuestStart, Snapshot, TaskAction
from cockpit.project import Project


@dataclass
class Step:
    """One action on one target, as it went."""

    action: str
    target: str
    ok: bool
    output: str
    detail: dict[str, Any] = field(default_factory=dict)


def targets(project: Project, action: TaskAction) -> list[str]:
    """The names an action acts on: guests by inventory name, hosts for a command, or `local`."""
    ref = action.guest if not isinstance(action, CommandAction) else action.host
    if ref is None:
        return ["local"]
    return [h.name for h in project.config.hosts_matching(ref)]


def snapshot_name(template: str) -> str:
    return template.replace("{date}", datetime.now(UTC).strftime("%Y%m%d-%H%M"))


def execute(project: Project, action: TaskAction, target: str) -> Step:
    """Run one action on one target; adapter failures come back as a failed step, never a crash."""
    try:
        if isinstance(action, CommandAction):
            return _command(project, action, target)
        return _proxmox(project, action, target)
    except CockpitError as exc:
        return Step(action.type, target, False, str(exc))


def _proxmox(project: Project, action: TaskAction, guest: str) -> Step:
    from cockpit.checks.proxmox import client_for  # the adapter is only needed when a task uses it

    with client_for(project) as client:
        if isinstance(action, GuestStart):
            task = client.start(guest, timeout=action.timeout_s)
        elif isinstance(action, GuestShutdown):
            task = client.shutdown(guest, timeout=action.timeout_s)
        else:
            assert isinstance(action, Snapshot)
            name = snapshot_name(action.name)
            task = client.snapshot(guest, name, action.description, timeout=action.timeout_s)
    detail = task.model_dump()
    return Step(action.type, guest, bool(task.ok), f"{task.upid}: {task.exitstatus}", detail)


def _command(project: Project, action: CommandAction, target: str) -> Step:
    argv = expand(action.argv, project.config)
    if target != "local":
        host = project.config.hosts_matching(target)[0]
        argv = on_host(argv, host, project.config)
    run = asyncio.run(command_adapter.run(argv, timeout=action.timeout_s, what="task"))
    ok = run.exit_code == action.expect_exit
    output = (run.stdout + run.stderr)[-2000:]
    return Step(action.type, target, ok, output, {"exit": run.exit_code, "argv": argv})


def new_operation() -> str:
    return uuid.uuid4().hex


def reconcile(project: Project, pending: dict[str, Any]) -> tuple[str, str]:
    """What an interrupted action did, read from the live backend: (outcome, what was seen)."""
    kind, target = pending.get("action"), pending.get("target", "")
    if kind in ("proxmox.guest_start", "proxmox.guest_shutdown"):
        from cockpit.checks.proxmox import client_for

        try:
            with client_for(project) as client:
                guest = client.guest(target)
        except CockpitError as exc:
            return "needs_attention", f"could not read {target}: {exc}"
        wanted = "running" if kind == "proxmox.guest_start" else "stopped"
        outcome = "applied" if guest.status == wanted else "not_applied"
        return outcome, f"{target} is {guest.status}"
    return (
        "needs_attention",
        "the outcome of this action cannot be read back; check it and run the task again",
    )
