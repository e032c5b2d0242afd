"""Provides the dialogs: a yes/no confirmation, a typed-text prompt and a read-only text view.

They are modal (the screen below and the global keys wait) and answer through `dismiss`, so the
caller gets a plain value in its callback. Keys are single printable letters (`y`, `n`) and
`escape`; the text shown is the caller's, already made safe by `cockpit.tui.text`.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static


def _text_dialog(title: str, body: str, keys: str) -> ComposeResult:
    """The layout of a dialog that shows a text: the title, the text (scrolling), the keys."""
    with Vertical(classes="dialog"):
        yield Static(Text(title, style="bold"), classes="dialog-title")
        with VerticalScroll(classes="dialog-body"):
            yield Static(Text(body))
        yield Static(Text(keys), classes="dialog-keys")


class Confirm(ModalScreen[bool]):
    """Shows what will happen, then `y` does it and `n` or `escape` does not."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes, do it", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self._title, self._body = title, body

    def compose(self) -> ComposeResult:
        yield from _text_dialog(self._title, self._body, "y: yes, do it    n or escape: no, change nothing")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class TextPrompt(ModalScreen[str | None]):
    """Asks for typed text (a note, evidence, a reason) of at least `minimum` characters."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str, hint: str, *, minimum: int = 1) -> None:
        super().__init__()
        self._title, self._hint, self._minimum = title, hint, minimum

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self._title, style="bold"), classes="dialog-title")
            yield Static(Text(self._hint), classes="dialog-body")
            yield Input(id="prompt-input")
            yield Static(Text("enter: record it    escape: cancel"), classes="dialog-keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if len(value) < self._minimum:
            self.notify(f"Type at least {self._minimum} characters.", severity="warning")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextView(ModalScreen[None]):
    """A text to read (a plan), closed with `escape`, `enter` or `q`."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="view.close")]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self._title, self._body = title, body

    def compose(self) -> ComposeResult:
        yield from _text_dialog(self._title, self._body, "escape, enter or q: close")

    def action_close(self) -> None:
        self.dismiss(None)
