"""Provides a lint finding and the rule that produces it: what is wrong, the seed's words, the fix."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from cockpit.principles import PRINCIPLES

if TYPE_CHECKING:
    from cockpit.lint.facts import Facts

Severity = Literal["error", "warning"]
SubjectKind = Literal["host", "service", "share", "vlan", "firewall", "ups"]


@dataclass(frozen=True)
class Finding:
    """One place where the inventory breaks a principle of the design.

    `quotes` are the seed's own words, each copied exactly from the design document; `phase` is
    the phase whose work the finding concerns, so a screen can show the findings of one phase.
    """

    rule: str
    severity: Severity
    principle: str
    quotes: tuple[str, ...]
    subject: str
    subject_kind: SubjectKind
    message: str
    fix: str
    phase: int

    @property
    def principle_title(self) -> str:
        return PRINCIPLES[self.principle].title

    def as_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data (the shape `cockpit lint --json` prints)."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "principle": self.principle,
            "principle_title": self.principle_title,
            "quotes": list(self.quotes),
            "subject": self.subject,
            "subject_kind": self.subject_kind,
            "message": self.message,
            "fix": self.fix,
            "phase": self.phase,
        }


@dataclass(frozen=True)
class Hit:
    """What a rule's check found: the rule adds its id, severity, principle and quotes."""

    subject: str
    subject_kind: SubjectKind
    message: str
    fix: str
    phase: int | None = None  # None: the rule's own phase


@dataclass(frozen=True)
class Rule:
    """A principle turned into a check of the inventory's facts.

    The facts are optional, so a rule never reads an absent fact as a violation: its check skips
    what the inventory does not state, and each of its `gaps` says what could not be checked
    (None when nothing is missing). A fact that is present and wrong is a finding.
    """

    id: str
    severity: Severity
    principle: str
    quotes: tuple[str, ...]
    phase: int
    summary: str
    check: Callable[[Facts], Iterable[Hit]]
    gaps: tuple[Callable[[Facts], str | None], ...] = ()

    def findings(self, facts: Facts) -> list[Finding]:
        return [
            Finding(
                rule=self.id,
                severity=self.severity,
                principle=self.principle,
                quotes=self.quotes,
                subject=hit.subject,
                subject_kind=hit.subject_kind,
                message=hit.message,
                fix=hit.fix,
                phase=self.phase if hit.phase is None else hit.phase,
            )
            for hit in self.check(facts)
        ]

    def unchecked(self, facts: Facts) -> list[str]:
        """What this rule could not check, one note per missing fact."""
        return [note for gap in self.gaps if (note := gap(facts))]
