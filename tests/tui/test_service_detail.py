"""The service detail: one service's facts, its state from the store, and its runbook, or the lack of one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App

from cockpit.models.inventory import Service
from cockpit.tui import glyphs
from cockpit.tui.board import ServiceRow
from cockpit.tui.screens.service_detail import NO_RUNBOOK, ServiceDetailScreen, runbook_text
from tests.tui.conftest import SIZE, odd_glyphs, screen_text

pytestmark = pytest.mark.anyio

STYLESHEET = Path(__file__).parents[2] / "cockpit" / "tui" / "cockpit.tcss"

IMMICH: dict[str, Any] = {
    "name": "immich",
    "title": "Immich photos",
    "hostnames": ["immich.home.arpa", "photos.home.arpa"],
    "v2": "192.168.20.11",
    "v3": "192.168.30.10",
    "phase": 4,
}
RUNBOOK = {
    "start": "docker compose -f /opt/immich/compose.yaml up -d",
    "stop": "docker compose -f /opt/immich/compose.yaml down",
    "backup": "Proxmox Backup Server snapshots the Docker VM nightly;\nthe library is on the NAS share photos.",
    "rollback": "cockpit rollback immich",
}


class DetailApp(App[None]):
    """An app of its own, with the cockpit's stylesheet, that shows one service's detail."""

    CSS_PATH = STYLESHEET

    def __init__(self, service: Service, row: ServiceRow | None = None) -> None:
        super().__init__()
        glyphs.install()
        self.detail = ServiceDetailScreen(service, row)

    def on_mount(self) -> None:
        self.push_screen(self.detail)


def immich(**changes: Any) -> Service:
    return Service.model_validate({**IMMICH, **changes})


async def test_a_service_without_a_runbook_says_so_plainly() -> None:
    async with DetailApp(immich()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(pilot)
        assert "Service immich" in text and "Immich photos" in text
        assert "immich.home.arpa, photos.home.arpa" in text
        assert "192.168.20.11" in text and "192.168.30.10" in text
        assert "4, cutover by dns, rollback automatic" in text
        assert "not read from the store" in text
        assert NO_RUNBOOK in text


async def test_the_runbook_shows_every_part_and_says_which_are_not_written() -> None:
    row = ServiceRow(
        name="immich",
        hostname="immich.home.arpa",
        state="cut_over",
        v2="192.168.20.11",
        v3="192.168.30.10",
        reason="verified on both servers",
    )
    async with DetailApp(immich(runbook=RUNBOOK), row).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = screen_text(pilot)
        assert "cut_over (verified on both servers)" in text
        assert "docker compose -f /opt/immich/compose.yaml up -d" in text
        assert "the library is on the NAS share photos." in text
        lines = [line.strip(" |") for line in text.splitlines()]
        restore = lines.index("restore")
        assert lines[restore + 1] == "not written", "a missing restore procedure is said, not left blank"
        assert NO_RUNBOOK not in text


async def test_escape_closes_the_detail() -> None:
    app = DetailApp(immich())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen is app.detail
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not app.detail


async def test_q_closes_it_too_without_quitting() -> None:
    app = DetailApp(immich())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert app.screen is not app.detail and app.is_running


async def test_a_long_runbook_scrolls_at_80x24_with_plain_glyphs() -> None:
    long = {**RUNBOOK, "restore": "\n".join(f"step {n}: restore part {n}" for n in range(1, 30))}
    async with DetailApp(immich(runbook=long)).run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "step 29" not in screen_text(pilot)
        assert not odd_glyphs(screen_text(pilot))
        await pilot.press("end")
        await pilot.pause()
        assert "step 29: restore part 29" in screen_text(pilot)
        assert "escape or q: close" in screen_text(pilot)


async def test_the_state_reads_in_words_without_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    row = ServiceRow(name="immich", hostname="immich.home.arpa", state="needs_attention", v2="a", v3="b")
    async with DetailApp(immich(), row).run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert pilot.app.no_color
        assert "needs_attention" in screen_text(pilot)


@pytest.mark.parametrize("runbook", [None, object(), {"start": "  ", "notes": None}])
def test_nothing_written_is_no_runbook(runbook: object) -> None:
    if isinstance(runbook, dict):
        runbook = immich(runbook=runbook).runbook
    assert runbook_text(runbook).plain == NO_RUNBOOK


def test_an_older_single_text_runbook_is_shown_as_notes() -> None:
    service = immich(runbook="Last to cut over; keep local break-glass accounts.")
    text = runbook_text(service.runbook).plain
    assert text.endswith("notes\n  Last to cut over; keep local break-glass accounts.\n")
    assert text.startswith("start\n  not written\n")
