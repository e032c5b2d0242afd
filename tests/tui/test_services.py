"""The Services screen: every key of the cutover board, checked against the lab's DNS servers."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from cockpit.cutover.engine import Engine
from cockpit.tui.screens.dialogs import Confirm, TextView
from cockpit.tui.screens.services import ServicesScreen
from tests.tui.conftest import SIZE, World, open_phase, screen_text, settle, wait_until

pytestmark = pytest.mark.anyio


async def board(pilot: Pilot[Any], service: str | None = None) -> ServicesScreen:
    """Go to the board (key 2), wait for it to fill in, and put the cursor on `service`."""
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ServicesScreen)
    if service is not None:
        table = screen.query_one("#board", DataTable)
        table.move_cursor(row=table.get_row_index(service))
        await pilot.pause()
        assert screen.selected() == service
    return screen


async def test_r_rolls_a_cut_over_service_back_at_once_on_every_dns_server(world: World) -> None:
    open_phase(world, 4)
    world.cut_over("immich")
    v2, v3 = world.address("immich", "v2"), world.address("immich", "v3")
    assert world.answers("immich.home.arpa") == {"adguard": [v3], "pihole": [v3]}
    async with world.app().run_test(size=SIZE) as pilot:
        await board(pilot, "immich")
        await pilot.press("r")
        assert not isinstance(pilot.app.screen, Confirm), "no question asked"
        await settle(pilot)
        assert "rolled_back" in screen_text(pilot)
    for name in ("immich.home.arpa", "photos.home.arpa"):
        assert world.answers(name) == {"adguard": [v2], "pihole": [v2]}
    assert world.service_state("immich") == "rolled_back"


async def test_c_shows_the_plan_and_y_cuts_the_service_over(world: World) -> None:
    open_phase(world, 4)
    v3 = world.address("immich", "v3")
    async with world.app().run_test(size=SIZE) as pilot:
        await board(pilot, "immich")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, Confirm))
        text = screen_text(pilot)
        assert "Cut over immich?" in text and "now:" in text and "after:" in text and "can apply" in text
        await pilot.press("y")
        await settle(pilot)
        assert "cut_over" in screen_text(pilot)
    assert world.answers("immich.home.arpa") == {"adguard": [v3], "pihole": [v3]}
    assert world.service_state("immich") == "cut_over"


async def test_c_then_n_changes_nothing(world: World) -> None:
    open_phase(world, 4)
    v2 = world.address("immich", "v2")
    async with world.app().run_test(size=SIZE) as pilot:
        await board(pilot, "immich")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, Confirm))
        await pilot.press("n")
        await settle(pilot)
        assert "not confirmed" in screen_text(pilot)
    assert world.answers("immich.home.arpa") == {"adguard": [v2], "pihole": [v2]}
    assert world.service_state("immich") == "planned"


async def test_a_cutover_the_gate_refuses_is_shown_and_changes_nothing(world: World) -> None:
    async with world.app().run_test(size=SIZE) as pilot:
        await board(pilot, "immich")
        await pilot.press("c")
        await settle(pilot)
        text = screen_text(pilot)
        assert "REFUSED" in text and "phase 4" in text
    assert world.service_state("immich") == "planned"


async def test_R_rolls_back_every_cut_over_service_after_one_confirmation(world: World) -> None:
    open_phase(world, 4)
    world.cut_over("immich", "sonarr")
    async with world.app().run_test(size=SIZE) as pilot:
        await board(pilot)
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, Confirm))
        assert "immich" in screen_text(pilot) and "sonarr" in screen_text(pilot)
        await pilot.press("y")
        await settle(pilot)
    assert world.answers("immich.home.arpa")["pihole"] == [world.address("immich", "v2")]
    assert world.answers("sonarr.home.arpa")["adguard"] == [world.address("sonarr", "v2")]
    assert world.service_state("immich") == world.service_state("sonarr") == "rolled_back"


async def test_p_shows_the_plan_and_changes_nothing(world: World) -> None:
    open_phase(world, 4)
    async with world.app().run_test(size=SIZE) as pilot:
        await board(pilot, "sonarr")
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TextView))
        text = screen_text(pilot)
        assert "Plan: sonarr" in text and "adguard sonarr.home.arpa" in text
        await pilot.press("escape")
    assert world.service_state("sonarr") == "planned"


async def test_v_verifies_a_cut_over_service_now(world: World) -> None:
    open_phase(world, 4)
    world.cut_over("immich")
    async with world.app().run_test(size=SIZE) as pilot:
        await board(pilot, "immich")
        await pilot.press("v")
        await settle(pilot)
    assert world.service_state("immich") == "cut_over"
    with world.cockpit(write=False) as cockpit:
        verified = cockpit.audit(action="service.verified", limit=1)
        assert verified and verified[0]["subject"] == "immich" and verified[0]["outcome"] == "ok"
        assert cockpit.audit(limit=1, action="service.transition")[0]["after"]["reason"].startswith(
            "re-verified"
        )


async def test_f_finalizes_after_the_grace_period(world: World) -> None:
    open_phase(world, 4)
    world.cut_over("immich")
    await asyncio.sleep(0.35)  # the lab's grace period is 0.3 s
    async with world.app().run_test(size=SIZE) as pilot:
        await board(pilot, "immich")
        await pilot.press("f")
        await settle(pilot)
        assert "finalized" in screen_text(pilot)
    assert world.service_state("immich") == "finalized"


async def test_slash_filters_by_name_and_enter_keeps_the_first_match_selected(world: World) -> None:
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await board(pilot)
        await pilot.press("slash", "r", "a", "d")
        await pilot.press("enter")
        await pilot.pause()
        table = screen.query_one("#board", DataTable)
        assert table.row_count == 1 and screen.selected() == "radarr"
        assert pilot.app.focused is table
        await pilot.press("slash", "escape")
        assert table.row_count == len(screen.rows)


async def test_needs_attention_and_drift_are_impossible_to_miss(world: World) -> None:
    open_phase(world, 4)
    world.lab.faults.set_write_fault("adguard", "error", count=10, after=2)  # the cutover's writes pass
    world.lab.faults.set_write_fault("pihole", "error", count=1)
    world.prepare(lambda cockpit: Engine(cockpit).cutover(Engine(cockpit).services(["immich"])))
    world.lab.faults.clear()
    world.lab.adguard.add_rewrite("sonarr.home.arpa", "127.99.0.1")  # edited by hand in the web UI
    async with world.app().run_test(size=SIZE) as pilot:
        await board(pilot)
        text = screen_text(pilot)
        assert "NEEDS ATTENTION: immich" in text
        assert "DRIFT: sonarr" in text
        assert "! immich" in text and "! sonarr" in text


async def test_a_ups_on_battery_shows_the_power_guard(world: World) -> None:
    open_phase(world, 4)
    world.lab.faults.set_ups("on-battery")
    async with world.app().run_test(size=SIZE) as pilot:
        await board(pilot, "immich")
        text = screen_text(pilot)
        assert "POWER GUARD" in text and "OB" in text
        await pilot.press("c")
        await settle(pilot)
        assert "REFUSED" in screen_text(pilot) and "power guard" in screen_text(pilot)
    assert world.service_state("immich") == "planned"


async def test_a_hangup_mid_cutover_compensates_then_exits(world: World) -> None:
    open_phase(world, 4)
    world.lab.faults.set_write_latency("pihole", 300)  # the link drops while pihole is being changed
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await board(pilot, "immich")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, Confirm))
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.busy.get("immich") == "cutting_over")
        os.kill(os.getpid(), signal.SIGHUP)
        await wait_until(pilot, lambda: not app.is_running)
    v2 = world.address("immich", "v2")
    assert world.answers("immich.home.arpa") == {"adguard": [v2], "pihole": [v2]}
    assert world.service_state("immich") == "rolled_back"


def into_needs_attention(world: World) -> None:
    """immich in needs_attention: adguard refuses the compensation's writes, pihole the cutover's."""
    open_phase(world, 4)
    world.lab.faults.set_write_fault("adguard", "error", count=10, after=2)
    world.lab.faults.set_write_fault("pihole", "error", count=1)
    world.prepare(lambda cockpit: Engine(cockpit).cutover(Engine(cockpit).services(["immich"])))
    world.lab.faults.clear()
    assert world.service_state("immich") == "needs_attention"


async def test_u_resolves_needs_attention_by_restoring_the_recorded_entries(world: World) -> None:
    into_needs_attention(world)
    v2 = world.address("immich", "v2")
    async with world.app().run_test(size=SIZE) as pilot:
        await board(pilot, "immich")
        await pilot.press("u")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "TextPrompt")
        await pilot.press(*"adguard was restarted, put it back")
        await pilot.press("enter")
        await settle(pilot)
    assert world.service_state("immich") == "rolled_back"
    for name in ("immich.home.arpa", "photos.home.arpa"):
        assert world.answers(name) == {"adguard": [v2], "pihole": [v2]}
    with world.cockpit(write=False) as cockpit:
        assert "adguard was restarted" in str(cockpit.store.service_record("immich"))


async def test_a_adopts_what_the_servers_answer_and_refuses_when_they_disagree(world: World) -> None:
    into_needs_attention(world)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await board(pilot, "immich")
        assert screen.check_action("adopt", ()) and screen.check_action("restore", ())
        await pilot.press("a", *"fixed by hand tonight", "enter")
        await settle(pilot)
        assert "REFUSED" in screen_text(pilot) and "neither all v2 nor all v3" in screen_text(pilot)
        assert world.service_state("immich") == "needs_attention"
        world.lab.reset()  # the operator puts v2 back on every server by hand
        await pilot.press("a", *"v2 restored by hand", "enter")
        await settle(pilot)
    assert world.service_state("immich") == "rolled_back"
    with world.cockpit(write=False) as cockpit:
        errors = cockpit.audit(action="tui.error")
    assert errors and errors[-1]["outcome"] == "refused" and "neither all v2" in str(errors[-1]["after"])


async def test_adopt_and_restore_are_hidden_unless_the_service_needs_attention(world: World) -> None:
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await board(pilot, "immich")
        assert screen.check_action("adopt", ()) is False and screen.check_action("restore", ()) is False


async def test_a_refusal_on_screen_is_also_in_the_audit_trail(world: World) -> None:
    async with world.app().run_test(size=SIZE) as pilot:
        await board(pilot, "immich")
        await pilot.press("c")  # phase 4 is not open: the gate refuses
        await settle(pilot)
    with world.cockpit(write=False) as cockpit:
        (event,) = cockpit.audit(action="tui.error")  # once: shown once, journaled once
    assert event["outcome"] == "refused" and "phase 4" in event["after"]["error"]
    assert event["subject"].startswith("ServicesScreen.")


async def test_r_during_the_cutover_of_the_service_stops_it_and_rolls_it_back(world: World) -> None:
    open_phase(world, 4)
    v2 = world.address("immich", "v2")
    world.lab.faults.set_write_latency("pihole", 400)  # time to press r while it is being changed
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await board(pilot, "immich")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, Confirm))
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.busy.get("immich") == "cutting_over")
        assert screen.check_action("rollback", ()) is True
        await pilot.press("r")
        await settle(pilot)
    world.lab.faults.clear()
    assert world.service_state("immich") == "rolled_back"
    for name in ("immich.home.arpa", "photos.home.arpa"):
        assert world.answers(name) == {"adguard": [v2], "pihole": [v2]}
    with world.cockpit(write=False) as cockpit:
        record = cockpit.store.service_record("immich") or {}
    assert "rollback asked by the operator during the cutover" in str(record.get("reason"))


def test_a_rollback_never_waits_behind_the_boards_look_at_the_servers(world: World, monkeypatch) -> None:
    """The board asks every server for drift outside the session's lock: `r` runs meanwhile."""
    import threading

    import cockpit.tui.backend as backend_module
    from cockpit.tui.backend import Backend

    open_phase(world, 4)
    world.cut_over("immich")
    asking, release = threading.Event(), threading.Event()

    def slow_drift(cockpit):  # a server that takes its time to answer
        asking.set()
        release.wait(30)
        return {}

    monkeypatch.setattr(backend_module, "drift_report", slow_drift)
    backend = Backend.open(world.project, write=True)
    try:
        looking = threading.Thread(target=backend.drift)
        looking.start()
        assert asking.wait(10)
        (result,) = backend.rollback(["immich"], lambda *_: None)  # would deadlock behind the lock
        assert result["state"] == "rolled_back"
        release.set()
        looking.join(10)
    finally:
        release.set()
        backend.close()
