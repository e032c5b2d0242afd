"""Issue 7's screens inside the cockpit: `4` the decisions log, `e` the report, `enter` a service's runbook."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.cutover.engine import drift_report, record_drift
from cockpit.decisions import list_decisions
from tests.tui.conftest import SIZE, World, screen_text, settle, wait_until

pytestmark = pytest.mark.anyio


async def test_4_shows_the_decisions_log_written_beside_the_lab_config(world: World) -> None:
    decisions = list_decisions(Path(world.info["config"]).parent)
    assert decisions, "the lab writes a decisions log from the seed"
    async with world.app().run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        assert type(pilot.app.screen).__name__ == "DecisionsScreen"
        text = screen_text(pilot)
        assert decisions[0].title[:30] in text


async def test_e_writes_the_report_where_the_operator_says(world: World, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "ExportDialog")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(tmp_path.glob("cockpit-report-*.md")))
        await settle(pilot)
        report = next(tmp_path.glob("cockpit-report-*.md")).read_text()
    assert "Phase 0" in report or "phase 0" in report.lower()


async def test_enter_on_the_board_shows_the_service_and_its_runbook(world: World) -> None:
    service = world.project.config.service("immich")
    assert service is not None and service.runbook is not None and service.runbook.rollback
    async with world.app().run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "ServiceDetailScreen")
        assert "immich.home.arpa" in screen_text(pilot)
        runbook = " ".join(str(pilot.app.screen.query_one("#service-runbook").render()).split())
        assert " ".join(service.runbook.rollback.split())[:40] in runbook
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "ServicesScreen")


async def test_drift_the_board_sees_is_journaled_once_and_reaches_the_report(world: World) -> None:
    from cockpit.report import build_report

    world.lab.adguard.add_rewrite("sonarr.home.arpa", "127.99.0.1")  # edited by hand in the web UI
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("f5")  # a second look at unchanged drift records nothing more
        await settle(pilot)
    with world.cockpit(write=False) as cockpit:
        (event,) = cockpit.audit(action="drift.observed")
    assert event["subject"] == "sonarr" and event["outcome"] == "drift" and event["after"]["findings"]
    sonarr = next(s for s in build_report(world.project).services if s.name == "sonarr")
    assert sonarr.drift and "127.99.0.1" in " ".join(sonarr.drift)
    world.lab.reset()  # the edit is undone by hand: the next look records that the drift is gone
    world.prepare(lambda cockpit: record_drift(cockpit, drift_report(cockpit)))
    with world.cockpit(write=False) as cockpit:
        newest = cockpit.audit(action="drift.observed")[0]
    assert newest["outcome"] == "ok" and newest["after"]["findings"] == []
    sonarr = next(s for s in build_report(world.project).services if s.name == "sonarr")
    assert sonarr.drift == []


async def test_e_and_W_are_in_the_help_and_the_palette_and_enter_is_not_marked_unavailable(
    world: World,
) -> None:
    from cockpit.tui.commands import CockpitCommands
    from cockpit.tui.screens.help import help_text

    async with world.app().run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        names = {name for name, _, _ in CockpitCommands(pilot.app.screen)._commands()}
        assert {"Export report", "Read-only / write"} <= names
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "HelpScreen")
        lines = help_text(pilot.app.screen_stack[-2]).plain.splitlines()
        export = next(line for line in lines if "Export report" in line)
        detail = next(line for line in lines if "Detail" in line)
        assert "not now" not in export and "not now" not in detail
