"""Provides `lint`: every rule over an inventory, findings sorted errors first, then by phase.

Given a Project, the rules also see its phases (the sandbox-first rule reads phase 6's file);
given the store's `progress` (`progress_from(cockpit)`), they see how far the build has come.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from cockpit.lint import compute, kubernetes, network, power, storage
from cockpit.lint.facts import Facts
from cockpit.lint.finding import Finding, Rule
from cockpit.lint.progress import LintProgress
from cockpit.models.inventory import Inventory
from cockpit.models.phases import Phase

if TYPE_CHECKING:
    from cockpit.config import LoadedConfig
    from cockpit.project import Project

# In the order of the phases that own them, so the report reads like the build.
RULES: tuple[Rule, ...] = (
    *power.RULES,
    *network.RULES,
    *storage.RULES,
    *compute.RULES,
    *kubernetes.RULES,
)


def _facts(
    subject: Inventory | LoadedConfig | Project,
    phase_states: Mapping[int, str] | None,
    progress: LintProgress | None,
) -> Facts:
    if isinstance(subject, Inventory):
        return Facts(subject, phase_states, progress)
    config = getattr(subject, "config", subject)  # a Project holds its LoadedConfig
    inventory = getattr(config, "inventory", None)
    if not isinstance(inventory, Inventory):
        raise TypeError(f"lint needs an Inventory, a LoadedConfig or a Project, not {type(subject).__name__}")
    phases: Sequence[Phase] = getattr(subject, "phases", ())  # only a Project has them
    return Facts(inventory, phase_states, progress, phases)


def lint(
    subject: Inventory | LoadedConfig | Project,
    phase_states: Mapping[int, str] | None = None,
    *,
    progress: LintProgress | None = None,
) -> list[Finding]:
    """Check the inventory against the design's principles.

    `progress` (`progress_from(cockpit)`: the phases' states, the tasks done, the criteria passed
    and the services' cutover states, as the store records them) lets the sandbox-first rule see
    how far the build is; its phase states win over `phase_states`, which older callers pass
    alone (phase id to "locked", "ready", "active" or "complete"). With neither, that rule checks
    the plan only; `unchecked` says what each missing piece left out.
    """
    facts = _facts(subject, phase_states, progress)
    order = {rule.id: position for position, rule in enumerate(RULES)}
    found = [finding for rule in RULES for finding in rule.findings(facts)]
    return sorted(found, key=lambda f: (f.severity != "error", f.phase, order[f.rule], f.subject))


def unchecked(
    subject: Inventory | LoadedConfig | Project,
    phase_states: Mapping[int, str] | None = None,
    *,
    progress: LintProgress | None = None,
) -> list[str]:
    """What the rules could not check because the inventory (or the caller) lacks the facts."""
    facts = _facts(subject, phase_states, progress)
    notes = (note for rule in RULES for note in rule.unchecked(facts))
    return list(dict.fromkeys(notes))


def for_phase(findings: Iterable[Finding], phase: int) -> list[Finding]:
    """The findings that concern one phase (the phases screen shows those of the active phase)."""
    return [finding for finding in findings if finding.phase == phase]


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(finding.severity == "error" for finding in findings)
