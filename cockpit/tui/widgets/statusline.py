"""Provides the status line: the UPS, each DNS server, and the store's lock, always on screen.

Every screen has one; they all draw the app's latest probe and store state, which the app keeps
in reactives, so the line fills in when a probe returns and never waits for one. When the store
is read-only a second line says so and names the lock holder: an operator who cannot change
anything must see why before pressing a key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from cockpit.tui.live import LiveStatus, UpsReading
from cockpit.tui.text import redact

if TYPE_CHECKING:
    from cockpit.tui.app import CockpitApp, StoreState


def _ups(ups: UpsReading | None) -> tuple[str, str]:
    if ups is None:
        return "UPS: not configured", "dim"
    if ups.error:
        return "UPS: NUT unreachable", "bold reverse red"
    parts = ["UPS", " ".join(ups.flags) or "no status"]
    if ups.charge is not None:
        parts.append(f"{ups.charge:.0f}%")
    if ups.runtime_s is not None:
        parts.append(f"{ups.runtime_s / 60:.0f} min")
    return " ".join(parts), "" if ups.safe else "bold reverse red"


def status_text(live: LiveStatus | None, probed: bool, store: StoreState) -> Text:
    """The line itself (a function of plain values, so it is easy to test and to read)."""
    text = Text(no_wrap=True, overflow="crop")
    if not probed:
        text.append("UPS: asking...  DNS: asking...", style="dim")
    elif live is None:
        text.append("example inventory: no backend is contacted", style="dim")
    else:
        words, style = _ups(live.ups)
        text.append(words, style=style)
        text.append("  DNS:")
        for name, up in live.dns.items():
            text.append(" ")
            text.append(f"{name} {'up' if up else 'DOWN'}", style="" if up else "bold reverse red")
    text.append(f"  store: {store.mode}", style="bold" if store.mode != "writing" else "")
    if store.banner:
        text.append("\n")
        text.append(redact(store.banner), style="bold reverse yellow")
    return text


class StatusLine(Static):
    """One or two lines at the top of every screen."""

    DEFAULT_CSS = """
    StatusLine { height: auto; max-height: 2; background: $panel; }
    """

    def on_mount(self) -> None:
        app: CockpitApp = self.app  # type: ignore[assignment]
        self.watch(app, "live", self._redraw, init=False)
        self.watch(app, "store_state", self._redraw, init=False)
        self._redraw()

    def _redraw(self, *_: object) -> None:
        app: CockpitApp = self.app  # type: ignore[assignment]
        self.update(status_text(app.live, app.probed, app.store_state))
