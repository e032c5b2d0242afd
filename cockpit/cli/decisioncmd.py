"""Provides `cockpit decision list|add`: the decisions log from the command line.

Adding checks every field before the store is opened (bad input writes nothing, exit 2), then
holds the store for writing while the file is written and the addition journaled, like every
change: `--read-only` or a store locked by another cockpit refuses it (exit 3).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cockpit.cli.output import emit_json, out
from cockpit.errors import InputError, InputProblem, RefusedError
from cockpit.principles import PRINCIPLES

if TYPE_CHECKING:  # the parser imports this module on every start, the TUI's included
    from cockpit.decisions import Decision
    from cockpit.project import Project

FIELDS = ("title", "decision", "rationale", "principle", "revisit")


def add_parser(subparsers: Any, parents: Sequence[argparse.ArgumentParser] | None = None) -> None:
    """Add `decision list` and `decision add` to the subcommands.

    `parents` are the options every subcommand takes (--config, --state, --json, --read-only);
    they are given to the actions too, so they can follow `decision add` as they follow any command.
    """
    from cockpit.cli.parser import EPILOG, _common  # here, not at import: the parser imports this module

    common = list(parents) if parents is not None else [_common()]

    def parser(under: Any, name: str, text: str, description: str | None = None) -> Any:
        return under.add_parser(
            name, help=text, description=description or text, parents=common, epilog=EPILOG
        )

    decision = parser(
        subparsers,
        "decision",
        "the decisions log beside the config: list the decisions, or add one",
        "Decisions are Markdown files in decisions/ beside cockpit.toml, one per decision, "
        "to keep in the same git repository. Without an action: list.",
    )
    actions = decision.add_subparsers(dest="decision_command", metavar="ACTION", parser_class=type(decision))
    parser(actions, "list", "every decision, by number")
    add = parser(
        actions,
        "add",
        "write a new decision file and journal it",
        f"Write decisions/NNNN-slug.md beside the config. Principles: {', '.join(PRINCIPLES)}.",
    )
    add.add_argument("--title", required=True, help="one line: what was decided, in a few words")
    add.add_argument("--decision", required=True, help="the decision itself")
    add.add_argument("--rationale", required=True, help="why: the problem it solves, the v2 pain it avoids")
    add.add_argument(
        "--principle", required=True, choices=list(PRINCIPLES), metavar="ID", help="the principle it follows"
    )
    add.add_argument(
        "--revisit", required=True, help="what would make it worth revisiting ('' for nothing yet)"
    )
    add.add_argument("--date", default=None, help="yyyy-mm-dd (default: today)")


def cmd_decision(project: Project, args: argparse.Namespace) -> int:
    """`decision list` (also the default) or `decision add`."""
    if getattr(args, "decision_command", None) == "add":
        return _add(project, args)
    return _list(project, args)


def _list(project: Project, args: argparse.Namespace) -> int:
    from cockpit.decisions import decisions_dir, list_decisions

    decisions = list_decisions(project.config.base_dir)
    if getattr(args, "json", False):
        emit_json({"decisions": [d.as_dict() for d in decisions]})
        return 0
    if not decisions:
        out(f"No decisions recorded yet in {decisions_dir(project.config.base_dir)}.")
        out(
            "Add one: cockpit decision add --title ... --decision ... --rationale ... --principle ID --revisit ..."
        )
        return 0
    for decision in decisions:
        out(f"{decision.id}  {decision.date}  {decision.principle:<25}  {decision.title}")
    return 0


def _add(project: Project, args: argparse.Namespace) -> int:
    if getattr(args, "read_only", False):
        raise RefusedError("--read-only was given; adding a decision writes a file and the journal")
    from cockpit.decisions import check_decision, record_decision

    fields = {name: getattr(args, name) for name in FIELDS}
    try:
        checked = check_decision(**fields, date=args.date)
    except InputError as exc:
        raise InputError([_as_option(p) for p in exc.problems]) from exc
    from cockpit.core import Cockpit

    with Cockpit.open(project, write=True) as cockpit:
        decision, event = record_decision(cockpit, **checked)
    if getattr(args, "json", False):
        emit_json({"decision": decision.as_dict(), "event": event})
    else:
        out(_added(project, decision, event))
    return 0


def _as_option(problem: InputProblem) -> InputProblem:
    """A field problem named as the option the operator typed (`--title: must not be empty`)."""
    return InputProblem(problem.file, problem.line, f"--{problem.field}", problem.message)


def _added(project: Project, decision: Decision, event: dict[str, Any]) -> str:
    where = decision.path.relative_to(project.config.base_dir)
    return f"Decision {decision.id} written to {where} (event #{event['seq']}); commit it with your config."
