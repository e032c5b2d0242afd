"""Provides the Services screen (key 2): the cutover board, with one-key rollback.

`r` rolls the selected service back at once, without a question: it is the key for the moment
something is wrong, and a rollback only restores what cockpit itself recorded. Everything that
moves a service forward (`c`) or many at once (`R`) asks first. While an operation runs, its
row shows each state the engine reaches; afterwards the row is read again from the store.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker

from cockpit.core import MIN_REASON
from cockpit.cutover.states import CUTOVER_FROM, ROLLBACK_FROM
from cockpit.tui.board import ServiceRow
from cockpit.tui.messages import BoardLoaded, OperationDone, PlanReady, ServiceProgress
from cockpit.tui.screens.base import OPERATION
from cockpit.tui.screens.dialogs import Confirm, TextPrompt, TextView
from cockpit.tui.screens.service_rows import COLUMNS, alerts, cells, detail
from cockpit.tui.screens.service_work import ServiceWorkers
from cockpit.tui.text import plan_text
from cockpit.tui.widgets.filterbar import FilterBar

REFRESH_EVERY_S = 30.0
CUTTING_OVER = frozenset({"planning", "cutting_over", "verifying"})  # a cutover runs on the row


class ServicesScreen(ServiceWorkers):
    """One row per DNS cutover."""

    TITLE = "Services"
    WRITES = frozenset({"cutover", "rollback", "verify", "finalize", "rollback_all", "adopt", "restore"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "rollback", "Roll back", id="services.rollback"),
        Binding("c", "cutover", "Cut over", id="services.cutover"),
        Binding("p", "plan", "Plan", id="services.plan"),
        Binding("v", "verify", "Verify", id="services.verify"),
        Binding("f", "finalize", "Finalize", id="services.finalize"),
        Binding("R", "rollback_all", "Roll back all", id="services.rollback_all"),
        Binding("a", "adopt", "Adopt live", id="services.adopt"),
        Binding("u", "restore", "Restore before", id="services.restore"),
        Binding("slash", "filter", "Filter", key_display="/", id="services.filter"),
        Binding("enter", "detail", "Detail", show=False, id="services.detail"),
        Binding("f5", "reload", "Refresh", show=False, id="services.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, ServiceRow] = {}
        self.busy: dict[str, str] = {}
        self.name_filter = ""
        self.refusal = ""

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static(Text("Services: the cutover board  (r: roll back at once, ?: keys)"), classes="title")
        yield Static(id="alerts")
        yield FilterBar(id="filter")
        yield DataTable(id="board", cursor_type="row", zebra_stripes=True)
        yield Static(id="service-detail", classes="detail")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        table = self.query_one("#board", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width, key=label)
        self.watch(self.cockpit, "live", self._redraw_alerts)
        self.set_interval(REFRESH_EVERY_S, self._refresh_while_shown)

    def on_screen_resume(self) -> None:
        self.refusal = ""  # what was refused may have been put right elsewhere (a gate opened)
        self._redraw_alerts()

    def _refresh_while_shown(self) -> None:
        """Drift and answers change behind cockpit's back: look again now and then, while on screen."""
        # A look still under way is not replaced: with a slow server each would be cancelled by
        # the next before it could show anything.
        if self.is_current and not self.workers_running(OPERATION) and not self.workers_running("load"):
            self.reload()

    def reload(self) -> None:
        if self.backend is not None:
            self.load_board()

    def action_reload(self) -> None:
        self.reload()

    # -- drawing ----------------------------------------------------------------------------

    def _shown_rows(self) -> list[ServiceRow]:
        rows = list(self.rows.values())
        return [r for r in rows if self.name_filter.lower() in r.name.lower()]

    def _redraw(self, select_first: bool = False) -> None:
        table = self.query_one("#board", DataTable)
        current = self.selected()
        table.clear()
        for row in self._shown_rows():
            shown = replace(row, busy=self.busy.get(row.name, ""))
            table.add_row(*cells(shown), key=row.name)
        names = [r.name for r in self._shown_rows()]
        if names and not select_first and current in names:
            table.move_cursor(row=names.index(current))
        self._redraw_alerts()
        self._show_detail()

    def _redraw_alerts(self, *_: object) -> None:
        lines = alerts(list(self.rows.values()), self.cockpit.live, self.refusal)
        banner = self.query_one("#alerts", Static)
        banner.update(Text("\n").join(lines))
        banner.set_class(bool(lines), "-shown")

    def _show_detail(self) -> None:
        name = self.selected()
        row = self.rows.get(name) if name else None
        self.query_one("#service-detail", Static).update(detail(row) if row else "")

    def selected(self) -> str | None:
        table = self.query_one("#board", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._show_detail()
        self.refresh_bindings()

    # -- messages ---------------------------------------------------------------------------

    def on_board_loaded(self, message: BoardLoaded) -> None:
        rows = message.rows
        if not message.live:  # keep what the servers said last until they answer again: no flicker
            rows = [_keep_live(row, self.rows.get(row.name)) for row in rows]
        self.rows = {row.name: row for row in rows}
        self._redraw()
        self.refresh_bindings()

    def on_service_progress(self, message: ServiceProgress) -> None:
        self.busy[message.service] = message.state
        if message.service in self.rows:
            self._redraw()

    def on_operation_done(self, message: OperationDone) -> None:
        if message.ok:
            self.refusal = ""
        for line in message.lines:
            self.notify(line, severity="information" if message.ok else "error", timeout=10)
        self.reload()

    def on_plan_ready(self, message: PlanReady) -> None:
        names = ", ".join(p.service for p in message.plans)
        self.app.push_screen(TextView(f"Plan: {names} (changes nothing)", plan_text(message.plans)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # CockpitScreen's handler runs too: Textual calls the handler of every class in the MRO.
        if event.worker.is_finished and not self.workers_running(OPERATION) and self.busy:
            self.busy.clear()
            self._redraw()

    def failed(self, message: str) -> None:
        self.refusal = message
        self._redraw_alerts()
        super().failed(message)

    # -- filter -----------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one("#filter", FilterBar).open()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.name_filter = event.value.strip()
            self._redraw(select_first=True)

    def on_filter_bar_done(self, message: FilterBar.Done) -> None:
        self.name_filter = message.value
        self._redraw(select_first=True)
        table = self.query_one("#board", DataTable)
        table.focus()
        table.move_cursor(row=0)

    # -- keys -------------------------------------------------------------------------------

    def can(self, action: str) -> bool:
        if action in ("filter", "reload"):
            return True
        if action == "detail":
            return self.selected() is not None
        if self.backend is None or not self.rows:
            return False
        if action == "rollback_all":
            return any(r.state in ROLLBACK_FROM for r in self.rows.values())
        name = self.selected()
        row = self.rows.get(name) if name else None
        if row is None:
            return False
        return {
            "plan": row.state in CUTOVER_FROM,
            "cutover": row.state in CUTOVER_FROM,
            "rollback": row.state in ROLLBACK_FROM or self.busy.get(row.name) in CUTTING_OVER,
            "finalize": row.state == "cut_over",
            "adopt": row.state == "needs_attention",
            "restore": row.state == "needs_attention",
        }.get(action, True)

    def _start(self, what: str) -> str:
        name = self.selected() or ""
        self.refusal = ""  # a new attempt: the last refusal no longer stands
        self._redraw_alerts()
        self.activity.start(f"{what} {name}")
        return name

    def on_data_table_row_selected(self, _: DataTable.RowSelected) -> None:
        self.action_detail()

    def action_detail(self) -> None:
        """`enter`: the selected service's facts and its runbook (start, stop, backup, restore, rollback)."""
        from cockpit.tui.screens.service_detail import ServiceDetailScreen

        name = self.selected()
        service = self.cockpit.project.config.service(name) if name else None
        if service is not None:
            self.app.push_screen(ServiceDetailScreen(service, self.rows.get(name or "")))

    def action_plan(self) -> None:
        self.make_plan(self._start("planning"))

    def action_cutover(self) -> None:
        self.cut_over(self._start("cutting over"))

    def action_rollback(self) -> None:
        """`r`: roll back at once; during this service's cutover, stop it where it is and compensate."""
        name = self.selected() or ""
        if self.busy.get(name) in CUTTING_OVER:
            self._backend().interrupt("rollback asked by the operator during the cutover")
        self.roll_back([self._start("rolling back")])  # after the cutover: whatever it reached, v2

    def action_verify(self) -> None:
        self.verify(self._start("verifying"))

    def action_finalize(self) -> None:
        self.finalize(self._start("finalizing"))

    def action_adopt(self) -> None:
        """needs_attention, settled by taking what every server answers now as the truth (all v2 or all v3)."""
        self._ask_resolve(
            "adopt",
            "Adopt what the DNS servers answer now",
            "The servers are not changed: cockpit records the service as cut over (all answer v3) or "
            "rolled back (all answer v2); refused when they disagree. A typed reason, audited.",
        )

    def action_restore(self) -> None:
        """needs_attention, settled by putting back the entries recorded before the cutover."""
        self._ask_resolve(
            "restore",
            "Restore the entries recorded before the cutover",
            "Every DNS server gets back what it had before, as a rollback does. A typed reason, audited.",
        )

    def _ask_resolve(self, mode: str, title: str, hint: str) -> None:
        name = self.selected() or ""

        def answered(reason: str | None) -> None:
            if reason:
                self.activity.start(f"resolving {name} ({mode})")
                self.resolve(name, mode, reason)

        prompt = TextPrompt(f"{title}: {name}", hint, minimum=MIN_REASON)
        self.app.push_screen(prompt, answered)

    def action_rollback_all(self) -> None:
        names = [r.name for r in self.rows.values() if r.state in ROLLBACK_FROM]
        body = "Every DNS server gets back the entries recorded before each cutover:\n  " + "\n  ".join(names)
        self.app.push_screen(Confirm(f"Roll back {len(names)} service(s)?", body), self._rollback_all)

    def _rollback_all(self, yes: bool | None) -> None:
        if yes:
            self.activity.start("rolling back every cut-over service")
            self.roll_back(None)


def _keep_live(row: ServiceRow, previous: ServiceRow | None) -> ServiceRow:
    if previous is None:
        return row
    return replace(row, answers=previous.answers, v3_healthy=previous.v3_healthy, drift=previous.drift)
