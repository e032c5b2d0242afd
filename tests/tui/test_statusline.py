"""The status line: what it says when a backend is down, and that it never waits for one."""

from __future__ import annotations

import pytest

from cockpit.tui import live
from cockpit.tui.app import StoreState
from cockpit.tui.live import LiveStatus, UpsReading
from cockpit.tui.widgets.statusline import status_text
from tests.tui.conftest import SIZE, World, screen_text, settle

pytestmark = pytest.mark.anyio


def test_the_line_says_what_could_not_be_asked() -> None:
    down = LiveStatus(ups=UpsReading(error="nut: connection refused"), dns={"adguard": True, "pihole": False})
    text = status_text(down, True, StoreState("writing")).plain
    assert "UPS: NUT unreachable" in text and "adguard up" in text and "pihole DOWN" in text
    on_battery = LiveStatus(ups=UpsReading(["OB", "DISCHRG"], 80.0, 1200.0), dns={})
    assert "UPS OB DISCHRG 80% 20 min" in status_text(on_battery, True, StoreState("writing")).plain
    assert "asking" in status_text(None, False, StoreState()).plain


async def test_a_dns_server_that_stops_answering_shows_down(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "PROBE_TIMEOUT_S", 0.3)
    world.lab.faults.set_dns_down("pihole")
    world.lab.faults.set_down("nut")
    async with world.app().run_test(size=SIZE) as pilot:
        assert "asking" in screen_text(pilot), "the first frame does not wait for the probes"
        await settle(pilot)
        text = screen_text(pilot)
        assert "pihole DOWN" in text and "adguard up" in text
        assert "UPS: NUT unreachable" in text
