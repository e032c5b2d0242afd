"""The TUI's start: the first frame from the phase outline, the project loaded behind it, bad input
ending the app with exit 2, what the start imports, and the key bar that replaced the Footer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cockpit.configsource import phase_outline
from cockpit.errors import InputError, InputProblem
from cockpit.project import load_project
from cockpit.tui import run_tui
from cockpit.tui.app import CockpitApp
from cockpit.tui.widgets.keybar import KeyBar
from tests.tui.conftest import SIZE, World, screen_text, settle, wait_until

pytestmark = pytest.mark.anyio


def test_the_outline_is_each_phase_number_and_title_read_without_validation(world: World) -> None:
    outline = phase_outline(world.info["config"])
    assert outline == [(p.id, p.title) for p in world.project.phases]


def test_the_outline_of_an_unreadable_config_is_empty_not_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "cockpit.toml"
    broken.write_text("phases_dir = [unclosed\n")
    assert phase_outline(str(broken)) == []
    assert phase_outline(str(tmp_path / "missing.toml")) == []


async def test_the_first_frame_draws_the_outline_then_the_project_loads_behind_it(world: World) -> None:
    outline = [(0, "Outline zero"), *((p.id, p.title) for p in world.project.phases[1:])]
    loads: list[str] = []

    def load():  # what the CLI hands the TUI: validation happens in a worker
        loads.append("loaded")
        return load_project(world.info["config"], str(world.project.state_dir))

    app = CockpitApp(load, outline=outline)
    async with app.run_test(size=SIZE) as pilot:
        assert "Outline zero" in screen_text(pilot)  # drawn from the outline
        await wait_until(pilot, lambda: app.loaded and app.backend is not None)
        await settle(pilot)
        text = screen_text(pilot)
        assert loads == ["loaded"]
        assert "store: writing" in text and "ready" in text
        await pilot.press("enter")  # a phase opens once the project is here
        await wait_until(pilot, lambda: type(app.screen).__name__ == "PhaseScreen")


async def test_a_key_that_needs_the_project_waits_for_it(world: World) -> None:
    app = CockpitApp(lambda: world.project, outline=[(0, "zero")])
    app._start_workers = lambda: None  # type: ignore[method-assign]  # the store never opens here
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert not app.loaded
        assert screen.check_action("open_phase", ()) is False  # hidden until the project is here
        await wait_until(pilot, lambda: app.loaded)
        assert screen.check_action("open_phase", ()) is True


def test_bad_input_found_behind_the_first_frame_ends_the_app_with_the_error() -> None:
    problem = InputProblem("/etc/cockpit.toml", 7, "services.0.v3", "not an IP address")

    def load():
        raise InputError([problem])

    app = CockpitApp(load, outline=[(0, "zero")])

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.load_error is not None)

    import asyncio

    asyncio.run(run())
    assert isinstance(app.load_error, InputError)
    assert app.load_error.exit_code == 2


def test_run_tui_raises_the_load_error_for_the_cli_to_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """`run_tui` re-raises what the loader raised, so the CLI prints file:line and exits 2."""

    def fake_run(self: CockpitApp, **_: object) -> None:
        self.load_error = InputError([InputProblem("/x/cockpit.toml", 3, "hosts.0.name", "missing")])

    monkeypatch.setattr(CockpitApp, "run", fake_run)
    with pytest.raises(InputError, match="cockpit.toml:3"):
        run_tui(lambda: None, outline=[])  # type: ignore[arg-type, return-value]


def test_starting_the_tui_imports_neither_pydantic_nor_the_adapters() -> None:
    """The first frame waits for every import before it: these load in workers, after it."""
    probe = (
        "import sys; import cockpit.cli.entry, cockpit.configsource, cockpit.tui.app; "
        "print(sorted(m for m in ('pydantic', 'httpx', 'dns', 'proxmoxer', 'tinydb', 'cockpit.core') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


async def test_the_key_bar_shows_the_keys_that_can_run_and_presses_on_click(world: World) -> None:
    async with world.app().run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        text = str(pilot.app.screen.query_one(KeyBar).render())
        assert "c Cut over" in text and "q Quit" in text and "^p" in text
        assert text.count("Help") == 1  # ? and f1: one action, shown once
        start = text.index("? Help")
        await pilot.click(KeyBar, offset=(start + 1, 0))
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "HelpScreen")
    async with world.app(write=False).run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        text = str(pilot.app.screen.query_one(KeyBar).render())
        assert "Cut over" not in text and "Plan" in text  # read-only: nothing that changes anything


async def test_at_80_columns_the_screens_keys_give_way_to_help_and_quit(world: World) -> None:
    async with world.app().run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        text = str(pilot.app.screen.query_one(KeyBar).render())
        assert "? Help" in text and "q Quit" in text and "^p palette" in text
        assert len(text.rstrip()) <= 80
