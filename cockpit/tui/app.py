"""Provides CockpitApp: the modes, the global keys, the store's session and the signals. Wiring only.

The first frame never waits for a backend: the store opens and the status line's probes run in
workers started after mount, and every screen draws what it already knows (the phases are
loaded before the app starts) until their answers arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

from cockpit.errors import RefusedError
from cockpit.tui import glyphs, signals
from cockpit.tui.commands import CockpitCommands
from cockpit.tui.screens.base import OPERATION, CockpitScreen
from cockpit.tui.screens.phases import PhasesScreen
from cockpit.tui.text import redact

if TYPE_CHECKING:
    from cockpit.project import Project
    from cockpit.tui.backend import Backend
    from cockpit.tui.live import LiveStatus
    from cockpit.tui.messages import LiveProbed, ProjectLoaded, StoreOpened

PROBE_EVERY_S = 15.0
HANGUP_EXIT_S = 5.0  # after a hang-up, once the store is closed: the most the way out may take


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
        "services": lambda: _services(),
        "audit": lambda: _audit(),
        "decisions": lambda: _decisions(),
    }
    DEFAULT_MODE = "phases"
    COMMANDS: ClassVar[set[Any]] = {CockpitCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "phases", "Phases", show=False, id="app.phases"),
        Binding("2", "switch_mode('services')", "Services", show=False, id="app.services"),
        Binding("3", "switch_mode('audit')", "Audit", show=False, id="app.audit"),
        Binding("4", "switch_mode('decisions')", "Decisions", show=False, id="app.decisions"),
        Binding("e", "export", "Export report", show=False, id="app.export"),
        Binding("W", "switch_read_only", "Read-only / write", show=False, id="app.read_only"),
        Binding("question_mark,f1", "help", "Help", key_display="?", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    live: reactive[LiveStatus | None] = reactive(None, always_update=True)
    store_state: reactive[StoreState] = reactive(StoreState())

    def __init__(
        self,
        project: Project | Callable[[], Project],
        *,
        outline: list[tuple[int, str]] | None = None,
        write: bool = True,
        mouse: bool = True,
    ) -> None:
        """`project` is the loaded project, or the call that loads it (then behind the first frame,
        which draws `outline`: each phase's number and title, read without validation)."""
        super().__init__()
        glyphs.install()
        self._project: Project | None = None if callable(project) else project
        self._load = project if callable(project) else None
        self._outline = outline or []
        self.load_error: BaseException | None = None
        self._switched = False
        self.hung_up = False  # SIGHUP arrived: the terminal is gone  # the operator switched between writing and read-only at runtime
        self.write = write
        self.mouse = mouse
        self.backend: Backend | None = None
        self._opened: Backend | None = None
        self.probed = False
        self._restore_signals: Callable[[], None] = lambda: None

    @property
    def project(self) -> Project:
        """The validated project; every key that needs it waits for the store, which waits for it."""
        assert self._project is not None, "the project is still loading"
        return self._project

    @property
    def loaded(self) -> bool:
        """Whether the validated project is here (it loads behind the first frame)."""
        return self._project is not None

    @property
    def outline(self) -> list[tuple[int, str]]:
        """Each phase's number and title: the project's once loaded, else what the first frame draws."""
        if self._project is not None:
            return [(p.id, p.title) for p in self._project.phases]
        return self._outline

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
        self.call_after_refresh(_collect_again)
        self._restore_signals = signals.catch(self.leave, self._hung_up)
        # After the first frame: the workers import the engine and the adapters, and an import
        # in a thread still holds the interpreter while the first frame is being drawn.
        self.call_after_refresh(self._start_workers if self._load is None else self.load_project)

    @work(thread=True, exclusive=True, group="project", exit_on_error=False)
    def load_project(self) -> None:
        """Load and validate the project (pydantic, the inventory, the phases) behind the first frame."""
        assert self._load is not None
        from cockpit.tui.messages import ProjectLoaded  # workers import what the first frame does not need

        self.post_message(ProjectLoaded(self._load()))

    def on_project_loaded(self, message: ProjectLoaded) -> None:
        from cockpit.config import insecure_backends

        self._project = message.project
        self.screen.refresh_bindings()
        for backend in insecure_backends(message.project.config):
            where = message.project.config.source.path
            self.notify(
                f"TLS verification is OFF for {backend} (insecure = true in {where})",
                title="Warning",
                severity="warning",
                timeout=15,
            )
        if isinstance(self.screen, CockpitScreen):
            self.screen.reload()
        self._start_workers()

    def _start_workers(self) -> None:
        self.open_store()
        self.probe_backends()
        self.set_interval(PROBE_EVERY_S, self.probe_backends)

    # -- the store and the probes -----------------------------------------------------------

    @work(thread=True, exclusive=True, group="store", exit_on_error=False)
    def open_store(self) -> None:
        from cockpit.tui.backend import Backend

        if self._opened is not None:  # a switch between writing and read-only: let the lock go first
            self._opened.close()
            self._opened = None
        self._opened = Backend.open(self.project, write=self.write)  # closed on exit even if never shown
        from cockpit.tui.messages import StoreOpened

        self.post_message(StoreOpened(self._opened))

    def on_store_opened(self, message: StoreOpened) -> None:
        self.backend = backend = message.backend
        if backend.writable:
            self.store_state = StoreState("writing")
        elif backend.asked_read_only:
            how = "switched to read-only (W: write again)" if self._switched else "opened with --read-only"
            self.store_state = StoreState("read-only", f"READ-ONLY: {how}; nothing can change")
        else:
            holder = backend.holder() or "another cockpit"
            self.store_state = StoreState("read-only", f"READ-ONLY: locked by {holder}")
        if isinstance(self.screen, CockpitScreen):
            self.screen.reload()
        self.screen.refresh_bindings()

    @work(thread=True, exclusive=True, group="probe", exit_on_error=False)
    def probe_backends(self) -> None:
        from cockpit.tui.live import probe
        from cockpit.tui.messages import LiveProbed

        self.post_message(LiveProbed(probe(self.project)))

    def on_live_probed(self, message: LiveProbed) -> None:
        self.probed = True
        self.live = message.status

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The app's own workers: a store that will not open is said plainly, the app stays up."""
        if event.state != WorkerState.ERROR:
            return
        if event.worker.group == "project":  # bad input: the CLI reports it (file, line, exit 2)
            self.load_error = event.worker.error
            self.exit(2)
            return
        error = redact(str(event.worker.error))
        if event.worker.group not in ("store", "probe", "journal"):
            self.journal_error(f"app.{event.worker.name}", error, event.worker.error)
        if event.worker.group == "store":
            self.store_state = StoreState("NOT OPEN", f"The store could not be opened: {error}")
        self.notify(error, title="Error", severity="error", timeout=10)

    def journal_error(self, where: str, message: str, error: BaseException | None) -> None:
        """Put a failure the operator is shown into the audit trail too (when the store is writable)."""
        if self.backend is not None and self.backend.writable:
            self._journal_error(where, message, isinstance(error, RefusedError))

    @work(thread=True, group="journal", exit_on_error=False)
    def _journal_error(self, where: str, message: str, refused: bool) -> None:
        assert self.backend is not None
        self.backend.record_error(where, message, refused=refused)

    # -- keys -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # No need to refuse them under a dialog: a modal screen's key chain leaves the app's out.
        # (The help and the palette, themselves modal, ask this for the screen below them.)
        if action == "export":  # the report reads the validated project and the store
            return self.loaded
        if action == "switch_read_only":
            return self.backend is not None
        return True

    def action_switch_read_only(self) -> None:
        """`W`: into read-only (the lock is released for another cockpit), or back to writing.

        Refused while an operation runs: its transaction needs the lock until it ends.
        """
        if self.operation_running:
            self.notify("An operation is running: switch when it has ended.", severity="warning")
            return
        self.write, self._switched = self.read_only, True
        self.backend = None  # every key that needs the store is hidden until it is open again
        self.store_state = StoreState("switching...")
        self.screen.refresh_bindings()
        self.open_store()

    async def action_phases(self) -> None:
        """`1`: the list of phases, whatever phase was open in that mode (escape goes back to it too)."""
        await self.switch_mode("phases")
        while len(self.screen_stack) > 1:
            await self.pop_screen()

    def action_command_palette(self) -> None:
        """`ctrl+p`: Textual's palette, without its emoji and ellipsis (either can be two cells wide)."""
        from cockpit.tui.commands import AsciiPalette

        if self.use_command_palette and not AsciiPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(AsciiPalette(id="--command-palette", placeholder="Search for commands..."))

    def action_export(self) -> None:
        """`e`: the progress report, in a format and to a path the operator picks (on this machine)."""
        from cockpit.tui.screens.export import ExportDialog

        self.push_screen(ExportDialog(self.project))

    def action_help(self) -> None:
        from cockpit.tui.screens.help import HelpScreen  # screens beyond the first load when first used

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
        from cockpit.tui.screens.dialogs import Confirm

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

    def _close_store(self) -> None:
        """Finish or compensate the transaction in flight, then release the store (any thread)."""
        opened = self._opened
        if opened is not None:
            opened.request_stop()
            opened.close()

    def _hung_up(self) -> None:
        """SIGHUP: the SSH link dropped. Stop writing to the terminal that is gone, then end."""
        self.hung_up = True
        if not self.is_headless:
            signals.detach_terminal()
            signals.exit_soon(128 + signal.SIGHUP, HANGUP_EXIT_S, self._close_store)

    async def on_unmount(self) -> None:
        """Release the store's lock on the way out, after any transaction in flight."""
        self._restore_signals()
        opening = [w for w in self.workers if w.group == "store" and not w.is_finished]
        await _wait_for(opening)  # a hang-up while the store was still opening: it must be closed too
        if self._opened is not None:
            self._opened.request_stop()
            await asyncio.to_thread(self._opened.close)


def _collect_again() -> None:
    """The first frame is out: the garbage collector (off while the CLI started the TUI) is back on."""
    gc.freeze()  # what startup built lives as long as the app: later passes need not scan it
    gc.enable()


def _services() -> CockpitScreen:
    """The Services screen, imported when first shown: the first frame is the Phases screen's."""
    from cockpit.tui.screens.services import ServicesScreen

    return ServicesScreen()


def _decisions() -> CockpitScreen:
    from cockpit.tui.screens.decisions import DecisionsScreen

    return DecisionsScreen()


def _audit() -> CockpitScreen:
    from cockpit.tui.screens.audit import AuditScreen

    return AuditScreen()


async def _wait_for(workers: list[Worker[Any]]) -> None:
    """Wait for these workers to end, however they end (their errors were already reported)."""
    for worker in workers:
        with contextlib.suppress(Exception):
            await worker.wait()
