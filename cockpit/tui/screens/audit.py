"""Provides the Audit screen (key 3): the journal, newest first, filterable.

It reads the newest events only (`LIMIT`): the journal is read backwards from its end, so a
journal of a hundred thousand events opens as fast as a short one. `/` filters what was read by
any word of an event (operator, action, subject, outcome).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from cockpit.core import event_words
from cockpit.tui.messages import AuditLoaded
from cockpit.tui.screens.base import CockpitScreen
from cockpit.tui.text import redact, safe, when
from cockpit.tui.widgets.filterbar import FilterBar

LIMIT = 1000
SEARCH_AFTER_S = 0.3
# Sized for 80 columns; the selected event's full time, operator and subject are in the pane below.
COLUMNS = (("#", 5), ("Time", 14), ("Action", 20), ("Subject", 13), ("Outcome", 8), ("Operator", 8))


def _operator(event: dict[str, Any]) -> str:
    who = event.get("operator") or {}
    return str(who.get("user", "?")) if isinstance(who, dict) else str(who)


def event_detail(event: dict[str, Any]) -> Text:
    who = event.get("operator") or {}
    via = f" via {who.get('ssh_client')}" if isinstance(who, dict) and who.get("ssh_client") else ""
    where = f"@{who.get('host')}" if isinstance(who, dict) else ""
    text = Text()
    text.append(f"#{event['seq']} {event['action']} {event['subject']}", style="bold")
    text.append(safe(f"  by {_operator(event)}{where}{via} at {when(event.get('time'))}\n"))
    text.append(f"outcome: {event.get('outcome')}\n")
    text.append(safe(f"before: {redact(event.get('before'))}\n"))
    text.append(safe(f"after:  {redact(event.get('after'))}\n"))
    return text


class AuditScreen(CockpitScreen):
    """The audit trail."""

    TITLE = "Audit"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", key_display="/", id="audit.filter"),
        Binding("f5", "reload", "Refresh", id="audit.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []
        self.word_filter = ""
        self._searched = ""  # the filter the loaded events were searched for in the whole journal
        self._search_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static(self._title(), id="audit-title", classes="title")
        yield FilterBar(id="filter")
        yield DataTable(id="events", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(classes="detail"):
            yield Static(id="event-detail")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        table = self.query_one("#events", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width, key=label)

    def reload(self) -> None:
        if self.backend is not None:
            self.load_events()

    def action_reload(self) -> None:
        self.reload()

    def _title(self) -> Text:
        if self._searched:
            return Text(f"Audit: the newest {LIMIT} events of the whole journal with '{self._searched}'")
        return Text(f"Audit: the journal, newest first (the last {LIMIT} events; / searches all of it)")

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_events(self) -> None:
        assert self.backend is not None
        wanted = self.word_filter
        self.post_message(AuditLoaded(self.backend.audit(LIMIT, wanted), wanted))

    def on_audit_loaded(self, message: AuditLoaded) -> None:
        self.events = message.events
        self._searched = message.contains
        self.query_one("#audit-title", Static).update(self._title())
        self._redraw()

    def shown_events(self) -> list[dict[str, Any]]:
        """The loaded events that hold the filter: at once while typing, before the journal is searched."""
        wanted = self.word_filter.lower()
        return [e for e in self.events if wanted in event_words(e)]

    def _search_soon(self) -> None:
        """Search the whole journal for the filter once typing pauses (the newest LIMIT hits)."""
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_AFTER_S, self.reload)

    def _redraw(self) -> None:
        table = self.query_one("#events", DataTable)
        table.clear()
        for event in self.shown_events():
            table.add_row(
                str(event["seq"]),
                when(event.get("time"))[5:],  # month-day and time: the year is in the pane below
                safe(event["action"]),
                safe(event["subject"]),
                safe(event.get("outcome") or ""),
                safe(_operator(event)),
                key=str(event["seq"]),
            )
        self._show_detail()

    def _show_detail(self) -> None:
        table = self.query_one("#events", DataTable)
        shown = self.shown_events()
        row = table.cursor_row if table.row_count else -1
        self.query_one("#event-detail", Static).update(
            event_detail(shown[row]) if 0 <= row < len(shown) else ""
        )

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def action_filter(self) -> None:
        self.query_one("#filter", FilterBar).open()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.word_filter = event.value.strip()
            self._redraw()
            self._search_soon()

    def on_filter_bar_done(self, message: FilterBar.Done) -> None:
        self.word_filter = message.value
        self._redraw()
        self._search_soon()
        table = self.query_one("#events", DataTable)
        table.focus()
        table.move_cursor(row=0)
