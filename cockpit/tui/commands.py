"""Provides the command palette's provider: the same actions as the keys, only those that can run now.

Each command is a binding of the screen the palette was opened on, or a global one; a binding
is declared once (key, action, description, id) and drives the key, the footer, the help and
the palette alike. `Screen.active_bindings` already asks every node's `check_action`, so an
action hidden or dimmed on screen (no selection, read-only) is not offered here either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider, SearchIcon

from cockpit.tui.keys import key_label


class CockpitCommands(Provider):
    """Offers every enabled binding with an id as a command."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.id or not binding.description or not active.enabled or binding.id in seen:
                continue
            seen.add(binding.id)
            run = partial(self.app.run_action, binding.action, active.node)
            yield binding.description, f"key {key_label(key)}", run

    async def discover(self) -> Hits:
        for name, help_text, run in sorted(self._commands(), key=lambda item: item[0]):
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, run in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)


class AsciiPalette(CommandPalette):
    """Textual's palette with a plain `>` for its search emoji, which some terminals draw two cells wide."""

    def on_mount(self) -> None:
        for icon in self.query(SearchIcon):
            icon.icon = ">"
