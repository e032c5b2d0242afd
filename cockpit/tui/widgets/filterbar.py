"""Provides the filter bar: `/` opens it, typing filters, `enter` leaves it, `escape` clears it.

The screen that owns it does the filtering; the bar only says what was typed and when the
operator is done, so the Services and Audit screens share it without sharing their rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class FilterBar(Input):
    """An input that is hidden until asked for."""

    DEFAULT_CSS = """
    FilterBar { display: none; height: 1; border: none; padding: 0 1; }
    FilterBar.-open { display: block; }
    """

    BINDINGS = [Binding("escape", "clear", "Clear filter", id="filter.clear")]

    @dataclass
    class Done(Message):
        """The operator left the bar; `value` is the filter that stays (empty: none)."""

        value: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="filter by name; enter keeps it, escape clears it", id=id)

    def open(self) -> None:
        self.add_class("-open")
        self.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.remove_class("-open")
        self.post_message(self.Done(self.value.strip()))

    def action_clear(self) -> None:
        self.value = ""
        self.remove_class("-open")
        self.post_message(self.Done(""))
