"""Provides the Phase screen's workers: load the phase, check it, run or mark a task, attest, override.

Each runs in a thread, calls the Backend once, and ends by posting a message the screen turns
into a notification and a reload; an error ends in the screen's one error handler instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from cockpit.tui.messages import ChecksRan, CriterionChecked, PhaseChanged, PhaseLoaded
from cockpit.tui.screens.base import OPERATION, CockpitScreen

if TYPE_CHECKING:
    from cockpit.results import CheckResult


class PhaseWorkers(CockpitScreen):
    """The workers, apart from the screen's layout and keys."""

    phase_id: int

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_phase(self) -> None:
        self.post_message(PhaseLoaded(self._backend().phase_view(self.phase_id)))

    @work(thread=True, group=OPERATION, exit_on_error=False)
    def run_checks(self) -> None:
        def heard(result: CheckResult, done: int, total: int) -> None:
            self.post_message(CriterionChecked(result, done, total))

        self.post_message(ChecksRan(self.phase_id, self._backend().check(self.phase_id, heard)))

    @work(thread=True, group=OPERATION, exit_on_error=False)
    def run_task(self, task: str) -> None:
        run = self._backend().run_task(self.phase_id, task)
        words = "done" if run["ok"] else "NOT done: a step failed; the task stays open (see its detail)"
        self.post_message(PhaseChanged(f"{self.phase_id}.{task}: {words}", ok=run["ok"]))

    @work(thread=True, group=OPERATION, exit_on_error=False)
    def set_task(self, task: str, done: bool, note: str) -> None:
        event = self._backend().set_task(self.phase_id, task, done, note)
        words = "done" if done else "not done"
        self.post_message(PhaseChanged(f"{self.phase_id}.{task}: {words} (event #{event['seq']})"))

    @work(thread=True, group=OPERATION, exit_on_error=False)
    def attest(self, criterion: str, evidence: str) -> None:
        event = self._backend().attest(self.phase_id, criterion, evidence)
        self.post_message(PhaseChanged(f"{self.phase_id}.{criterion}: attested (event #{event['seq']})"))

    @work(thread=True, group=OPERATION, exit_on_error=False)
    def override(self, reason: str) -> None:
        event = self._backend().override(self.phase_id, reason)
        summary = f"Phase {self.phase_id} opened by override (event #{event['seq']}); it stays flagged"
        self.post_message(PhaseChanged(summary))
