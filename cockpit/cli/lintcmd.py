"""Provides `cockpit lint`: the inventory checked against the design's principles.

Errors exit 1, warnings alone exit 0; bad input (an inventory that does not load) exits 2 before
this runs. The store is only read (never locked), for the progress the sandbox-first rule needs:
the phases' states, the tasks done, the criteria passed and the services' cutover states; a store
that cannot be read leaves that part unchecked and says so. Imports stay light at module level:
the parser imports this file on every run, the linter only loads when `lint` runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cockpit.cli.output import emit_json, out

if TYPE_CHECKING:
    from cockpit.lint import Finding, LintProgress
    from cockpit.project import Project

HELP = "check the inventory against the design's principles and the anti-patterns it rejects"


def add_parser(
    subparsers: argparse._SubParsersAction[Any], parents: Sequence[argparse.ArgumentParser] | None = None
) -> None:
    """Add `lint` to the subcommands; `parents` are the options every subcommand takes (--json among them)."""
    from cockpit.cli.parser import EPILOG

    if parents is None:
        from cockpit.cli.parser import _common

        parents = [_common()]
    subparsers.add_parser("lint", help=HELP, description=HELP + ".", parents=list(parents), epilog=EPILOG)


def _progress(project: Project) -> tuple[LintProgress | None, str | None]:
    """The build's progress from the store, read-only; None and the reason when it cannot be read."""
    from cockpit.core import Cockpit
    from cockpit.errors import CockpitError
    from cockpit.lint import progress_from

    try:
        with Cockpit.open(project, write=False) as cockpit:
            return progress_from(cockpit), None
    except (CockpitError, OSError) as exc:
        return None, f"the store could not be read ({exc}): phase states unknown"


def cmd_lint(project: Project, args: argparse.Namespace) -> int:
    """Lint the project's inventory; print the findings; 1 when any is an error."""
    from cockpit.lint import has_errors, lint, unchecked

    progress, unreadable = _progress(project)
    findings = lint(project, progress=progress)
    notes = [*([unreadable] if unreadable else []), *unchecked(project, progress=progress)]
    states = None if progress is None else progress.phase_states
    if getattr(args, "json", False):
        emit_json(_payload(project, findings, notes, states))
    else:
        _print(project, findings, notes)
    return 1 if has_errors(findings) else 0


def _payload(
    project: Project, findings: list[Finding], notes: list[str], states: Mapping[int, str] | None
) -> dict[str, Any]:
    errors = sum(f.severity == "error" for f in findings)
    return {
        "config": str(project.config.source.path),
        "ok": errors == 0,
        "errors": errors,
        "warnings": len(findings) - errors,
        "findings": [f.as_dict() for f in findings],
        "unchecked": notes,
        "phase_states": None if states is None else {str(k): v for k, v in sorted(states.items())},
    }


def _print(project: Project, findings: list[Finding], notes: list[str]) -> None:
    path = project.config.source.path
    for finding in findings:
        out(f"{finding.severity.upper():<8}{finding.rule}  {finding.subject}  (phase {finding.phase})")
        out(f"        {finding.message}")
        words = " / ".join(f"\u201c{quote}\u201d" for quote in finding.quotes)
        out(f"        {finding.principle_title}: {words}")
        out(f"        Fix: {finding.fix}")
        out()
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    if findings:
        out(f"{_count(errors, 'error')}, {_count(warnings, 'warning')} in {path}")
    else:
        out(f"No findings: {path} follows the design's principles.")
    for note in notes:
        out(f"Not checked: {note}")


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"
