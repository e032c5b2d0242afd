"""The Phases and Phase screens: each key changes the store as the core would, and the screen shows it."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from cockpit.core import Cockpit
from cockpit.tui.screens.dialogs import TextPrompt
from cockpit.tui.screens.phase import PhaseScreen
from cockpit.tui.screens.phases import PhasesScreen
from tests.tui.conftest import SIZE, World, open_phase, screen_text, settle, wait_until

pytestmark = pytest.mark.anyio


async def open_phase_screen(pilot: Pilot[Any], phase: int) -> PhaseScreen:
    await settle(pilot)
    await pilot.press(*(["down"] * phase), "enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PhaseScreen) and screen.phase_id == phase
    return screen


async def select(pilot: Pilot[Any], screen: PhaseScreen, kind: str, item: str) -> None:
    """Put the cursor on a row (the arrow keys are DataTable's own; moving there directly is faster)."""
    table = screen.query_one("#items", DataTable)
    table.move_cursor(row=table.get_row_index(f"{kind}:{item}"))
    await pilot.pause()
    assert screen.selected() == (kind, item)


async def answer(pilot: Pilot[Any], text: str) -> None:
    """Type into the prompt and press enter (the text is put in whole: a key press per letter is slow)."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, TextPrompt))
    pilot.app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await settle(pilot)


async def test_enter_opens_a_phase_and_escape_comes_back(world: World) -> None:
    async with world.app().run_test(size=SIZE) as pilot:
        await open_phase_screen(pilot, 0)
        text = screen_text(pilot)
        assert "Phase 0: Power protection" in text and "[ready]" in text
        assert "v2-still-serving" in text and "install-ups" in text and "ups-online" in text
        assert "not evaluated" in text
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, PhasesScreen)


async def test_x_runs_the_checks_and_records_their_results(world: World) -> None:
    async with world.app().run_test(size=SIZE) as pilot:
        await open_phase_screen(pilot, 0)
        await pilot.press("x")
        await settle(pilot)
        text = screen_text(pilot)
        assert "[active]" in text, "the entry criterion passed: the gate opened"
        assert "pass" in text
    with world.cockpit(write=False) as cockpit:
        results = {r.criterion: r.result for r in cockpit.criteria(0)}
        assert results["v2-still-serving"] == "pass" and results["ups-online"] == "pass"
        assert cockpit.states()[0] == "active"
        assert cockpit.audit(action="check.recorded")


async def test_x_shows_each_criterion_as_it_comes_back(world: World, monkeypatch) -> None:
    from cockpit.tui.widgets.activity import Activity

    said: list[str] = []
    start = Activity.start
    monkeypatch.setattr(Activity, "start", lambda self, what: (said.append(what), start(self, what))[1])
    async with world.app().run_test(size=SIZE) as pilot:
        await open_phase_screen(pilot, 0)
        await pilot.press("x")
        await settle(pilot)
    total = len(world.project.phases[0].criteria())
    counts = [line.split(": ")[1].split(" criteria")[0] for line in said if " criteria (" in line]
    assert counts == [f"{n}/{total}" for n in range(1, total + 1)]


async def test_space_marks_the_selected_task_done_with_a_note_and_again_undone(world: World) -> None:
    world.prepare(lambda cockpit: cockpit.check([0]))
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_phase_screen(pilot, 0)
        await select(pilot, screen, "task", "install-ups")
        await pilot.press("space")
        await answer(pilot, "racked")
        with world.cockpit(write=False) as cockpit:
            record = cockpit.store.task(0, "install-ups") or {}
            assert record["done"] is True and record["note"] == "racked"
        assert "done" in screen_text(pilot)
        await pilot.press("space")
        await answer(pilot, "oops")
    with world.cockpit(write=False) as cockpit:
        assert (cockpit.store.task(0, "install-ups") or {})["done"] is False


async def test_a_attests_the_selected_manual_criterion_with_evidence(world: World) -> None:
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_phase_screen(pilot, 0)
        await select(pilot, screen, "task", "install-ups")
        assert screen.check_action("attest", ()) is False, "a is hidden: a task is selected"
        assert screen.check_action("run_task", ()) is False, "t is hidden: install-ups has no actions"
        await select(pilot, screen, "exit", "nothing-powered-before-ups")
        await pilot.press("a")
        await answer(pilot, "all on ups")
        assert "pass" in screen_text(pilot)
    with world.cockpit(write=False) as cockpit:
        attestation = cockpit.store.attestation(0, "nothing-powered-before-ups") or {}
        assert attestation["evidence"] == "all on ups"


async def test_o_overrides_a_locked_phase_with_a_typed_reason_and_refuses_a_short_one(world: World) -> None:
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_phase_screen(pilot, 1)
        assert "[locked]" in screen_text(pilot)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TextPrompt))
        await pilot.press("s", "h", "o", "r", "t", "enter")  # typed, key by key
        assert isinstance(pilot.app.screen, TextPrompt), "a reason under 8 characters is not taken"
        await pilot.press("escape")
        assert pilot.app.screen is screen
        await pilot.press("o")
        await answer(pilot, "done by hand")
        assert "[active, OVERRIDDEN]" in screen_text(pilot)
    with world.cockpit(write=False) as cockpit:
        assert cockpit.store.phase_record(1)["override"]["reason"] == "done by hand"


async def test_t_runs_the_selected_task_through_its_adapter_and_keeps_the_output(world: World) -> None:
    open_phase(world, 4)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_phase_screen(pilot, 4)
        await select(pilot, screen, "task", "snapshot-docker-vm")
        await pilot.press("t")
        await settle(pilot)
        text = screen_text(pilot)
        assert "last run: ok" in text and "proxmox.snapshot" in text
    with world.cockpit(write=False) as cockpit:
        record = cockpit.store.task(4, "snapshot-docker-vm") or {}
        assert record["done"] is True and record["last_run"]["ok"] is True


async def test_read_only_dims_every_change_but_still_checks(world: World) -> None:
    with Cockpit.open(world.project, write=True):
        async with world.app().run_test(size=SIZE) as pilot:
            screen = await open_phase_screen(pilot, 0)
            await select(pilot, screen, "exit", "nothing-powered-before-ups")
            assert screen.check_action("attest", ()) is None and screen.check_action("override", ()) is None
            await pilot.press("x")
            await settle(pilot)
            assert "not evaluated" in screen_text(pilot)


async def test_the_phases_screen_shows_the_lint_findings_of_the_phase_at_hand(tmp_path) -> None:
    """The seed's v2 inventory (no UPS, TrueNAS as a VM...): phase 0 is next, so its finding shows."""
    from cockpit.configsource import EXAMPLE_CONFIG
    from cockpit.project import load_project
    from cockpit.tui.app import CockpitApp

    project = load_project(str(EXAMPLE_CONFIG.with_name("v2.toml")), str(tmp_path / "state"))
    async with CockpitApp(project).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        text = screen_text(pilot)
        assert "LINT, phase 0: 1 error(s)" in text and "no-ups" in text
        assert "nas-on-hypervisor" not in text, "phase 2's findings wait for phase 2"


async def test_the_lint_line_is_hidden_when_the_phase_at_hand_is_clean(world: World) -> None:
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "LINT" not in screen_text(pilot)


async def test_progress_bars_draw_once_there_is_progress(world: World) -> None:
    world.prepare(lambda cockpit: (cockpit.check([0]), cockpit.set_task(0, "install-ups", True, "installed")))
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "[#----] 1/6" in screen_text(pilot)
