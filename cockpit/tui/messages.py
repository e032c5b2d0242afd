"""Provides the messages workers post when they end: the only way results reach a widget.

A worker thread never touches a widget; it posts one of these and the screen that owns the
worker updates itself on the UI thread. Most do not bubble: only the screen that asked cares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:  # annotations only: the engine and the adapters load after the first frame
    from cockpit.core import CheckRun
    from cockpit.cutover.plan import ServicePlan
    from cockpit.lint import Finding
    from cockpit.project import Project
    from cockpit.results import CheckResult
    from cockpit.tui.backend import Backend, PhaseView
    from cockpit.tui.board import ServiceRow
    from cockpit.tui.live import LiveStatus


@dataclass
class StoreOpened(Message):
    """The session's store is open (for writing, or read-only with the holder named)."""

    backend: Backend


@dataclass
class ProjectLoaded(Message):
    """The validated project, loaded behind the first frame."""

    project: Project


@dataclass
class LiveProbed(Message):
    """A round of status-line probes came back (None: nothing to probe, the example inventory)."""

    status: LiveStatus | None


@dataclass
class PhasesLoaded(Message, bubble=False):
    """Every phase's status, as `Cockpit.status()` reports it, and the principles linter's findings."""

    status: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)


@dataclass
class PhaseLoaded(Message, bubble=False):
    """One phase with its tasks and criteria."""

    view: PhaseView


@dataclass
class PhaseChanged(Message, bubble=False):
    """A change to a phase was recorded (task, attestation, override, task run, checks)."""

    summary: str
    ok: bool = True


@dataclass
class CriterionChecked(Message, bubble=False):
    """One criterion of a running check came back: `done` of `total` evaluated so far."""

    result: CheckResult
    done: int
    total: int


@dataclass
class ChecksRan(Message, bubble=False):
    """A phase's criteria were evaluated (and recorded, when the store is writable)."""

    phase: int
    run: CheckRun


@dataclass
class BoardLoaded(Message, bubble=False):
    """The cutover board: from the store first (`live` False), then with what the servers say."""

    rows: list[ServiceRow]
    live: bool


@dataclass
class ServiceProgress(Message, bubble=False):
    """A service reached a state while an operation runs on it."""

    service: str
    state: str


@dataclass
class OperationDone(Message, bubble=False):
    """A cutover, rollback, verification or finalization ended; one line per service."""

    what: str
    lines: list[str]
    ok: bool


@dataclass
class PlanReady(Message, bubble=False):
    """The plan of a cutover, to show (changes nothing)."""

    plans: list[ServicePlan]


@dataclass
class AuditLoaded(Message, bubble=False):
    """The newest events of the journal (holding `contains`, when given), newest first."""

    events: list[dict[str, Any]]
    contains: str = ""
