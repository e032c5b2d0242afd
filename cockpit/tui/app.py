"""Provides CockpitApp: the modes, the global keys, the store's session and the signals. Wiring only.

The first frame never waits for a backend: the store opens and the status line's probes run in
workers started after mount, and every screen draws what it already knows (the phases are
loaded before the app starts) until their answers arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

from cockpit.project import Project
from cockpit.tui import glyphs, signals
from cockpit.tui.backend import Backend
from cockpit.tui.commands import CockpitCommands
from cockpit.tui.live import LiveStatus, probe
from cockpit.tui.messages import LiveProbed, StoreOpened
from cockpit.tui.screens.audit import AuditScreen
from cockpit.tui.screens.base import OPERATION, CockpitScreen
from cockpit.tui.screens.dialogs import Confirm
from cockpit.tui.screens.help import HelpScreen
from cockpit.tui.screens.phases import PhasesScreen
from cockpit.tui.screens.services import ServicesScreen
from cockpit.tui.text import redact

PROBE_EVERY_S = 15.0


@dataclass(frozen=True)
class StoreState:
    """How the store is open, in the status line's words, and the banner a read-only session shows."""

    mode: str = "opening..."
    banner: str = ""


class CockpitApp(App[int]):
    """The cockpit TUI over one project."""

    CSS_PATH = Path(__file__).with_name("cockpit.tcss")
    TITLE = "cockpit"
    MODES: ClassVar[dict[str, Any]] = {
        "phases": PhasesScreen,
        "services": ServicesScreen,
        "audit": AuditScreen,
    }
    DEFAULT_MODE = "phases"
    COMMANDS: ClassVar[set[Any]] = {CockpitCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "switch_mode('phases')", "Phases", show=False, id="app.phases"),
        Binding("2", "switch_mode('services')", "Services", show=False, id="app.services"),
        Binding("3", "switch_mode('audit')", "Audit", show=False, id="app.audit"),
        Binding("question_mark,f1", "help", "Help", key_display="?", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    live: reactive[LiveStatus | None] = reactive(None, always_update=True)
    store_state: reactive[StoreState] = reactive(StoreState())

    def __init__(self, project: Project, *, write: bool = True, mouse: bool = True) -> None:
        super().__init__()
        glyphs.install()
        self.project = project
        self.write = write
        self.mouse = mouse
        self.backend: Backend | None = None
        self._opened: Backend | None = None
        self.probed = False
        self._restore_signals: Callable[[], None] = lambda: None

    @property
    def read_only(self) -> bool:
        return self.backend is None or not self.backend.writable

    @property
    def operation_running(self) -> bool:
        return any(w.group == OPERATION and not w.is_finished for w in self.workers)

    async def run_async(
        self,
        *,
        headless: bool = False,
        inline: bool = False,
        inline_no_clear: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
        auto_pilot: Any = None,
    ) -> int | None:
        """Run, with mouse reporting off when the constructor said so (`--no-mouse`), however started."""
        return await super().run_async(
            headless=headless,
            inline=inline,
            inline_no_clear=inline_no_clear,
            mouse=mouse and self.mouse,
            size=size,
            auto_pilot=auto_pilot,
        )

    def on_mount(self) -> None:
        self.open_store()
        self.probe_backends()
        self.set_interval(PROBE_EVERY_S, self.probe_backends)
        self._restore_signals = signals.catch(self.leave)

    # -- the store and the probes -----------------------------------------------------------

    @work(thread=True, exclusive=True, group="store", exit_on_error=False)
    def open_store(self) -> None:
        self._opened = Backend.open(self.project, write=self.write)  # closed on exit even if never shown
        self.post_message(StoreOpened(self._opened))

    def on_store_opened(self, message: StoreOpened) -> None:
        self.backend = backend = message.backend
        if backend.writable:
            self.store_state = StoreState("writing")
        elif backend.asked_read_only:
            self.store_state = StoreState(
                "read-only", "READ-ONLY: opened with --read-only; nothing can change"
            )
        else:
            holder = backend.holder() or "another cockpit"
            self.store_state = StoreState("read-only", f"READ-ONLY: the store is locked by {holder}")
        if isinstance(self.screen, CockpitScreen):
            self.screen.reload()
        self.screen.refresh_bindings()

    @work(thread=True, exclusive=True, group="probe", exit_on_error=False)
    def probe_backends(self) -> None:
        self.post_message(LiveProbed(probe(self.project)))

    def on_live_probed(self, message: LiveProbed) -> None:
        self.probed = True
        self.live = message.status

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The app's own workers: a store that will not open is said plainly, the app stays up."""
        if event.state != WorkerState.ERROR:
            return
        error = redact(str(event.worker.error))
        if event.worker.group == "store":
            self.store_state = StoreState("NOT OPEN", f"The store could not be opened: {error}")
        self.notify(error, title="Error", severity="error", timeout=10)

    # -- keys -------------------------------------------------------------------------------

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    async def action_quit(self) -> None:
        """Quit at once, unless an operation runs: then ask, and let it finish or compensate first."""
        if not self.operation_running:
            self.exit(0)
            return
        body = (
            "An operation is running. Quitting asks it to finish or compensate the change in flight "
            "(a cutover in progress is rolled back), waits for that, then quits."
        )
        self.push_screen(Confirm("Quit while an operation runs?", body), self._quit_answered)

    def _quit_answered(self, yes: bool | None) -> None:
        if yes:
            self.leave()

    @work(exclusive=True, group="leave")
    async def leave(self) -> None:
        """End the session: stop the transaction in flight cleanly, wait for it, then exit."""
        if self.backend is not None:
            self.backend.request_stop()
        running = [w for w in self.workers if w.group == OPERATION and not w.is_finished]
        await _wait_for(running)
        self.exit(0)

    async def on_unmount(self) -> None:
        """Release the store's lock on the way out, after any transaction in flight."""
        self._restore_signals()
        opening = [w for w in self.workers if w.group == "store" and not w.is_finished]
        await _wait_for(opening)  # a hang-up while the store was still opening: it must be closed too
        if self._opened is not None:
            self._opened.request_stop()
            await asyncio.to_thread(self._opened.close)


async def _wait_for(workers: list[Worker[Any]]) -> None:
    """Wait for these workers to end, however they end (their errors were already reported)."""
    for worker in workers:
        with contextlib.suppress(Exception):
            await worker.wait()
