"""The app as a whole: the first frame, the status line, modes, help, the palette, quitting, read-only."""

from __future__ import annotations

import os
import signal

import pytest
from textual.pilot import Pilot

from cockpit.core import Cockpit
from cockpit.tui.commands import CockpitCommands
from cockpit.tui.screens.audit import AuditScreen
from cockpit.tui.screens.dialogs import Confirm, TextView
from cockpit.tui.screens.help import HelpScreen
from cockpit.tui.screens.phases import PhasesScreen
from cockpit.tui.screens.services import ServicesScreen
from tests.tui.conftest import SIZE, World, odd_glyphs, open_phase, screen_text, settle, wait_until

pytestmark = pytest.mark.anyio


async def test_the_first_frame_draws_all_seven_phases_before_any_backend_answers(world: World) -> None:
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        first = screen_text(pilot)  # before any worker's answer has been handled
        assert isinstance(app.screen, PhasesScreen)
        for phase in world.project.phases:
            assert phase.title[:20] in first
        await settle(pilot)
        text = screen_text(pilot)
        assert "UPS OL" in text and "adguard up" in text and "pihole up" in text
        assert "store: writing" in text
        assert "ready" in text and "locked" in text


async def test_keys_1_2_3_switch_between_phases_services_and_audit(world: World) -> None:
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        assert isinstance(pilot.app.screen, ServicesScreen)
        await pilot.press("3")
        assert isinstance(pilot.app.screen, AuditScreen)
        await pilot.press("1")
        assert isinstance(pilot.app.screen, PhasesScreen)


async def test_1_brings_back_the_list_of_phases_even_with_a_phase_open(world: World) -> None:
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "PhaseScreen")
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PhasesScreen)


async def test_question_mark_and_f1_list_the_keys_of_the_screen_and_the_global_ones(world: World) -> None:
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        for key in ("question_mark", "f1"):
            await pilot.press(key)
            assert isinstance(pilot.app.screen, HelpScreen)
            text = screen_text(pilot)
            for words in ("Roll back", "Cut over", "Plan", "Verify", "Finalize", "Roll back all", "Filter"):
                assert words in text
            for words in ("Services", "Audit", "Quit", "ctrl+p", "?, f1"):
                assert words in text
            await pilot.press("escape")
            assert isinstance(pilot.app.screen, ServicesScreen)


async def test_the_palette_offers_only_what_can_run_now(world: World) -> None:
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        names = {name for name, _, _ in CockpitCommands(pilot.app.screen)._commands()}
        assert {"Cut over", "Plan", "Verify", "Filter", "Quit", "Audit"} <= names
        assert "Roll back" not in names and "Finalize" not in names, "nothing is cut over yet"
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: "palette" in type(pilot.app.screen).__name__.lower())


async def test_q_quits_and_releases_the_store_lock(world: World) -> None:
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    with Cockpit.open(world.project, write=True) as cockpit:  # the lock was released
        assert cockpit.store.writable


async def test_q_asks_first_while_an_operation_runs(world: World) -> None:
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.backend is not None
        app.backend._lock.acquire()  # the store is busy: the check waits for it, as behind a slow backend
        try:
            await pilot.press("x")
            await wait_until(pilot, lambda: app.operation_running)
            assert "] checking phase 0" in screen_text(pilot), "progress is shown"
            await pilot.press("q")
            assert isinstance(app.screen, Confirm)
            await pilot.press("n")
            assert app.is_running and app.operation_running
            await pilot.press("q", "y")
        finally:
            app.backend._lock.release()
        await wait_until(pilot, lambda: not app.is_running)
    assert app.return_code == 0
    with world.cockpit(write=False) as cockpit:
        assert cockpit.audit(action="check.recorded"), "the check in flight finished before the exit"


async def test_a_locked_store_opens_read_only_and_names_the_holder(world: World) -> None:
    with Cockpit.open(world.project, write=True):
        app = world.app()
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            text = screen_text(pilot)
            assert "READ-ONLY: locked by" in text and "pid" in text and " UTC" in text
            assert "store: read-only" in text
            await pilot.press("2")
            await settle(pilot)
            names = {name for name, _, _ in CockpitCommands(pilot.app.screen)._commands()}
            assert "Cut over" not in names and "Plan" in names


async def test_W_switches_into_read_only_at_runtime_releasing_the_lock_and_back(world: World) -> None:
    from cockpit.errors import LockedError

    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert pilot.app.screen.check_action("cutover", ()) is True
        with pytest.raises(LockedError):
            Cockpit.open(world.project, write=True)
        await pilot.press("W")
        await settle(pilot)
        text = screen_text(pilot)
        assert "READ-ONLY: switched to read-only" in text and "store: read-only" in text
        assert pilot.app.screen.check_action("cutover", ()) is None  # dimmed: it would change something
        with Cockpit.open(world.project, write=True):  # the lock is free for another cockpit
            pass
        await pilot.press("W")
        await settle(pilot)
        assert "store: writing" in screen_text(pilot)
        assert pilot.app.screen.check_action("cutover", ()) is True


async def test_no_screen_uses_glyphs_of_ambiguous_width(world: World) -> None:
    async with world.app().run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        seen = screen_text(pilot)
        steps = (
            ["enter"],
            ["escape", "2"],
            ["p"],
            ["escape", "c"],
            ["3"],
            ["4"],
            ["question_mark"],
            ["escape", "ctrl+p"],
            ["escape", "2", "slash", "i"],
            ["escape", "e"],
        )
        for keys in steps:  # every screen, dialogs, a refusal, the help, the palette, the filter, export
            await pilot.press(*keys)
            await settle(pilot)
            seen += screen_text(pilot)
        assert "Refused or failed" in seen, "a notification was on screen"
        assert odd_glyphs(seen) == set()


async def test_the_palette_runs_the_command_it_offers(world: World) -> None:
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("ctrl+p", "P", "l", "a", "n")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TextView))
        assert "Plan: immich" in screen_text(pilot)


async def test_a_hangup_during_a_rollback_lets_it_finish_then_exits(world: World) -> None:
    open_phase(world, 4)
    world.cut_over("immich")
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert app.backend is not None
        app.backend._lock.acquire()  # hold the store: the rollback is in flight when the link drops
        try:
            await pilot.press("r")
            await wait_until(pilot, lambda: app.operation_running)
            os.kill(os.getpid(), signal.SIGHUP)
            await pilot.pause()
        finally:
            app.backend._lock.release()
        await wait_until(pilot, lambda: not app.is_running)
    v2 = world.address("immich", "v2")
    assert world.answers("immich.home.arpa") == {"adguard": [v2], "pihole": [v2]}
    assert world.service_state("immich") == "rolled_back"
    with Cockpit.open(world.project, write=True) as cockpit:
        assert cockpit.store.writable, "the lock was released"


async def test_no_mouse_turns_mouse_reporting_off(world: World) -> None:
    app = world.app(mouse=False)
    seen: list[bool] = []

    async def look(pilot: Pilot[int]) -> None:
        seen.append(pilot.app._driver._mouse)  # type: ignore[union-attr]
        pilot.app.exit(0)

    await app.run_async(headless=True, size=SIZE, auto_pilot=look)
    assert seen == [False]


async def test_a_store_that_cannot_be_trusted_is_said_plainly_and_the_app_stays_up(world: World) -> None:
    world.project.state_dir.mkdir(parents=True)
    (world.project.state_dir / "cockpit-state.json").write_text("")
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(pilot)
        assert "store: NOT OPEN" in text and "could not be opened" in text
        assert app.is_running and app.backend is None
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, ServicesScreen)


async def test_no_color_turns_colour_off_and_every_alarm_still_reads_in_words(
    world: World, monkeypatch
) -> None:
    from cockpit.cutover.engine import Engine

    open_phase(world, 4)
    world.lab.faults.set_write_fault("adguard", "error", count=10, after=2)
    world.lab.faults.set_write_fault("pihole", "error", count=1)
    world.prepare(lambda cockpit: Engine(cockpit).cutover(Engine(cockpit).services(["immich"])))
    world.lab.faults.clear()
    monkeypatch.setenv("NO_COLOR", "1")
    async with world.app().run_test(size=SIZE) as pilot:
        assert pilot.app.no_color
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        text = screen_text(pilot)
        assert "NEEDS ATTENTION: immich" in text and "! immich" in text and "needs_attention" in text
