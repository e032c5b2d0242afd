"""Provides the Decisions screen (key 4): the decisions log beside the config, and a form to add one.

The log is read from its files in a worker (they may sit on a network share), and a file that
does not parse is shown as the problem it is, with its file and line, not as an empty log.
`a` opens a form; what it returns has already been checked by the same rules as the CLI, so
the worker only writes. Adding is dimmed while the session is read-only and hidden when the
example inventory is in use (its directory is inside cockpit, not the operator's repository).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from cockpit.decisions import (
    EMPTY,
    Decision,
    add_decision,
    check_decision,
    list_decisions,
    writable_base,
)
from cockpit.errors import InputError, RefusedError
from cockpit.principles import PRINCIPLES
from cockpit.tui.screens.base import OPERATION, CockpitScreen
from cockpit.tui.screens.dialogs import TextView
from cockpit.tui.text import safe

COLUMNS = (("#", 4), ("Date", 10), ("Title", 31), ("Principle", 25))
FORM_FIELDS = ("title", "decision", "rationale", "principle", "revisit")


@dataclass
class DecisionsLoaded(Message, bubble=False):
    """The log as read from its files, or why it could not be read."""

    decisions: list[Decision]
    problem: str = ""


@dataclass
class DecisionAdded(Message, bubble=False):
    """A decision file was written (and journaled, when the session's backend does that)."""

    decision: Decision


def decision_text(decision: Decision) -> Text:
    """A decision in full, as the detail pane and the reading view show it."""
    principle = PRINCIPLES.get(decision.principle)
    text = Text()
    text.append_text(safe(f"{decision.id}  {decision.title}\n", "bold"))
    text.append_text(
        safe(f"{decision.date}, follows {principle.title if principle else decision.principle}\n")
    )
    for heading, body in (
        ("Decision", decision.decision),
        ("Rationale", decision.rationale),
        ("Revisit when", decision.revisit or "(nothing written)"),
    ):
        text.append(f"\n{heading}\n", style="bold")
        text.append_text(safe(body + "\n"))
    text.append_text(
        safe(f"\nfile: {decision.path.parent.name}/{decision.path.name} (beside the config)", "dim")
    )
    return text


class DecisionForm(ModalScreen[dict[str, str] | None]):
    """Title, decision, rationale, principle, revisit; answers the checked fields, or None."""

    AUTO_FOCUS = "#title"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s,f2", "save", "Save", id="decision_form.save"),
        Binding("escape", "cancel", "Cancel", id="decision_form.cancel"),
    ]
    # ASCII borders whatever the widget's own style says: its "tall" border is drawn with block
    # glyphs that some SSH clients draw two cells wide. The border title labels each field.
    DEFAULT_CSS = """
    #decision-form Input, #decision-form TextArea, #decision-form OptionList {
        border: ascii $border-blurred;
        background: $surface;
    }
    #decision-form Input:focus, #decision-form TextArea:focus, #decision-form OptionList:focus {
        border: ascii $accent;
    }
    #decision-form Input { height: 3; }
    #decision-form TextArea { height: 4; }
    #decision-form OptionList { height: 5; }
    #form-fields { height: auto; max-height: 70vh; }
    #form-problems { display: none; height: auto; max-height: 3; text-style: bold; }
    #form-problems.-shown { display: block; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="decision-form") as dialog:
            dialog.border_title = "Add a decision to the log"  # in the border: every row counts at 80x24
            with VerticalScroll(id="form-fields", can_focus=False):
                yield _labelled(Input(id="title"), "Title (one line)")
                yield _labelled(TextArea(id="decision"), "Decision")
                yield _labelled(TextArea(id="rationale"), "Rationale: why")
                yield _labelled(_principles(), "Principle it follows (up/down)")
                yield _labelled(TextArea(id="revisit"), "Revisit when")
            yield Static(id="form-problems")
            yield Static(
                Text("ctrl+s or f2: save    tab: next field    escape: cancel"), classes="dialog-keys"
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the title moves on to the next field (it does not save half a decision)."""
        event.stop()
        self.focus_next()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a principle keeps it highlighted (the choice) and moves on."""
        event.stop()
        self.focus_next()

    def action_save(self) -> None:
        options = self.query_one("#principle", OptionList)
        chosen = options.highlighted
        option_id = options.get_option_at_index(chosen).id if chosen is not None else None
        try:
            fields = check_decision(
                title=self.query_one("#title", Input).value,
                decision=self.query_one("#decision", TextArea).text,
                rationale=self.query_one("#rationale", TextArea).text,
                principle=option_id or "",
                revisit=self.query_one("#revisit", TextArea).text,
            )
        except InputError as exc:
            self._show_problems(exc)
            return
        self.dismiss(fields)

    def _show_problems(self, exc: InputError) -> None:
        """What keeps the decision from being saved, in a line or two, and the cursor on the first of it."""
        problems = self.query_one("#form-problems", Static)
        problems.update(safe(problem_summary(exc)))
        problems.add_class("-shown")
        first = exc.problems[0].field
        if first in FORM_FIELDS:
            self.query_one(f"#{first}").focus()

    def action_cancel(self) -> None:
        self.dismiss(None)


def problem_summary(exc: InputError) -> str:
    """ "Not saved: title, decision are empty; choose the principle" and any other problem in words."""
    empty = [p.field for p in exc.problems if p.message == EMPTY]
    words = [f"{', '.join(empty)} {'is' if len(empty) == 1 else 'are'} empty"] if empty else []
    for problem in exc.problems:
        if problem.field == "principle":
            words.append("choose the principle in the list")
        elif problem.field not in empty:
            words.append(f"{problem.field}: {problem.message}")
    return "Not saved: " + "; ".join(words)


def _labelled(widget: Input | TextArea | OptionList, label: str) -> Input | TextArea | OptionList:
    widget.border_title = label
    return widget


def _principles() -> OptionList:
    """Nothing highlighted at first (the constructor would pick the first): the operator chooses."""
    options = OptionList(id="principle")
    options.add_options(Option(f"{p.id}  {p.title}", id=p.id) for p in PRINCIPLES.values())
    return options


class DecisionsScreen(CockpitScreen):
    """Every decision, one row each, the selected one in full below."""

    TITLE = "Decisions"
    WRITES = frozenset({"add"})
    # The table and the selected decision share the screen: a decision's text is the point here,
    # so it gets more room than the detail line of the other screens.
    DEFAULT_CSS = """
    DecisionsScreen #decision-pane { height: 1fr; padding: 0 1; background: $boost; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add decision", id="decisions.add"),
        Binding("enter", "read", "Read", id="decisions.read"),
        Binding("f5", "reload", "Refresh", show=False, id="decisions.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.decisions: list[Decision] = []
        self.problem = ""
        self._select: str | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static(Text("Decisions: the log beside the config  (a: add, enter: read)"), classes="title")
        yield DataTable(id="decisions", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="decision-pane"):
            yield Static(id="decision-detail")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        table = self.query_one("#decisions", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width, key=label)

    # -- what can run now -------------------------------------------------------------------

    def can(self, action: str) -> bool:
        if action == "add":
            return self.cockpit.project.config.source.origin != "example"
        if action == "read":
            return self.selected() is not None
        return True

    # -- loading ----------------------------------------------------------------------------

    def reload(self) -> None:
        """The log is files beside the config: it needs no store, so it loads before the store opens."""
        self.load_decisions()

    def action_reload(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_decisions(self) -> None:
        try:
            found = list_decisions(self.cockpit.project.config.base_dir)
        except InputError as exc:  # said on screen: the error handler would reload and fail again
            self.post_message(DecisionsLoaded([], str(exc)))
            return
        self.post_message(DecisionsLoaded(found))

    def on_decisions_loaded(self, message: DecisionsLoaded) -> None:
        self.decisions, self.problem = message.decisions, message.problem
        table = self.query_one("#decisions", DataTable)
        current = self._select or self.selected()
        table.clear()
        for decision in self.decisions:
            table.add_row(*_cells(decision), key=decision.id)
        ids = [d.id for d in self.decisions]
        if current in ids:
            table.move_cursor(row=ids.index(current))
        self._select = None
        self._show_detail()
        self.refresh_bindings()

    # -- drawing ----------------------------------------------------------------------------

    def selected(self) -> str | None:
        table = self.query_one("#decisions", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _decision(self) -> Decision | None:
        chosen = self.selected()
        return next((d for d in self.decisions if d.id == chosen), None)

    def _show_detail(self) -> None:
        detail = self.query_one("#decision-detail", Static)
        decision = self._decision()
        if self.problem:
            text = Text("The decisions log cannot be read; fix the file and press f5:\n", style="bold")
            detail.update(text + safe(self.problem))
        elif decision is not None:
            detail.update(decision_text(decision))
        else:
            detail.update(Text("No decisions recorded yet. a: add the first one."))

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._show_detail()
        self.refresh_bindings()

    def on_data_table_row_selected(self, _: DataTable.RowSelected) -> None:
        self.action_read()

    # -- keys -------------------------------------------------------------------------------

    def action_read(self) -> None:
        decision = self._decision()
        if decision is not None:
            self.app.push_screen(TextView(f"Decision {decision.id}", decision_text(decision).plain))

    def action_add(self) -> None:
        self.app.push_screen(DecisionForm(), self._form_answered)

    def _form_answered(self, fields: dict[str, str] | None) -> None:
        if fields:
            self.activity.start("writing the decision")
            self.save_decision(fields)

    @work(thread=True, group=OPERATION, exit_on_error=False)
    def save_decision(self, fields: dict[str, str]) -> None:
        """Write the file, through the session backend's `add_decision` when it has one.

        That one holds the backend's lock and journals the addition; without it the file alone
        is written, which is still the whole decision (the file is the source of truth).
        """
        backend = self._backend()
        if not backend.writable:
            raise RefusedError("the store is open read-only; no decision was written")
        journaled = getattr(backend, "add_decision", None)
        if callable(journaled):
            decision = journaled(**fields)
        else:
            decision = add_decision(writable_base(self.cockpit.project.config), **fields)
        self.post_message(DecisionAdded(decision))

    def on_decision_added(self, message: DecisionAdded) -> None:
        decision = message.decision
        self.notify(f"Decision {decision.id} written to {decision.path.name}", title="Recorded")
        self._select = decision.id
        self.reload()


def _cells(decision: Decision) -> tuple[Text, ...]:
    """Cut to the column widths here: the table's own cut ends with an ambiguous-width ellipsis."""
    values = (decision.id, decision.date, decision.title, decision.principle)
    return tuple(safe(value[:width]) for value, (_, width) in zip(values, COLUMNS, strict=True))
