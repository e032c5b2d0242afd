"""The Audit screen: the journal newest first, with who did what, and a filter."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from cockpit.tui.screens.audit import AuditScreen
from tests.tui.conftest import SIZE, World, screen_text, settle, wait_until

pytestmark = pytest.mark.anyio


def record_history(world: World) -> None:
    world.prepare(lambda cockpit: cockpit.override(1, "vlans done by hand"))
    world.prepare(lambda cockpit: cockpit.attest(0, "nothing-powered-before-ups", "all on battery outlets"))


async def test_the_journal_shows_newest_first_with_before_and_after(world: World) -> None:
    record_history(world)
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AuditScreen)
        assert [e["action"] for e in screen.events[:2]] == ["criterion.attested", "phase.overridden"]
        text = screen_text(pilot)
        assert text.index("criterion.attested") < text.index("phase.overridden")
        assert "after:" in text and "all on battery outlets" in text, "the selected event in full"


async def test_slash_filters_the_journal(world: World) -> None:
    record_history(world)
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("slash", "o", "v", "e", "r", "enter")
        table = pilot.app.screen.query_one("#events", DataTable)
        assert table.row_count == 1
        assert "phase.overridden" in screen_text(pilot) and "criterion.attested" not in screen_text(pilot)


async def test_the_filter_searches_the_whole_journal_not_only_the_newest_events(world: World) -> None:
    from cockpit.tui.screens.audit import LIMIT

    def history(cockpit) -> None:
        cockpit.override(1, "vlans done by hand")  # the one event the filter must find
        for n in range(LIMIT + 50):  # then more events than the screen loads
            cockpit.store.record("bench.note", str(n), after={"n": n})

    world.prepare(history)
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AuditScreen)
        assert len(screen.events) == LIMIT and all(e["action"] == "bench.note" for e in screen.events)
        await pilot.press("slash", *"overrid", "enter")
        await settle(pilot)
        await wait_until(pilot, lambda: screen._searched == "overrid")
        await settle(pilot)
        assert [e["action"] for e in screen.shown_events()] == ["phase.overridden"]
        assert "whole journal" in screen_text(pilot)
