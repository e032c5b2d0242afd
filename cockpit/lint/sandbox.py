"""Provides the Kubernetes phase's sandbox, as its phase file defines it.

The seed: "Production services do not migrate to Kubernetes until the cluster is proven stable in
an isolated sandbox environment", and phase 6 is "1. Sandbox phase, 2. Learning phase, 3.
Selective migration". The phase file lists that work in order, so the sandbox is what comes
before the selective migration, found from the file's structure rather than from ids written in
code (an operator's own copy of the phases keeps working):

- the required tasks before the first task that names one of the phase's production moves (its
  title or runbook names the service, as "In cockpit, cut over immich-k3s");
- the exit criteria before the first that observes a move (a `services.cut_over` check of the
  phase or naming a move, or a check of a move's `service`).

Where no task (or no exit criterion) marks the start of the migration, that half of the sandbox
cannot be told apart from the migration; it is None, and the rule says it was not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from cockpit.models.checks import Check, ServicesCutOver
from cockpit.models.inventory import Service
from cockpit.models.phases import Phase, Task


@dataclass(frozen=True)
class Sandbox:
    """The tasks and exit criteria that prove the cluster before production moves to it."""

    phase: int
    tasks: tuple[str, ...] | None
    criteria: tuple[str, ...] | None
    manual: frozenset[str]  # the criteria among them that pass by attestation


def moves_of(phase: Phase, services: Iterable[Service]) -> set[str]:
    """The production services whose move the phase owns (a test workload is not a move)."""
    return {s.name for s in services if s.phase == phase.id and s.production}


def _names_a_move(task: Task, moves: set[str]) -> bool:
    text = f"{task.title}\n{task.runbook}"
    return any(re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) for name in moves)


def _observes_a_move(check: Check, phase: int, moves: set[str]) -> bool:
    if isinstance(check, ServicesCutOver):
        if check.services:
            return bool(moves.intersection(check.services))
        return (phase if check.phase is None else check.phase) == phase
    return getattr(check, "service", None) in moves


def sandbox_of(phase: Phase, services: Iterable[Service]) -> Sandbox:
    """The phase's sandbox: its required tasks and exit criteria before the selective migration."""
    moves = moves_of(phase, services)
    first_task = next((i for i, t in enumerate(phase.tasks) if _names_a_move(t, moves)), None)
    first_exit = next(
        (i for i, c in enumerate(phase.exit) if _observes_a_move(c.check, phase.id, moves)), None
    )
    return Sandbox(
        phase=phase.id,
        tasks=None if first_task is None else tuple(t.id for t in phase.tasks[:first_task] if t.required),
        criteria=None if first_exit is None else tuple(c.id for c in phase.exit[:first_exit]),
        manual=frozenset(c.id for c in phase.exit if c.manual),
    )
