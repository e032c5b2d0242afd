"""The export dialog: pick a format, take the default name or type a path, and see where it was written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from textual.app import App

import cockpit.tui
from cockpit.core import Cockpit
from cockpit.project import Project, load_project
from cockpit.tui.screens.export import ExportDialog
from tests.tui.conftest import SIZE, odd_glyphs, screen_text, settle, wait_until

pytestmark = pytest.mark.anyio


class ExportHost(App[None]):
    """Just enough app to open the dialog over (with the cockpit's style sheet), keeping its answer."""

    CSS_PATH = str(Path(cockpit.tui.__file__).with_name("cockpit.tcss"))

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project
        self.closed_with: list[Path | None] = []

    def on_mount(self) -> None:
        self.push_screen(ExportDialog(self.project), self.closed_with.append)


@pytest.fixture
def project(lab) -> Project:
    project = load_project(str(lab.config))
    with Cockpit.open(project, write=True) as cockpit:
        cockpit.attest(0, "ups-bought", "receipt in the binder")
    return project


def path_input(app: App) -> str:
    return app.screen.query_one("#export-path").value


def status(app: App) -> str:
    """The dialog's status line, whole (on screen it wraps inside the border)."""
    return str(app.screen.query_one("#export-status").content)


async def test_enter_writes_the_default_name_in_the_current_directory_and_shows_the_absolute_path(
    project, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    app = ExportHost(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        name = path_input(app)
        assert re.fullmatch(r"cockpit-report-\d{8}-\d{4}\.md", name)
        text = screen_text(pilot)
        assert "Export the progress report" in text and "Relative paths are in" in text and "[x] md" in text
        assert str(tmp_path) in str(app.screen.query_one("#export-where").content)
        assert odd_glyphs(text) == set()
        await pilot.press("enter")
        written = tmp_path / name
        await wait_until(pilot, lambda: "Written:" in screen_text(pilot))
        assert written.read_text().startswith("# Homelab migration progress report")
        assert status(app) == f"Written: {written}" and written.name in screen_text(pilot)
        await pilot.press("escape")
        await settle(pilot)
    assert app.closed_with == [written]


async def test_choosing_json_changes_the_extension_and_writes_json_to_a_typed_path(project, tmp_path):
    app = ExportHost(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("shift+tab")  # back to the format list
        await pilot.press("down", "down", "enter")  # md -> html -> json; enter goes on to the path
        assert app.screen.fmt == "json" and path_input(app).endswith(".json")
        assert "[x] json" in screen_text(pilot) and "[ ] md" in screen_text(pilot)
        target = tmp_path / "handover.json"
        app.screen.query_one("#export-path").value = str(target)
        await pilot.press("enter")
        await wait_until(pilot, lambda: target.exists() and "Written:" in screen_text(pilot))
        assert json.loads(target.read_text())["schema_version"] == 1


async def test_a_path_in_a_missing_directory_is_not_written_and_the_dialog_says_why(project, tmp_path):
    app = ExportHost(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.query_one("#export-path").value = str(tmp_path / "nowhere" / "r.md")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "NOT written" in screen_text(pilot))
        assert status(app).startswith("NOT written") and "does not exist" in status(app)
        await pilot.press("escape")
        await settle(pilot)
    assert app.closed_with == [None]
    assert not (tmp_path / "nowhere").exists()
