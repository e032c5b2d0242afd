"""Provides the Help screen: every key of the screen it was opened on, then the global ones.

It reads the bindings themselves (the ones with an id: the cockpit's own), so it cannot drift
from what the keys do. A key that cannot run now is listed with the reason class it falls in.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from cockpit.tui.keys import key_label


@dataclass
class Entry:
    """One binding as the help lists it."""

    keys: list[str]
    description: str
    enabled: bool


def _entries(screen: Screen[object]) -> tuple[dict[str, Entry], dict[str, Entry]]:
    """The screen's own keys and the global ones, one entry per binding (its keys joined)."""
    mine: dict[str, Entry] = {}
    everywhere: dict[str, Entry] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.id or not binding.description:
            continue
        target = everywhere if active.node is screen.app else mine
        entry = target.setdefault(binding.id, Entry([], binding.description, active.enabled))
        entry.keys.append(key_label(key))
    for declared in screen.BINDINGS:  # keys hidden now (nothing selected) are keys all the same
        if isinstance(declared, Binding) and declared.id and declared.id not in mine and declared.description:
            keys = [key_label(k.strip()) for k in declared.key.split(",")]
            # Not active can also mean shadowed: the table's own `enter` selects the row, and the
            # screen answers the selection with this very action. The screen says if it can run.
            mine[declared.id] = Entry(
                keys, declared.description, screen.check_action(declared.action, ()) is True
            )
    everywhere["palette"] = Entry(["ctrl+p"], "Command palette: the same actions, by name", True)
    return mine, everywhere


def help_text(screen: Screen[object], width: int = 74) -> Text:
    """The keys of `screen`, one binding per line, then the global ones packed in lines, as of now.

    The global keys are short and the same everywhere: packed, the whole help fits 80x24.
    """
    mine, everywhere = _entries(screen)
    text = Text()
    text.append("This screen\n", style="bold underline")
    for entry in mine.values():
        note = "" if entry.enabled else "  (not now)"
        line = f"  {', '.join(entry.keys):<20} {entry.description}{note}\n"
        text.append(line, style="" if entry.enabled else "dim")
    text.append("Everywhere\n", style="bold underline")
    column = 2
    text.append("  ")
    for entry in everywhere.values():
        item = f"{', '.join(entry.keys)} {entry.description}" + ("" if entry.enabled else " (not now)")
        if column + len(item) + 3 > width and column > 2:
            text.append("\n  ")
            column = 2
        elif column > 2:
            text.append("   ")
            column += 3
        text.append(item, style="" if entry.enabled else "dim")
        column += len(item)
    text.append("\n")
    return text


class HelpScreen(ModalScreen[None]):
    """Keys, for the screen below."""

    BINDINGS = [Binding("escape,question_mark,f1,q", "close", "Close help", id="help.close")]

    def __init__(self, source: Screen[object]) -> None:
        super().__init__()
        self._source = source

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(f"Keys: {self._source.title or type(self._source).__name__}", style="bold"))
            with VerticalScroll(classes="dialog-body", id="help-body"):
                yield Static(help_text(self._source), id="help-text")
            yield Static(Text("escape, ? or q: close"), classes="dialog-keys")

    def action_close(self) -> None:
        self.dismiss(None)
