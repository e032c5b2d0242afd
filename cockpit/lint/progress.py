"""Provides what the store knows of the build, for the rules that depend on how far it has come.

The inventory is the plan; whether a production move to Kubernetes was cut over before the
sandbox was proven is history that only the store holds: the phases' states, the tasks done, the
criteria that passed and each service's cutover state. `progress_from` reads it from an open
`Cockpit` (a read-only one is enough, so `cockpit lint` never takes the lock), and `lint` takes it
as `progress`. Without it the rules that need it say so in `unchecked` instead of guessing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cockpit.core import Cockpit


@dataclass(frozen=True)
class LintProgress:
    """Where the build stands, as the store records it.

    `phase_states`: phase id to "locked", "ready", "active" or "complete"; `tasks_done` and
    `criteria_passed`: per phase, the ids of the tasks marked done and of the criteria whose
    latest result (a check, or a manual attestation) passed; `cutover`: service name to its
    cutover state, for the services the store has a record of (the others are "planned").
    """

    phase_states: Mapping[int, str]
    tasks_done: Mapping[int, frozenset[str]] = field(default_factory=dict)
    criteria_passed: Mapping[int, frozenset[str]] = field(default_factory=dict)
    cutover: Mapping[str, str] = field(default_factory=dict)

    def cutover_state(self, service: str) -> str:
        return self.cutover.get(service, "planned")


def progress_from(cockpit: Cockpit) -> LintProgress:
    """Read the progress the linter needs from the store; it changes nothing."""
    from cockpit.gates import task_done  # the store's layer loads only when a store is read

    project, store = cockpit.project, cockpit.store
    cutover: dict[str, str] = {}
    for service in project.config.inventory.services:
        record = store.service_record(service.name)
        if record is not None:
            cutover[service.name] = str(record.get("state", "planned"))
    return LintProgress(
        phase_states=dict(cockpit.states()),
        tasks_done={
            phase.id: frozenset(t.id for t in phase.tasks if task_done(store, phase.id, t.id))
            for phase in project.phases
        },
        criteria_passed={
            phase.id: frozenset(r.criterion for r in cockpit.criteria(phase.id) if r.passed)
            for phase in project.phases
        },
        cutover=cutover,
    )
