"""Provides `lint`: every rule over an inventory, findings sorted errors first, then by phase."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from cockpit.lint import compute, kubernetes, network, power, storage
from cockpit.lint.facts import Facts
from cockpit.lint.finding import Finding, Rule
from cockpit.models.inventory import Inventory

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


def _inventory(subject: Inventory | LoadedConfig | Project) -> Inventory:
    if isinstance(subject, Inventory):
        return subject
    config = getattr(subject, "config", subject)  # a Project holds its LoadedConfig
    inventory = getattr(config, "inventory", None)
    if not isinstance(inventory, Inventory):
        raise TypeError(f"lint needs an Inventory, a LoadedConfig or a Project, not {type(subject).__name__}")
    return inventory


def lint(
    subject: Inventory | LoadedConfig | Project, phase_states: Mapping[int, str] | None = None
) -> list[Finding]:
    """Check the inventory against the design's principles.

    `phase_states` (phase id to "locked", "ready", "active" or "complete", as the store reports
    them) lets the sandbox-first rule see how far the build is; without it that rule checks the
    plan only, and `unchecked` says so.
    """
    facts = Facts(_inventory(subject), phase_states)
    order = {rule.id: position for position, rule in enumerate(RULES)}
    found = [finding for rule in RULES for finding in rule.findings(facts)]
    return sorted(found, key=lambda f: (f.severity != "error", f.phase, order[f.rule], f.subject))


def unchecked(
    subject: Inventory | LoadedConfig | Project, phase_states: Mapping[int, str] | None = None
) -> list[str]:
    """What the rules could not check because the inventory (or the caller) lacks the facts."""
    facts = Facts(_inventory(subject), phase_states)
    notes = (rule.gap(facts) for rule in RULES if rule.gap is not None)
    return list(dict.fromkeys(note for note in notes if note))


def for_phase(findings: Iterable[Finding], phase: int) -> list[Finding]:
    """The findings that concern one phase (the phases screen shows those of the active phase)."""
    return [finding for finding in findings if finding.phase == phase]


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(finding.severity == "error" for finding in findings)
