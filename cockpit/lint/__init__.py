"""Provides the principles linter: the inventory checked against the design's principles.

Each rule names the principle it follows and quotes the design's own words; findings come from
the inventory's structure (hosts, shares, VLANs, firewall, NUT, services), never from a flag.
No Textual here: the CLI and the TUI call `lint`, with `progress_from(cockpit)` when a store is
at hand.
"""

from __future__ import annotations

from cockpit.lint.engine import RULES, for_phase, has_errors, lint, unchecked
from cockpit.lint.finding import Finding, Rule, Severity
from cockpit.lint.progress import LintProgress, progress_from

__all__ = [
    "RULES",
    "Finding",
    "LintProgress",
    "Rule",
    "Severity",
    "for_phase",
    "has_errors",
    "lint",
    "progress_from",
    "unchecked",
]
