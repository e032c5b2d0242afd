"""Provides the Backend: the one open Cockpit of a TUI session, shared by the worker threads.

The TUI calls nothing of the core directly: every worker goes through this object, which holds
the store for the whole session (so the lock is held while the operator looks at the screen)
and serialises every call that touches it. TinyDB and the journal are not made for concurrent
threads, and two engine transactions on one store must not interleave; one re-entrant lock is
the simplest thing that is obviously right. Nothing here imports Textual.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cockpit.checks.runner import OnResult
from cockpit.core import CheckRun, Cockpit
from cockpit.cutover.engine import Engine, drift_report, record_drift, settle_interrupted
from cockpit.cutover.plan import ServicePlan
from cockpit.decisions import Decision
from cockpit.gates import PhaseState
from cockpit.lint import Finding
from cockpit.models.inventory import Service
from cockpit.models.phases import Phase
from cockpit.project import Project
from cockpit.results import CheckResult
from cockpit.store.lock import describe_holder

Progress = Callable[[str, str], None]  # (service, state) as the engine reaches it
Confirm = Callable[[list[ServicePlan]], bool]


class ReportingEngine(Engine):
    """The cutover engine, telling the screen each state a service reaches while it runs."""

    progress: Progress | None = None

    def transition(self, service: Service, new: str, reason: str, **extra: Any) -> None:
        super().transition(service, new, reason, **extra)
        if self.progress is not None:
            self.progress(service.name, new)


@dataclass
class PhaseView:
    """What the Phase screen shows: the phase, its state, each task's record, each criterion's result."""

    phase: Phase
    state: PhaseState
    overridden: bool
    tasks: dict[str, dict[str, Any]]
    criteria: list[CheckResult]


class Backend:
    """The session's store and engine behind one lock."""

    def __init__(self, project: Project, cockpit: Cockpit, *, asked_read_only: bool) -> None:
        self.project = project
        self._cockpit = cockpit
        self._lock = threading.RLock()
        self.asked_read_only = asked_read_only
        self.engine = ReportingEngine(cockpit)
        self._ending = False

    @classmethod
    def open(cls, project: Project, *, write: bool) -> Backend:
        """Open for writing, or read-only when asked or when another cockpit holds the lock."""
        cockpit = Cockpit.open(project, write=write, fall_back_to_read=True)
        if cockpit.store.writable:
            settle_interrupted(cockpit)  # like every writer: settle what a crash left in flight
        return cls(project, cockpit, asked_read_only=not write)

    # -- the store's mode -------------------------------------------------------------------

    @property
    def writable(self) -> bool:
        return self._cockpit.store.writable

    def holder(self) -> str | None:
        """Who holds the lock when this session reads only because someone else writes."""
        holder = self._cockpit.lock_holder
        return describe_holder(holder) if holder else None

    def _current(self) -> Cockpit:
        """The cockpit to read from: a reader reopens its snapshot, so it sees what the writer did."""
        if not self.writable:
            fresh = Cockpit.open(self.project, write=False)
            self._cockpit.close()
            self._cockpit = fresh
            self.engine = ReportingEngine(fresh)
        return self._cockpit

    # -- reading ----------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        with self._lock:
            return self._current().status()

    def lint(self) -> list[Finding]:
        """The principles linter's findings on the inventory, with the phases' states from the store."""
        from cockpit.lint import lint, progress_from

        with self._lock:
            progress = progress_from(self._current())
        return lint(self.project, progress=progress)

    def phase_view(self, phase_id: int) -> PhaseView:
        with self._lock:
            cockpit = self._current()
            phase = cockpit.phase(phase_id)
            return PhaseView(
                phase=phase,
                state=cockpit.states()[phase_id],
                overridden="override" in cockpit.store.phase_record(phase_id),
                tasks={t.id: dict(cockpit.store.task(phase_id, t.id) or {}) for t in phase.tasks},
                criteria=cockpit.criteria(phase_id),
            )

    def audit(self, limit: int, contains: str = "") -> list[dict[str, Any]]:
        """The newest `limit` events (that contain `contains`), searched through the whole journal."""
        with self._lock:
            return self._current().audit(limit=limit, contains=contains or None)

    def board(self) -> list[dict[str, Any]]:
        """Each service's record, from the store alone (quick: the board draws it at once)."""
        with self._lock:
            cockpit = self._current()
            return [
                {**s, **(cockpit.store.service_record(s["name"]) or {})} for s in cockpit.status()["services"]
            ]

    def drift(self) -> dict[str, list[str] | None]:
        """The drift findings (None: a server could not be asked), asked outside the session's lock.

        Reading every server's entries takes a round trip per name; with a slow server that is
        tens of seconds, which `r` must not wait behind. Only recording what was seen (when
        writing) takes the lock.
        """
        with self._reader() as reader:
            drift = drift_report(reader)
        if self.writable:
            with self._lock:
                record_drift(self._cockpit, drift)  # what the board saw goes into the trail
        return drift

    # -- phases -----------------------------------------------------------------------------

    def check(self, phase_id: int, on_result: OnResult | None = None) -> CheckRun:
        """Evaluate a phase's criteria; recorded when writing, shown only when reading.

        The backends are asked from a reader of the store of its own, outside the session's lock:
        a check waiting on a slow server must never hold up `r`. Only the recording takes the lock.
        """
        with self._reader() as reader:
            results = reader.evaluate([phase_id], on_result)
        with self._lock:
            return self._current().record_check([phase_id], results)

    @contextlib.contextmanager
    def _reader(self) -> Iterator[Cockpit]:
        """A read-only snapshot of the store for network work done outside the lock."""
        reader = Cockpit.open(self.project, write=False)
        try:
            yield reader
        finally:
            reader.close()

    def set_task(self, phase_id: int, task_id: str, done: bool, note: str) -> dict[str, Any]:
        with self._lock:
            return self._cockpit.set_task(phase_id, task_id, done, note)

    def run_task(self, phase_id: int, task_id: str) -> dict[str, Any]:
        with self._lock:
            return self._cockpit.run_task(phase_id, task_id)

    def attest(self, phase_id: int, criterion_id: str, evidence: str) -> dict[str, Any]:
        with self._lock:
            return self._cockpit.attest(phase_id, criterion_id, evidence)

    def override(self, phase_id: int, reason: str) -> dict[str, Any]:
        with self._lock:
            return self._cockpit.override(phase_id, reason)

    # -- cutover ----------------------------------------------------------------------------

    def plan(self, names: list[str]) -> list[ServicePlan]:
        with self._lock:
            self._current()
            return self.engine.plan(self.engine.services(names))

    def cutover(self, names: list[str], confirm: Confirm, progress: Progress) -> list[dict[str, Any]]:
        """Plan, ask (the plan shown is the plan applied), then one transaction per service."""
        with self._lock:
            self._ready(progress)
            return self.engine.cutover(self.engine.services(names), confirm=confirm)

    def rollback(self, names: list[str] | None, progress: Progress) -> list[dict[str, Any]]:
        """Roll back the named services, or (None) every DNS cutover; idempotent."""
        with self._lock:
            self._ready(progress)
            return self.engine.rollback(self.engine.services(names or [], names is None))

    def verify(self, name: str, progress: Progress) -> dict[str, Any]:
        with self._lock:
            self._ready(progress)
            (service,) = self.engine.services([name])
            return self.engine.verify_now(service)

    def finalize(self, name: str, progress: Progress) -> dict[str, Any]:
        with self._lock:
            self._ready(progress)
            (service,) = self.engine.services([name])
            return self.engine.finalize(service)

    def resolve(self, name: str, mode: str, reason: str, progress: Progress) -> dict[str, Any]:
        """Settle a service in needs_attention: adopt what the servers answer, or restore the before."""
        with self._lock:
            self._ready(progress)
            (service,) = self.engine.services([name])
            return self.engine.resolve(service, mode, reason)

    # -- the decisions log -----------------------------------------------------------------------

    def add_decision(self, **fields: Any) -> Decision:
        """Write a decision file beside the config and journal it (`decision.added`)."""
        from cockpit.decisions import record_decision

        with self._lock:
            decision, _ = record_decision(self._cockpit, **fields)
            return decision

    # -- the audit trail of the screen's own failures ------------------------------------------

    def record_error(self, where: str, message: str, *, refused: bool) -> bool:
        """Journal a failure the operator was shown (`tui.error`); False when the store is read-only.

        The engine journals its own refusals and outcomes; this keeps the ones that ended in the
        screen (a refused key, an adapter that failed) in the trail too, so the audit tells the
        whole night's story. The journal masks known secrets like every other event.
        """
        with self._lock:
            if not self.writable:
                return False
            self._cockpit.store.record(
                "tui.error", where, after={"error": message}, outcome="refused" if refused else "error"
            )
            return True

    # -- ending -----------------------------------------------------------------------------

    def request_stop(self) -> None:
        """The link dropped or the operator quits: the transaction in flight finishes or compensates."""
        self._ending = True
        self.engine.stop.set()

    def interrupt(self, reason: str) -> None:
        """`r` during a running cutover: the engine compensates it at its next step (no lock: it runs)."""
        self.engine.interrupt(reason)

    def _ready(self, progress: Progress) -> None:
        """Before each operation, under the lock: an earlier interrupt is spent, unless the session ends."""
        if not self._ending:
            self.engine.resume()
        self.engine.progress = progress

    def close(self) -> None:
        """Release the lock; waits for a transaction in flight, which the stop request shortens."""
        with self._lock:
            self._cockpit.close()
