"""Provides KeyBar: the keys of the current screen on one line at the bottom, in place of Footer.

Textual's Footer builds one widget per key and recomposes all of them whenever the bindings
change; on the Phases screen that was a third of the time to the first frame. One Static that
renders the same bindings as text does the job at a fraction of the cost: the keys that can run
now, as `Screen.active_bindings` reports them (what cannot run now is in the help, with why). A click on a key presses it, as on the Footer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.widgets import Static

if TYPE_CHECKING:
    from textual.screen import Screen


class KeyBar(Static):
    """One line: each shown binding as its key and description; the command palette on the right."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyBar > .keybar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"keybar--key"}

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id)
        self._spans: list[tuple[int, int, str]] = []  # (start, end, key) of each key's cells

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.redraw()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self.redraw()

    def redraw(self) -> None:
        """Render the bindings that can run now: one entry per action, its first key shown.

        A key that cannot run now (read-only, nothing selected) is left out: the help lists it
        with the reason. When the line is too narrow the screen's last keys give way, never
        the global ones (help, quit) nor the palette.
        """
        key_style = self.get_component_rich_style("keybar--key", partial=True)
        entries: list[tuple[str, str, str, bool]] = []  # (key shown, description, key, global)
        seen: set[str] = set()
        palette = None
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.action == "app.command_palette" or binding.key == self.app.COMMAND_PALETTE_BINDING:
                palette = active
                continue
            if not binding.show or not active.enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            shown = self.app.get_key_display(binding)
            entries.append((shown, binding.description, binding.key, active.node is self.app))
        room = self.size.width - (len(palette.binding.description) + 8 if palette is not None else 0)
        while entries and sum(len(e[0]) + len(e[1]) + 3 for e in entries) > room:
            mine = [i for i, e in enumerate(entries) if not e[3]]
            if not mine:
                break
            del entries[mine[-1]]
        text = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, str]] = []
        for shown, description, key, _ in entries:
            start = len(text)
            text.append(f" {shown} ", key_style)
            text.append(f"{description} ")
            spans.append((start, len(text), key))
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE:
            label = Text(f" {self.app.get_key_display(palette.binding)} ", key_style)
            label.append(f"{palette.binding.description} ")
            gap = max(1, self.size.width - len(text) - len(label))
            text.append(" " * gap)
            spans.append((len(text), len(text) + len(label), palette.binding.key))
            text.append_text(label)
        self._spans = spans
        self.update(text)

    def on_resize(self, _: events.Resize) -> None:
        self.redraw()  # the palette's key stays on the right edge

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key.split(",")[0])
                return
