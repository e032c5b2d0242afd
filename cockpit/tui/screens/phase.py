"""Provides the Phase screen: entry criteria, tasks and exit criteria, with the selected item's detail.

Keys act on the selected row: `x` checks the phase, `t` runs a task's actions, `space` marks a
task done or undone, `a` attests a manual criterion, `o` overrides a closed gate. Each asks for
its note, evidence or reason first, then runs in a worker; the result comes back as a message,
and the rows are read again from the store, so the screen shows what was recorded, not what
was meant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from cockpit.core import MIN_REASON
from cockpit.tui.messages import ChecksRan, CriterionChecked, PhaseChanged, PhaseLoaded
from cockpit.tui.screens.base import OPERATION
from cockpit.tui.screens.dialogs import TextPrompt
from cockpit.tui.screens.phase_detail import criterion_detail, task_detail
from cockpit.tui.screens.phase_work import PhaseWorkers
from cockpit.tui.text import OUTCOME_LABELS, OUTCOME_STYLES, when

if TYPE_CHECKING:
    from cockpit.tui.backend import PhaseView

COLUMNS = (("Kind", 5), ("Item", 32), ("Result", 13), ("When", 19))
STEPS = frozenset({"check", "run_task", "toggle_task", "attest", "override"})


class PhaseScreen(PhaseWorkers):
    """One phase, opened from the Phases screen."""

    WRITES = frozenset({"run_task", "toggle_task", "attest", "override"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "check", "Check", id="phase.check"),
        Binding("t", "run_task", "Run task", id="phase.run_task"),
        Binding("space", "toggle_task", "Done/undo", id="phase.toggle_task"),
        Binding("a", "attest", "Attest", id="phase.attest"),
        Binding("o", "override", "Override", id="phase.override"),
        Binding("escape,backspace", "back", "Back", id="phase.back"),
    ]

    def __init__(self, phase_id: int) -> None:
        super().__init__()
        self.phase_id = phase_id
        self.view: PhaseView | None = None
        self.title = f"Phase {phase_id}"

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static(id="phase-title", classes="title")
        yield DataTable(id="items", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="detail-pane", classes="detail"):
            yield Static(id="item-detail")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        phase = self.cockpit.project.phase(self.phase_id)
        assert phase is not None
        self.query_one("#phase-title", Static).update(Text(f"Phase {phase.id}: {phase.title}", style="bold"))
        table = self.query_one("#items", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width, key=label)
        rows = [("entry", c.id) for c in phase.entry] + [("task", t.id) for t in phase.tasks]
        for kind, item in rows + [("exit", c.id) for c in phase.exit]:
            table.add_row(kind, item, "", "", key=f"{kind}:{item}")

    # -- loading ----------------------------------------------------------------------------

    def reload(self) -> None:
        if self.backend is not None:
            self.load_phase()

    def on_phase_loaded(self, message: PhaseLoaded) -> None:
        self.view = view = message.view
        table = self.query_one("#items", DataTable)
        for result in view.criteria:
            key = f"{result.kind}:{result.criterion}"
            style = OUTCOME_STYLES[result.result]
            table.update_cell(key, "Result", Text(OUTCOME_LABELS[result.result], style=style))
            evaluated = result.evaluated_at and result.result != "not_evaluated"
            table.update_cell(key, "When", when(result.evaluated_at) if evaluated else "")
        for task_id, record in view.tasks.items():
            done = Text("done", style="green") if record.get("done") else Text("open")
            table.update_cell(f"task:{task_id}", "Result", done)
            table.update_cell(f"task:{task_id}", "When", when(record.get("at")) if record.get("at") else "")
        flag = ", OVERRIDDEN" if view.overridden else ""
        title = Text(f"Phase {view.phase.id}: {view.phase.title}  [{view.state}{flag}]", style="bold")
        self.query_one("#phase-title", Static).update(title)
        self._show_detail()
        self.refresh_bindings()

    # -- selection --------------------------------------------------------------------------

    def selected(self) -> tuple[str, str] | None:
        table = self.query_one("#items", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        kind, _, item = key.partition(":")
        return kind, item

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._show_detail()
        self.refresh_bindings()

    def _show_detail(self) -> None:
        chosen, view = self.selected(), self.view
        if chosen is None or view is None:
            return
        kind, item = chosen
        if kind == "task":
            task = view.phase.task(item)
            assert task is not None
            detail = task_detail(task, view.tasks.get(item, {}))
        else:
            criterion = view.phase.criterion(item)
            result = next(r for r in view.criteria if r.criterion == item and r.kind == kind)
            assert criterion is not None
            detail = criterion_detail(criterion, result)
        self.query_one("#item-detail", Static).update(detail)

    def can(self, action: str) -> bool:
        """What the core would accept now (its gates): no note is asked for a change it would refuse."""
        if action == "back":
            return True
        if self.backend is None or self.view is None or (action in STEPS and self.workers_running(OPERATION)):
            return False
        chosen = self.selected()
        kind, item = chosen if chosen else ("", "")
        if action in ("run_task", "toggle_task"):
            task = self.view.phase.task(item) if kind == "task" else None
            opened = self.view.state in ("active", "complete")
            return task is not None and opened and (action == "toggle_task" or bool(task.actions))
        if action == "attest":
            criterion = self.view.phase.criterion(item) if kind != "task" else None
            return criterion is not None and criterion.manual and self.view.state != "locked"
        if action == "override":
            return self.view.state in ("locked", "ready")
        return True

    # -- actions ----------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def _start(self, what: str) -> None:
        self.activity.start(what)
        self.refresh_bindings()

    def action_check(self) -> None:
        self._start(f"checking phase {self.phase_id}: every criterion against its backend")
        self.run_checks()

    def action_run_task(self) -> None:
        _, task = self.selected() or ("", "")
        self._start(f"running task {self.phase_id}.{task}: its actions, through the adapters")
        self.run_task(task)

    def action_toggle_task(self) -> None:
        _, task = self.selected() or ("", "")
        done = bool(self.view and self.view.tasks.get(task, {}).get("done"))
        title = f"Mark {self.phase_id}.{task} {'NOT done' if done else 'done'}"
        prompt = TextPrompt(title, "A note for the audit trail: what was done, or why it is undone.")
        self.app.push_screen(
            prompt, lambda note: self._then(note, "recording", self.set_task, task, not done)
        )

    def action_attest(self) -> None:
        _, criterion = self.selected() or ("", "")
        found = self.view.phase.criterion(criterion) if self.view else None
        hint = getattr(found.check, "prompt", "") if found else ""
        prompt = TextPrompt(f"Attest {self.phase_id}.{criterion}", f"Evidence: {hint}")
        self.app.push_screen(prompt, lambda text: self._then(text, "attesting", self.attest, criterion))

    def action_override(self) -> None:
        hint = (
            f"Open phase {self.phase_id} anyway. A typed reason of at least {MIN_REASON} characters; audited."
        )
        prompt = TextPrompt(f"Override the gate of phase {self.phase_id}", hint, minimum=MIN_REASON)
        self.app.push_screen(prompt, lambda reason: self._then(reason, "overriding", self.override))

    def _then(self, text: str | None, what: str, step: Callable[..., object], *args: object) -> None:
        if text is None:
            return
        self._start(f"{what} ...")
        step(*args, text)

    # -- results ----------------------------------------------------------------------------

    def on_phase_changed(self, message: PhaseChanged) -> None:
        self.notify(message.summary, severity="information" if message.ok else "error")
        self.reload()

    def on_criterion_checked(self, message: CriterionChecked) -> None:
        """Progress of `x`: the count in the activity line, the row's result as soon as it is known."""
        result = message.result
        words = OUTCOME_LABELS[result.result]
        self.activity.start(
            f"checking phase {self.phase_id}: {message.done}/{message.total} criteria ({result.criterion}: {words})"
        )
        key = f"{result.kind}:{result.criterion}"
        table = self.query_one("#items", DataTable)
        if key in table.rows:
            table.update_cell(key, "Result", Text(words, style=OUTCOME_STYLES[result.result]))
            table.update_cell(key, "When", when(result.evaluated_at))

    def on_checks_ran(self, message: ChecksRan) -> None:
        run = message.run
        counts = {o: sum(r.result == o for r in run.results) for o in OUTCOME_LABELS}
        words = ", ".join(f"{n} {OUTCOME_LABELS[o]}" for o, n in counts.items() if n)
        recorded = "recorded" if run.recorded else f"NOT recorded: {run.not_recorded_reason}"
        self.notify(f"Phase {message.phase}: {words}; {recorded}", severity="information")
        for latched in run.latched:
            self.notify(f"Phase {latched['phase']} is now {latched['state']}", severity="information")
        self.reload()
