"""Provides the Services screen's workers: load the board, plan, cut over, roll back, verify, finalize.

Each runs in a thread and ends by posting a message. Engine operations report every state a
service reaches (ServiceProgress), so its row moves while the transaction runs. The confirmation
of a cutover is asked from inside the engine's own `confirm` hook: the plan the operator reads is
the very plan that is applied, not one computed a moment earlier.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from textual import work
from textual.worker import get_current_worker

from cockpit.tui import board
from cockpit.tui.messages import BoardLoaded, OperationDone, PlanReady, ServiceProgress
from cockpit.tui.screens.base import OPERATION, CockpitScreen
from cockpit.tui.screens.dialogs import Confirm
from cockpit.tui.text import plan_text, result_line

if TYPE_CHECKING:
    from cockpit.cutover.plan import ServicePlan

GOOD = {
    "cutover": ("cut_over",),
    "rollback": ("rolled_back", "planned", "ready"),
    "verify": ("cut_over", "ready", "planned", "rolled_back", "finalized"),
    "finalize": ("finalized",),
    "resolve": ("cut_over", "rolled_back", "planned", "ready"),
}


class ServiceWorkers(CockpitScreen):
    """The workers, apart from the screen's layout and keys."""

    def _progress(self, service: str, state: str) -> None:
        self.post_message(ServiceProgress(service, state))

    def _done(self, what: str, results: list[dict[str, Any]]) -> None:
        ok = all(r["state"] in GOOD[what] for r in results)
        self.post_message(OperationDone(what, [result_line(r) for r in results], ok))

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_board(self) -> None:
        backend = self._backend()
        rows = board.rows_from_store(backend.project, backend.board())
        if get_current_worker().is_cancelled:
            return
        self.post_message(BoardLoaded(rows, live=False))  # the store's states at once
        rows = board.live(backend.project, rows, backend.drift())
        if not get_current_worker().is_cancelled:
            self.post_message(BoardLoaded(rows, live=True))

    @work(thread=True, group=OPERATION, exit_on_error=False)
    def make_plan(self, name: str) -> None:
        self.post_message(PlanReady(self._backend().plan([name])))

    @work(thread=True, group=OPERATION, exit_on_error=False)
    def cut_over(self, name: str) -> None:
        self._progress(name, "planning")
        results = self._backend().cutover([name], self._confirm_in_ui, self._progress)
        self._done("cutover", results)

    @work(thread=True, group=OPERATION, exit_on_error=False)
    def roll_back(self, names: list[str] | None) -> None:
        for name in names or []:
            self._progress(name, "queued")
        self._done("rollback", self._backend().rollback(names, self._progress))

    @work(thread=True, group=OPERATION, exit_on_error=False)
    def verify(self, name: str) -> None:
        self._progress(name, "verifying")
        self._done("verify", [self._backend().verify(name, self._progress)])

    @work(thread=True, group=OPERATION, exit_on_error=False)
    def finalize(self, name: str) -> None:
        self._done("finalize", [self._backend().finalize(name, self._progress)])

    @work(thread=True, group=OPERATION, exit_on_error=False)
    def resolve(self, name: str, mode: str, reason: str) -> None:
        self._done("resolve", [self._backend().resolve(name, mode, reason, self._progress)])

    def _confirm_in_ui(self, plans: list[ServicePlan]) -> bool:
        """Called by the engine in this worker's thread: show the plan, wait for `y` or `n`."""
        answer: Future[bool] = Future()
        names = ", ".join(p.service for p in plans)
        dialog = Confirm(f"Cut over {names}? Every DNS server changes, or none.", plan_text(plans))
        self.app.call_from_thread(self.app.push_screen, dialog, lambda yes: answer.set_result(bool(yes)))
        stop = self._backend().engine.stop
        while True:
            try:
                return answer.result(timeout=0.25)
            except TimeoutError:
                if stop.is_set():  # the session is ending: nothing is applied
                    return False
