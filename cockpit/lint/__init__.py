"""Provides the principles linter: the inventory checked against the design's principles.

Each rule names the principle it follows and quotes the design's own words; findings come from
the inventory's structure (hosts, shares, VLANs, firewall, NUT, services), never from a flag.
No Textual here: the CLI, the TUI and the reports all call `lint`.
"""

from __future__ import annotations

from cockpit.lint.engine import RULES, for_phase, has_errors, lint, unchecked
from cockpit.lint.finding import Finding, Rule, Severity

__all__ = ["RULES", "Finding", "Rule", "Severity", "for_phase", "has_errors", "lint", "unchecked"]
