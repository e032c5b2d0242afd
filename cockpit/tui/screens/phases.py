"""Provides the Phases screen (key 1, the start screen): phases 0-6, their gates and their progress.

The seven rows are drawn in the first frame from the phases already loaded; their state and
progress fill in when the store answers. `enter` opens the selected phase.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from cockpit.tui.messages import PhasesLoaded
from cockpit.tui.screens.base import CockpitScreen
from cockpit.tui.text import STATE_STYLES, bar, safe

if TYPE_CHECKING:
    from cockpit.lint import Finding

COLUMNS = (("#", 1), ("Phase", 22), ("State", 18), ("Tasks", 13), ("Criteria", 13))


def state_cell(phase: dict[str, Any]) -> Text:
    words = phase["state"] + (", overridden" if phase["overridden"] else "")
    style = "bold reverse yellow" if phase["overridden"] else STATE_STYLES.get(phase["state"], "")
    if phase["regressions"]:
        words, style = f"{phase['state']}, REGRESSED", "bold reverse red"
    return Text(words, style=style)


def phase_summary(phase: dict[str, Any]) -> Text:
    """What the line under the table says about the selected phase: why it is where it is."""
    text = Text()
    counts = phase["criteria"]
    text.append(f"Phase {phase['id']}: {phase['title']}\n", style="bold")
    bad = [f"{counts[k]} {k.replace('_', ' ')}" for k in ("fail", "error", "inconclusive") if counts[k]]
    text.append(f"criteria: {counts['pass']}/{counts['total']} pass{', ' if bad else ''}{', '.join(bad)}\n")
    if phase["required_tasks_open"]:
        text.append(f"open tasks: {', '.join(phase['required_tasks_open'])}\n")
    if phase["overridden"]:
        text.append(f"OVERRIDDEN: {phase['override_reason']}\n", style="bold")
    for regression in phase["regressions"]:
        text.append(safe(f"REGRESSION: {regression}\n", "bold red"))
    return text


def lint_lines(findings: list[Finding], active: list[int], shown: int = 2) -> Text:
    """The linter's findings on the active phase: the worst first, then how many more."""
    mine = [f for f in findings if f.phase in active]
    text = Text(no_wrap=True, overflow="crop")  # one line per finding: four lines always fit
    if not mine:
        return text
    errors = sum(f.severity == "error" for f in mine)
    head = f"LINT, phase {', '.join(map(str, sorted({f.phase for f in mine})))}: {errors} error(s), {len(mine) - errors} warning(s)"
    text.append(head + " (cockpit lint: the fixes)\n", style="bold red" if errors else "bold yellow")
    for finding in mine[:shown]:
        text.append(safe(f"{finding.severity} {finding.rule} ({finding.subject}): {finding.message}\n"))
    if len(mine) > shown:
        text.append(f"... and {len(mine) - shown} more\n")
    text.right_crop(1)
    return text


class PhasesScreen(CockpitScreen):
    """Every phase, one row each."""

    TITLE = "Phases"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_phase", "Open phase", id="phases.open"),
        Binding("f5", "reload", "Refresh", id="phases.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._phases: dict[int, dict[str, Any]] = {}

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static(
            Text("Phases  (enter: open, 2: services, 3: audit, 4: decisions, e: report, ?: keys)"),
            classes="title",
        )
        yield Static(id="lint", classes="detail")
        yield DataTable(id="phases", cursor_type="row", zebra_stripes=True)
        yield Static(id="phase-summary", classes="detail")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        table = self.query_one("#phases", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width, key=label)
        for number, title in self.cockpit.outline:  # drawn now; the store fills the rest in
            self._add_row(number, title)

    def _add_row(self, number: int, title: str) -> None:
        table = self.query_one("#phases", DataTable)
        table.add_row(str(number), safe(title[:22]), Text("...", style="dim"), "", "", key=str(number))

    def reload(self) -> None:
        if self.backend is not None:
            self.load_phases()

    def action_reload(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_phases(self) -> None:
        assert self.backend is not None
        self.post_message(PhasesLoaded(self.backend.status(), self.backend.lint()))

    def on_phases_loaded(self, message: PhasesLoaded) -> None:
        table = self.query_one("#phases", DataTable)
        for phase in message.status["phases"]:
            self._phases[phase["id"]] = phase
            key = str(phase["id"])
            if key not in table.rows:  # the outline could not be read before the project loaded
                self._add_row(phase["id"], phase["title"])
            table.update_cell(key, "State", state_cell(phase))
            table.update_cell(key, "Tasks", Text(bar(phase["tasks_done"], phase["tasks_total"], 5)))
            criteria = phase["criteria"]
            table.update_cell(key, "Criteria", Text(bar(criteria["pass"], criteria["total"], 5)))
        phases = message.status["phases"]
        active = [p["id"] for p in phases if p["state"] == "active"]
        active = active or [p["id"] for p in phases if p["state"] == "ready"][:1]  # the one to start next
        lint = self.query_one("#lint", Static)
        lint.update(lint_lines(message.findings, active))
        lint.display = any(f.phase in active for f in message.findings)
        self._show_summary()

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._show_summary()

    def on_data_table_row_selected(self, _: DataTable.RowSelected) -> None:
        self.action_open_phase()

    def _selected(self) -> int | None:
        table = self.query_one("#phases", DataTable)
        if not table.row_count:
            return None
        return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)

    def _show_summary(self) -> None:
        selected = self._selected()
        phase = self._phases.get(selected) if selected is not None else None
        self.query_one("#phase-summary", Static).update(phase_summary(phase) if phase else "")

    def can(self, action: str) -> bool:
        if action == "open_phase":
            return self.cockpit.loaded  # a phase's screen needs the validated project
        return True

    def action_open_phase(self) -> None:
        selected = self._selected()
        if selected is not None and self.cockpit.loaded:
            from cockpit.tui.screens.phase import PhaseScreen  # it imports the core: after the first frame

            self.app.push_screen(PhaseScreen(selected))
