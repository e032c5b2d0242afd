"""The Decisions screen: the log read from its files, a decision in full, and `a` adding one through a form.

The screen is mounted in a small app of these tests' own (the cockpit app with only this mode),
against a small project in each test's own directory, so every test has its own decisions log.
The project has no DNS server or UPS, so the status line's probes have nothing to wait for.
What is asserted is what lands on disk and in the journal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from textual import work
from textual.widgets import DataTable, OptionList

from cockpit.core import Cockpit
from cockpit.decisions import Decision, list_decisions, record_decision
from cockpit.lab.decisions_seed import SEED_DECISIONS, seed_decisions
from cockpit.project import Project, load_project
from cockpit.tui.app import CockpitApp
from cockpit.tui.backend import Backend
from cockpit.tui.messages import StoreOpened
from cockpit.tui.screens.decisions import DecisionForm, DecisionsScreen
from cockpit.tui.screens.dialogs import TextView
from tests.conftest import PHASE0, PHASE1, PHASE2
from tests.tui.conftest import SIZE, odd_glyphs, screen_text, settle, wait_until

pytestmark = pytest.mark.anyio


class DecisionsApp(CockpitApp):
    """The cockpit app with the Decisions screen as its only mode."""

    MODES: ClassVar[dict[str, Any]] = {"decisions": DecisionsScreen}
    DEFAULT_MODE = "decisions"


class JournalingBackend(Backend):
    """The session backend with the `add_decision` the lead is asked to add to Backend."""

    def add_decision(self, **fields: Any) -> Decision:
        with self._lock:
            decision, _ = record_decision(self._cockpit, **fields)
            return decision


class JournalingApp(DecisionsApp):
    @work(thread=True, exclusive=True, group="store", exit_on_error=False)
    def open_store(self) -> None:
        self._opened = JournalingBackend.open(self.project, write=self.write)
        self.post_message(StoreOpened(self._opened))


CONFIG = """\
phases_dir = "phases"

[[hosts]]
name = "pve-prod-01"
role = "hypervisor-primary"
address = "192.168.10.11"
vlan = 10

[[services]]
name = "immich"
hostnames = ["immich.home.arpa"]
v2 = "192.168.20.10"
v3 = "192.168.30.10"
phase = 1
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The operator's config directory: cockpit.toml and phases/, where decisions/ will go."""
    (tmp_path / "phases").mkdir()
    (tmp_path / "cockpit.toml").write_text(CONFIG)
    for index, text in enumerate((PHASE0, PHASE1, PHASE2)):
        (tmp_path / "phases" / f"{index}.toml").write_text(text)
    return tmp_path


def project_of(home: Path) -> Project:
    return load_project(str(home / "cockpit.toml"), str(home / "state"))


async def fill_form(pilot: Any, title: str, principle_steps: int = 2) -> None:
    """Type a decision as an operator would: field by field with tab, the principle with down."""
    await pilot.press(*title, "tab")
    await pilot.press(*"Do X", "tab")
    await pilot.press(*"Why", "enter", *"HA", "tab")
    await pilot.press(*["down"] * principle_steps, "tab")
    await pilot.press(*"k3s")


async def test_the_log_shows_each_decision_and_the_selected_one_in_full(home: Path) -> None:
    seed_decisions(home)
    async with DecisionsApp(project_of(home)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one("#decisions", DataTable)
        assert table.row_count == len(SEED_DECISIONS)
        text = screen_text(pilot)
        assert "UPS before any new hardware is" in text and "ups-protection" in text
        assert "Rationale" in text and "v2 had no UPS" in text, "the first decision in full"
        assert not odd_glyphs(text)
        await pilot.press("down")
        assert "Principle 1: Bare-metal NAS separation" in screen_text(pilot)


async def test_enter_reads_the_selected_decision_in_a_view_of_its_own(home: Path) -> None:
    seed_decisions(home)
    async with DecisionsApp(project_of(home)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "enter")
        assert isinstance(pilot.app.screen, TextView)
        assert "Traefik is the default k3s ingress controller" in screen_text(pilot)


async def test_a_adds_a_decision_through_the_form_and_its_file_is_written(home: Path) -> None:
    async with DecisionsApp(project_of(home)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "No decisions recorded yet" in screen_text(pilot)
        await pilot.press("a")
        assert isinstance(pilot.app.screen, DecisionForm)
        assert not odd_glyphs(screen_text(pilot))
        await fill_form(pilot, "One Docker VM")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DecisionsScreen)
        (decision,) = list_decisions(home)
        assert decision.path == home / "decisions" / "0001-one-docker-vm.md"
        assert decision.principle == "hypervisor-redundancy", "down twice: the second principle"
        assert (decision.decision, decision.rationale, decision.revisit) == ("Do X", "Why\nHA", "k3s")
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#decisions", DataTable).row_count == 1)
        assert "One Docker VM" in screen_text(pilot)


async def test_a_second_decision_gets_the_next_number_and_is_selected(home: Path) -> None:
    seed_decisions(home)
    async with DecisionsApp(project_of(home)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await fill_form(pilot, "Cache pool later", principle_steps=7)
        await pilot.press("f2")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DecisionsScreen)
        await wait_until(pilot, lambda: screen.selected() == "0007")
        assert list_decisions(home)[-1].principle == "no-premature-optimization"
        assert "0007  Cache pool later" in screen_text(pilot)


async def test_an_incomplete_form_says_what_is_missing_and_writes_nothing(home: Path) -> None:
    async with DecisionsApp(project_of(home)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a", *"Only a title", "f2")
        form = pilot.app.screen
        assert isinstance(form, DecisionForm)
        text = screen_text(pilot)
        assert "Not saved: decision, rationale are empty; choose the principle in the list" in text
        assert pilot.app.focused is form.query_one("#decision"), "the cursor goes to what is missing"
        assert "ctrl+s or f2: save" in text, "the keys stay on screen at 80x24"
        assert not (home / "decisions").exists()


async def test_the_principle_is_chosen_never_assumed(home: Path) -> None:
    async with DecisionsApp(project_of(home)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        assert pilot.app.screen.query_one("#principle", OptionList).highlighted is None
        await fill_form(pilot, "No principle", principle_steps=0)
        await pilot.press("f2")
        assert "choose the principle in the list" in screen_text(pilot)
        assert not (home / "decisions").exists()


async def test_escape_leaves_the_form_and_writes_nothing(home: Path) -> None:
    async with DecisionsApp(project_of(home)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await fill_form(pilot, "Second thoughts")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DecisionsScreen)
        assert not (home / "decisions").exists()


async def test_a_read_only_session_cannot_add(home: Path) -> None:
    async with DecisionsApp(project_of(home), write=False).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert screen.check_action("add", ()) is None, "dimmed in the footer: it would change something"
        await pilot.press("a")
        assert isinstance(pilot.app.screen, DecisionsScreen), "no form opens"


async def test_adding_is_refused_while_another_cockpit_holds_the_store(home: Path) -> None:
    project = project_of(home)
    with Cockpit.open(project, write=True):
        async with DecisionsApp(project).run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert pilot.app.screen.check_action("add", ()) is None
            assert "READ-ONLY" in screen_text(pilot)


async def test_the_example_inventory_offers_no_add(home: Path) -> None:
    example = load_project(None, str(home / "state"))
    async with DecisionsApp(example).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert pilot.app.screen.check_action("add", ()) is False, "hidden: the log would land inside cockpit"


async def test_a_malformed_file_is_shown_with_its_file_and_line(home: Path) -> None:
    seed_decisions(home)
    bad = home / "decisions" / "0002-unraid-on-a-dedicated-bare-metal-nas.md"
    bad.write_text(bad.read_text().replace("principle: bare-metal-nas", "principle: truenas-vm"))
    async with DecisionsApp(project_of(home)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(pilot)
        assert "cannot be read" in text
        assert "0002-unraid-on-a-dedicated-bare-metal-nas.md:3" in text.replace("\n", "").replace(" ", "")
        bad.write_text(bad.read_text().replace("truenas-vm", "bare-metal-nas"))
        await pilot.press("f5")
        await settle(pilot)
        assert pilot.app.screen.query_one("#decisions", DataTable).row_count == len(SEED_DECISIONS)


async def test_with_a_journaling_backend_the_addition_is_in_the_audit_trail(home: Path) -> None:
    project = project_of(home)
    async with JournalingApp(project).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await fill_form(pilot, "Journaled")
        await pilot.press("f2")
        await settle(pilot)
    with Cockpit.open(project, write=False) as cockpit:
        (event,) = cockpit.audit(action="decision.")
    assert (event["subject"], event["after"]["file"]) == ("0001", "decisions/0001-journaled.md")
    assert list_decisions(home)[0].title == "Journaled"


async def test_the_screen_reads_well_at_a_larger_size(home: Path) -> None:
    seed_decisions(home)
    async with DecisionsApp(project_of(home)).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(pilot)
        assert "Revisit when" in text and "Never for the requirement" in text
