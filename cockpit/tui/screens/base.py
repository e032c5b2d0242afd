"""Provides CockpitScreen: what every main screen shares.

The status line on top and the footer below; access to the session's Backend; the one place
where a worker's error becomes a notification (never a traceback: every worker is started with
`exit_on_error=False`); and `check_action`, which hides what cannot run now and dims what
would change something while the store is read-only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from cockpit.tui.text import redact
from cockpit.tui.widgets.activity import Activity
from cockpit.tui.widgets.keybar import KeyBar
from cockpit.tui.widgets.statusline import StatusLine

if TYPE_CHECKING:
    from cockpit.tui.app import CockpitApp
    from cockpit.tui.backend import Backend

OPERATION = "operation"  # the worker group of everything that changes the store or the servers


class CockpitScreen(Screen[None]):
    """A main screen of the cockpit."""

    AUTO_FOCUS = "DataTable"  # never a hidden filter bar: it would swallow the global keys
    WRITES: ClassVar[frozenset[str]] = frozenset()
    """Actions that change something: disabled while the store is read-only."""

    @property
    def cockpit(self) -> CockpitApp:
        return self.app  # type: ignore[return-value]

    @property
    def backend(self) -> Backend | None:
        return self.cockpit.backend

    def _backend(self) -> Backend:
        """The backend, for workers: every key that needs the store is hidden until it is open."""
        backend = self.backend
        assert backend is not None
        return backend

    def compose_top(self) -> ComposeResult:
        yield StatusLine()

    def compose_bottom(self) -> ComposeResult:
        yield Activity(id="activity")
        yield KeyBar(id="keys")

    @property
    def activity(self) -> Activity:
        return self.query_one("#activity", Activity)

    # -- what can run now -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """False hides a key (nothing to act on); None dims it (read-only: it would change something)."""
        if action in self.WRITES and self.cockpit.read_only:
            return None
        return self.can(action)

    def can(self, action: str) -> bool:
        """Whether `action` applies to what is on screen now (overridden by each screen)."""
        return True

    # -- loading ----------------------------------------------------------------------------

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Ask the backend for this screen's data again (in a worker); no-op until the store is open."""

    # -- errors -----------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker of this screen ends here: errors become notifications, the activity stops."""
        if event.state not in (WorkerState.ERROR, WorkerState.SUCCESS, WorkerState.CANCELLED):
            return
        if not self.workers_running(OPERATION):
            self.activity.stop()
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            message = redact(str(error) or type(error).__name__)
            self.cockpit.journal_error(f"{type(self).__name__}.{event.worker.name}", message, error)
            self.failed(message)
        self.refresh_bindings()

    def workers_running(self, group: str) -> bool:
        return any(w.node is self and w.group == group and not w.is_finished for w in self.workers)

    def failed(self, message: str) -> None:
        """A worker's error, shown to the operator (screens add their own banner where it matters)."""
        self.notify(message, title="Refused or failed", severity="error", timeout=10)
        self.reload()
