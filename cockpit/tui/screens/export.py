"""Provides the export dialog: the progress report written to a file, in Markdown, HTML or JSON.

The operator picks a format and a path (by default `cockpit-report-YYYYmmdd-HHMM.<ext>` in the
directory cockpit runs in); the report is built and written in a worker thread, and the dialog
shows the absolute path it wrote. Over SSH that path is on the server, and the dialog says so.
The format list is plain ASCII text (no radio glyphs, which some phone terminals draw two wide).
The report package loads when the dialog opens, not with the app: the first frame stays fast.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from cockpit.secrets import REDACTOR

if TYPE_CHECKING:
    from cockpit.project import Project

DESCRIPTIONS = {
    "md": "Markdown: renders on GitHub, pastes into a forum post",
    "html": "HTML: one self-contained page, opens and prints anywhere",
    "json": "JSON: versioned schema, for other tools",
}


@dataclass
class ReportWritten(Message, bubble=False):
    """The worker wrote the report here."""

    path: Path


class ExportDialog(ModalScreen[Path | None]):
    """Asks the format and the path, writes the report, shows where; `escape` closes it.

    Dismissed with the path written last (None if nothing was written).
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Close", id="export.cancel")]
    DEFAULT_CSS = """
    ExportDialog #export-formats { height: 5; border: ascii $accent; }
    ExportDialog #export-path { border: ascii $accent; }
    ExportDialog #export-status { height: auto; }
    """

    def __init__(self, project: Project, *, now: datetime | None = None) -> None:
        from cockpit.report import FORMATS

        super().__init__()
        self.project = project
        self.formats: tuple[str, ...] = FORMATS
        self.fmt = FORMATS[0]
        self.written: Path | None = None
        self._stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M")

    def compose(self) -> ComposeResult:
        from cockpit.report import default_name

        where = f"Relative paths are in {Path.cwd()} on {socket.gethostname()} (over SSH: the server)."
        with Vertical(classes="dialog"):
            yield Static(Text("Export the progress report", style="bold"), classes="dialog-title")
            yield Static(Text(where), classes="dialog-body", id="export-where")
            yield OptionList(*(Option(self._prompt(f), id=f) for f in self.formats), id="export-formats")
            yield Input(default_name(self.fmt, self._stamp), id="export-path")
            yield Static(Text(""), id="export-status")
            yield Static(
                Text("tab: next field   enter in the path: write   escape: close"), classes="dialog-keys"
            )

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    def _prompt(self, fmt: str) -> Text:
        """`[x] md  ...` for the chosen format: said in text, not only by the highlight's colour."""
        return Text(f"[{'x' if fmt == self.fmt else ' '}] {fmt:<4}  {DESCRIPTIONS[fmt]}")

    # -- choosing -----------------------------------------------------------------------------

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id is not None:
            self.choose(event.option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#export-path", Input).focus()  # chosen: on to the path

    def choose(self, fmt: str) -> None:
        """Make `fmt` the format; a path still ending in a report extension follows it."""
        if fmt not in self.formats or fmt == self.fmt:
            return
        self.fmt = fmt
        formats = self.query_one("#export-formats", OptionList)
        for name in self.formats:
            formats.replace_option_prompt(name, self._prompt(name))
        path = self.query_one("#export-path", Input)
        if Path(path.value).suffix.lstrip(".") in self.formats:
            path.value = str(Path(path.value).with_suffix(f".{fmt}"))

    # -- writing ------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if not value:
            self._status("Type a path to write the report to.", "bold")
            return
        self._status(f"Writing the {self.fmt} report...", "")
        self.write(self.fmt, value)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def write(self, fmt: str, path: str) -> None:
        from cockpit.report import write_report

        self.post_message(ReportWritten(write_report(self.project, fmt, path)))

    def on_report_written(self, message: ReportWritten) -> None:
        self.written = message.path
        self._status(f"Written: {message.path}", "bold")
        self.notify(REDACTOR.redact(str(message.path)), title="Report written")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self._status(f"NOT written: {error or type(error).__name__}", "bold reverse red")

    def _status(self, text: str, style: str) -> None:
        self.query_one("#export-status", Static).update(Text(REDACTOR.redact(text), style=style))

    def action_cancel(self) -> None:
        self.dismiss(self.written)
