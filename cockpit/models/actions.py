"""Provides the actions a task may declare: what cockpit runs when the operator runs the task.

Guest references are inventory host names or `role:PATTERN` (a guest's name in Proxmox VE is its
inventory name). A snapshot's name may hold `{date}` (UTC, YYYYMMDD-HHMM), so a rerun never
collides with an earlier snapshot.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from cockpit.models.base import Strict, Text
from cockpit.models.checks import HostRef


class GuestStart(Strict):
    """Start a guest (VM or container) and follow its Proxmox task to the end."""

    type: Literal["proxmox.guest_start"]
    guest: HostRef
    timeout_s: int = Field(default=300, gt=0, le=3600)


class GuestShutdown(Strict):
    """Shut a guest down gracefully (ACPI / init) and follow the task to the end."""

    type: Literal["proxmox.guest_shutdown"]
    guest: HostRef
    timeout_s: int = Field(default=300, gt=0, le=3600)


class Snapshot(Strict):
    """Snapshot a guest, so a change after it can be undone."""

    type: Literal["proxmox.snapshot"]
    guest: HostRef
    name: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_{}-]*$", max_length=40)]
    description: str = ""
    timeout_s: int = Field(default=600, gt=0, le=3600)


class CommandAction(Strict):
    """Run a command locally or on inventory hosts (through the inventory's remote shell)."""

    type: Literal["command"]
    host: HostRef | None = None
    argv: list[str] = Field(min_length=1)
    expect_exit: int = 0
    timeout_s: float = Field(default=120.0, gt=0, le=3600)
    why: Text | None = None


TaskAction = Annotated[GuestStart | GuestShutdown | Snapshot | CommandAction, Field(discriminator="type")]
ACTION_TYPES = ("proxmox.guest_start", "proxmox.guest_shutdown", "proxmox.snapshot", "command")
