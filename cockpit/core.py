"""Provides the Cockpit facade: the one set of calls both the CLI and the TUI use.

Every change goes through the store (journal first, then state); every refusal is a typed
error carrying its exit code. Nothing here knows about terminals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cockpit.config import insecure_backends, register_known_secrets
from cockpit.errors import InputError, RefusedError
from cockpit.gates import PhaseState, evidence_of, latest_result, phase_states, phase_status, task_done
from cockpit.models.phases import Criterion, Phase, Task
from cockpit.operator import Operator, current_operator
from cockpit.project import Project
from cockpit.results import CheckResult
from cockpit.store.lock import describe_holder
from cockpit.store.state import Store

if TYPE_CHECKING:
    from cockpit.checks.runner import OnResult
    from cockpit.tasks import Step

MIN_REASON = 8


def find_phase(project: Project, phase_id: int) -> Phase:
    phase = project.phase(phase_id)
    if phase is None:
        known = ", ".join(str(p.id) for p in project.phases)
        raise InputError(f"no phase {phase_id} (phases: {known})")
    return phase


def find_task(project: Project, phase_id: int, task_id: str) -> Task:
    phase = find_phase(project, phase_id)
    task = phase.task(task_id)
    if task is None:
        raise InputError(
            f"phase {phase_id} has no task '{task_id}' (tasks: {', '.join(t.id for t in phase.tasks)})"
        )
    return task


def find_manual_criterion(project: Project, phase_id: int, criterion_id: str) -> Criterion:
    phase = find_phase(project, phase_id)
    criterion = phase.criterion(criterion_id)
    if criterion is None:
        known = ", ".join(c.id for _, c in phase.criteria())
        raise InputError(f"phase {phase_id} has no criterion '{criterion_id}' (criteria: {known})")
    if not criterion.manual:
        raise InputError(
            f"{phase_id}.{criterion_id} is checked by {criterion.check.type}, not attested; run: cockpit check {phase_id}"
        )
    return criterion


def require_text(value: str, message: str, minimum: int = 1) -> str:
    """Evidence and reasons are typed by a person: blank (or too short) is bad input."""
    value = value.strip()
    if len(value) < minimum:
        raise InputError(message)
    return value


EVIDENCE_NEEDED = "an attestation needs evidence: --evidence 'what you saw, where it is recorded'"
REASON_NEEDED = f"an override needs a typed reason of at least {MIN_REASON} characters: --reason '...'"


def validate_change(
    project: Project,
    command: str,
    phase_id: int,
    item: str | None = None,
    text: str = "",
    revoke: bool = False,
) -> None:
    """Check a change's arguments before the store is opened, so bad input writes nothing."""
    if command == "task":
        find_task(project, phase_id, item or "")
    elif command == "attest":
        find_manual_criterion(project, phase_id, item or "")
        if not revoke:
            require_text(text, EVIDENCE_NEEDED)
    elif command == "override":
        find_phase(project, phase_id)
        require_text(text, REASON_NEEDED, MIN_REASON)


@dataclass
class CheckRun:
    """The outcome of `check`: every result, whether they were recorded, and the gates that opened."""

    results: list[CheckResult]
    recorded: bool
    not_recorded_reason: str | None = None
    latched: list[dict[str, Any]] = field(default_factory=list)

    @property
    def all_passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)


def event_words(event: dict[str, Any]) -> str:
    """What a filter of the audit trail matches: operator, action, subject, outcome (lower case)."""
    who = event.get("operator") or {}
    user = who.get("user", "?") if isinstance(who, dict) else who
    return " ".join(
        str(part) for part in (user, event["action"], event["subject"], event.get("outcome"))
    ).lower()


class Cockpit:
    """The project plus its store, opened for writing or as a read-only snapshot."""

    def __init__(self, project: Project, store: Store, lock_holder: dict[str, Any] | None = None) -> None:
        self.project = project
        self.store = store
        self.lock_holder = lock_holder or {}

    @classmethod
    def open(
        cls,
        project: Project,
        *,
        write: bool,
        operator: Operator | None = None,
        fall_back_to_read: bool = False,
    ) -> Cockpit:
        """Open for writing (LockedError when someone else writes) or reading (never locks).

        With `fall_back_to_read`, a locked store opens read-only instead and names its holder.
        """
        operator = operator or current_operator()
        register_known_secrets(project.config)
        if write:
            try:
                cockpit = cls(project, Store.open_writer(project.state_dir, operator))
                cockpit._audit_insecure_tls()
                return cockpit
            except RefusedError as exc:
                if not fall_back_to_read:
                    raise
                holder = getattr(exc, "holder", {})
                return cls(project, Store.open_reader(project.state_dir, operator), holder)
        store = Store.open_reader(project.state_dir, operator)
        return cls(project, store, store.lock.holder())

    def close(self) -> None:
        self.store.close()

    def _audit_insecure_tls(self) -> None:
        """TLS verification turned off is allowed only explicitly, and every writing run says so in the journal."""
        insecure = insecure_backends(self.project.config)
        if insecure:
            self.store.record(
                "tls.insecure", str(self.project.config.source.path), after={"backends": insecure}
            )

    def __enter__(self) -> Cockpit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- lookups --------------------------------------------------------------------------

    def phase(self, phase_id: int) -> Phase:
        return find_phase(self.project, phase_id)

    def states(self) -> dict[int, PhaseState]:
        return phase_states(self.project, self.store)

    def _require_open(self, phase: Phase, allowed: tuple[PhaseState, ...], what: str) -> None:
        state = self.states()[phase.id]
        if state not in allowed:
            why = {
                "locked": f"phase {phase.id - 1} is not complete",
                "ready": f"its entry criteria have not all passed (run: cockpit check {phase.id})",
            }.get(state, state)
            raise RefusedError(
                f"cannot {what}: phase {phase.id} is {state} ({why}); phases are sequential, no skipping "
                f"ahead. To open it anyway: cockpit override {phase.id} --reason '...'"
            )

    # -- reading --------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        states = self.states()
        phases = [
            phase_status(self.project, self.store, p, states[p.id]).as_dict() for p in self.project.phases
        ]
        services = []
        for service in self.project.config.inventory.services:
            record = self.store.service_record(service.name) or {}
            services.append(
                {
                    "name": service.name,
                    "hostname": service.hostname,
                    "phase": service.phase,
                    "cutover": service.cutover,
                    "state": record.get("state", "planned"),
                }
            )
        return {
            "phases": phases,
            "services": services,
            "pending_operations": self.store.pending_operations(),
            "store": {
                "dir": str(self.project.state_dir),
                "read_only": not self.store.writable,
                "lock_holder": self.lock_holder or None,
            },
            "config": {
                "path": str(self.project.config.source.path),
                "origin": self.project.config.source.origin,
            },
        }

    def criteria(self, phase_id: int) -> list[CheckResult]:
        phase = self.phase(phase_id)
        return [latest_result(self.project, self.store, phase, kind, c.id) for kind, c in phase.criteria()]

    def audit(
        self, limit: int | None = None, action: str | None = None, contains: str | None = None
    ) -> list[dict[str, Any]]:
        """Journal events, newest first; `contains` keeps those whose words hold it (any case)."""
        found: list[dict[str, Any]] = []
        wanted = (contains or "").strip().lower()
        for event in self.store.journal.reverse_events():
            if action and not event["action"].startswith(action):
                continue
            if wanted and wanted not in event_words(event):
                continue
            found.append(event)
            if limit is not None and len(found) >= limit:
                break
        return found

    # -- checks and gates -----------------------------------------------------------------

    def check(self, phase_ids: list[int], on_result: OnResult | None = None) -> CheckRun:
        """Evaluate the phases' criteria; record them and open gates when the store is writable."""
        return self.record_check(phase_ids, self.evaluate(phase_ids, on_result))

    def evaluate(self, phase_ids: list[int], on_result: OnResult | None = None) -> list[CheckResult]:
        """Evaluate the phases' criteria against the backends; records nothing.

        Apart from `record_check` so that a session can ask the backends from a reader of the
        store, without holding its writer while slow servers answer.
        """
        phases = [self.phase(i) for i in phase_ids]
        from cockpit.checks.runner import run_checks  # the adapters load when a check runs, not at startup

        return run_checks(self.project, self.store, phases, on_result)

    def record_check(self, phase_ids: list[int], results: list[CheckResult]) -> CheckRun:
        """Record evaluated results and latch the gates that now pass (when the store is writable)."""
        phases = [self.phase(i) for i in phase_ids]
        if not self.store.writable:
            holder = describe_holder(self.lock_holder) if self.lock_holder else None
            reason = f"the store is locked by {holder}" if holder else "the store is open read-only"
            return CheckRun(results, recorded=False, not_recorded_reason=reason)
        for phase in phases:
            mine = [r.record() for r in results if r.phase == phase.id]
            self.store.record("check.recorded", str(phase.id), after={"results": mine})
        return CheckRun(results, recorded=True, latched=self._advance(phases))

    def _advance(self, phases: list[Phase]) -> list[dict[str, Any]]:
        """Latch active/complete for the checked phases, in order, with their evidence."""
        latched = []
        for phase in sorted(phases, key=lambda p: p.id):
            record = self.store.phase_record(phase.id)
            entry = [latest_result(self.project, self.store, phase, "entry", c.id) for c in phase.entry]
            if (
                self.states()[phase.id] in ("ready", "active")
                and "active" not in record
                and all(r.passed for r in entry)
            ):
                event = self.store.record(
                    "phase.activated", str(phase.id), after={"evidence": evidence_of(entry)}
                )
                latched.append({"phase": phase.id, "state": "active", "seq": event["seq"]})
            exits = [latest_result(self.project, self.store, phase, "exit", c.id) for c in phase.exit]
            tasks_open = [
                t.id for t in phase.tasks if t.required and not task_done(self.store, phase.id, t.id)
            ]
            if self.states()[phase.id] == "active" and not tasks_open and all(r.passed for r in exits):
                evidence = evidence_of(exits)
                event = self.store.record("phase.completed", str(phase.id), after={"evidence": evidence})
                latched.append({"phase": phase.id, "state": "complete", "seq": event["seq"]})
        return latched

    # -- changes --------------------------------------------------------------------------

    def set_task(self, phase_id: int, task_id: str, done: bool, note: str) -> dict[str, Any]:
        find_task(self.project, phase_id, task_id)
        self._require_open(self.phase(phase_id), ("active", "complete"), f"change task {phase_id}.{task_id}")
        before = self.store.task(phase_id, task_id)
        before_view = {"done": before.get("done"), "note": before.get("note")} if before else None
        action = "task.done" if done else "task.undone"
        return self.store.record(
            action, f"{phase_id}.{task_id}", before=before_view, after={"done": done, "note": note}
        )

    def run_task(self, phase_id: int, task_id: str) -> dict[str, Any]:
        """Run a task's actions in order through the adapters; done when every step succeeded.

        Each external call is journaled as an intent before and an outcome after (one operation
        id); the first failed step stops the run, and the task stays open with the failure kept.
        """
        task = find_task(self.project, phase_id, task_id)
        if not task.actions:
            raise InputError(
                f"task {phase_id}.{task_id} has no actions to run; mark it with: cockpit task done"
            )
        self._require_open(self.phase(phase_id), ("active", "complete"), f"run task {phase_id}.{task_id}")
        from cockpit.tasks import execute, new_operation, targets

        self.reconcile_pending()
        subject = f"{phase_id}.{task_id}"
        steps: list[Step] = []
        for index, action in enumerate(task.actions):
            for target in targets(self.project, action):
                op = new_operation()
                intent = {"op": op, "step": index, "action": action.type, "target": target}
                self.store.record("task.action.started", subject, after=intent)
                step = execute(self.project, action, target)
                steps.append(step)
                outcome = {**intent, "ok": step.ok, "output": step.output, "detail": step.detail}
                self.store.record(
                    "task.action.finished", subject, after=outcome, outcome="ok" if step.ok else "failed"
                )
                if not step.ok:
                    break
            if steps and not steps[-1].ok:
                break
        ok = bool(steps) and all(s.ok for s in steps)
        evidence = [{"action": s.action, "target": s.target, "ok": s.ok, "output": s.output} for s in steps]
        self.store.record(
            "task.ran", subject, after={"ok": ok, "steps": evidence}, outcome="ok" if ok else "failed"
        )
        if ok:
            note = f"ran {len(steps)} action(s): " + "; ".join(f"{s.action} {s.target}" for s in steps)
            self.store.record(
                "task.done", subject, before=None, after={"done": True, "note": note, "evidence": evidence}
            )
        return {"phase": phase_id, "task": task_id, "ok": ok, "steps": evidence}

    def reconcile_pending(self) -> list[dict[str, Any]]:
        """Settle actions that were started but never got an outcome, by reading the live backend."""
        from cockpit.tasks import reconcile

        settled = []
        for pending in self.store.pending_operations():
            outcome, seen = reconcile(self.project, pending)
            after = {
                "op": pending["op"],
                "action": pending.get("action"),
                "target": pending.get("target"),
                "reconciled": outcome,
                "observed": seen,
            }
            settled.append(
                self.store.record(
                    "task.action.reconciled",
                    pending["subject"],
                    after=after,
                    outcome="ok" if outcome != "needs_attention" else "needs_attention",
                )
            )
        return settled

    def attest(self, phase_id: int, criterion_id: str, evidence: str) -> dict[str, Any]:
        find_manual_criterion(self.project, phase_id, criterion_id)
        evidence = require_text(evidence, EVIDENCE_NEEDED)
        self._require_open(
            self.phase(phase_id), ("ready", "active", "complete"), f"attest {phase_id}.{criterion_id}"
        )
        before = self.store.attestation(phase_id, criterion_id)
        return self.store.record(
            "criterion.attested",
            f"{phase_id}.{criterion_id}",
            before=before and {"evidence": before["evidence"]},
            after={"evidence": evidence},
        )

    def require_attested(self, phase_id: int, criterion_id: str) -> dict[str, Any]:
        find_manual_criterion(self.project, phase_id, criterion_id)
        before = self.store.attestation(phase_id, criterion_id)
        if before is None:
            raise InputError(f"{phase_id}.{criterion_id} is not attested; nothing to revoke")
        return before

    def revoke(self, phase_id: int, criterion_id: str, note: str) -> dict[str, Any]:
        before = self.require_attested(phase_id, criterion_id)
        return self.store.record(
            "criterion.revoked",
            f"{phase_id}.{criterion_id}",
            before={"evidence": before["evidence"]},
            after={"note": note},
        )

    def override(self, phase_id: int, reason: str) -> dict[str, Any]:
        """Open a phase whose gate is closed, for a typed reason; it stays flagged as overridden."""
        phase = self.phase(phase_id)
        reason = require_text(reason, REASON_NEEDED, MIN_REASON)
        state = self.states()[phase.id]
        if state in ("active", "complete"):
            raise InputError(f"phase {phase_id} is already {state}; there is no closed gate to override")
        return self.store.record(
            "phase.overridden", str(phase_id), before={"state": state}, after={"reason": reason}
        )
