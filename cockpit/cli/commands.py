"""Provides the handlers of the store's subcommands (validate, status, check, show, task, attest,
override, audit, doctor, tour) and `command`, which finds the handler for a name.

Apart from `cockpit.cli.entry` so that `cockpit` on a terminal, which starts the TUI, does not pay
for importing them (and pydantic, and the core) before its first frame.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import Any

from cockpit.cli import render
from cockpit.cli.output import emit_json, err, out
from cockpit.config import secret_refs
from cockpit.core import Cockpit, validate_change
from cockpit.errors import InputError, InputProblem, RefusedError, SecretError
from cockpit.project import Project
from cockpit.secrets import resolve_secret
from cockpit.store.journal import Journal
from cockpit.store.state import JOURNAL_FILE

log = logging.getLogger("cockpit")


def _open(project: Project, args: argparse.Namespace, *, write: bool) -> Cockpit:
    if write and getattr(args, "read_only", False):
        raise RefusedError("--read-only was given; this command changes the store")
    from cockpit.cutover.engine import settle_interrupted

    cockpit = Cockpit.open(project, write=write)
    if write:
        settle_interrupted(cockpit)
    return cockpit


def cmd_validate(project: Project, args: argparse.Namespace) -> int:
    problems: list[InputProblem] = []
    example = project.config.inventory.example
    for loc, ref in [] if example else secret_refs(project.config):
        try:
            resolve_secret(ref, project.config.base_dir)
            log.debug("secret %s resolves", ".".join(map(str, loc)))
        except SecretError as exc:
            problems += [project.config.doc.problem(loc, p.message) for p in exc.problems]
    problems += journal_problems(project)
    problems += decision_problems(project)
    if problems:
        raise InputError(problems)
    criteria = [c for p in project.phases for _, c in p.criteria()]
    summary: dict[str, Any] = {
        "ok": True,
        "config": str(project.config.source.path),
        "phases_dir": str(project.phases_dir),
        "state_dir": str(project.state_dir),
        "phases": len(project.phases),
        "tasks": sum(len(p.tasks) for p in project.phases),
        "criteria": {
            "manual": sum(c.manual for c in criteria),
            "automated": sum(not c.manual for c in criteria),
        },
        "hosts": len(project.config.inventory.hosts),
        "services": len(project.config.inventory.services),
        "secrets": 0 if example else len(secret_refs(project.config)),
        "example": example,
    }
    if args.json:
        emit_json(summary)
    else:
        out(f"ok: {summary['config']}")
        out(
            f"    {summary['phases']} phases from {summary['phases_dir']}: {summary['tasks']} tasks, "
            f"{summary['criteria']['automated']} automated and {summary['criteria']['manual']} manual criteria"
        )
        out(
            f"    {summary['hosts']} hosts, {summary['services']} services, {summary['secrets']} secrets resolved"
        )
        if example:
            out("    example inventory: never contacted, so its secrets are not resolved")
        out(f"    state: {summary['state_dir']}")
    return 0


def decision_problems(project: Project) -> list[InputProblem]:
    """The decisions log beside the config: a malformed file would drop the log from every report."""
    from cockpit.decisions import list_decisions

    try:
        list_decisions(project.config.base_dir)
    except InputError as exc:
        return list(exc.problems)
    return []


def journal_problems(project: Project) -> list[InputProblem]:
    """Lines of the journal that are not events: the journal is never rewritten, so a person must look."""
    journal = Journal(project.state_dir / JOURNAL_FILE)
    return [
        InputProblem(str(journal.path), bad.line, "", f"not a valid journal event: {bad.text[:60]!r}")
        for bad in journal.scan()[1]
    ]


def cmd_status(project: Project, args: argparse.Namespace) -> int:
    from cockpit.cutover.engine import drift_report

    with _open(project, args, write=False) as cockpit:
        report = cockpit.status()
        drift = drift_report(cockpit)  # each refresh compares the live entries with the store
    for service in report["services"]:
        service["drift"] = drift.get(service["name"], []) if service["cutover"] == "dns" else []
    if args.json:
        emit_json(report)
    else:
        render.status(report)
    return 0


def cmd_check(project: Project, args: argparse.Namespace) -> int:
    from cockpit.cutover.engine import drift_report, record_drift, settle_interrupted

    read_only = getattr(args, "read_only", False)
    with Cockpit.open(project, write=not read_only, fall_back_to_read=True) as cockpit:
        settle_interrupted(cockpit)
        phase = getattr(args, "phase", None)
        ids = [phase] if phase is not None else [p.id for p in project.phases]
        run = cockpit.check(ids)
        if cockpit.store.writable and phase is None:  # a whole check also records what drifted
            record_drift(cockpit, drift_report(cockpit))
    if args.json:
        emit_json(
            {
                "phases": ids,
                "passed": run.all_passed,
                "recorded": run.recorded,
                "not_recorded_reason": run.not_recorded_reason,
                "results": [r.model_dump() for r in run.results],
                "latched": [{"phase": e["phase"], "state": e["state"]} for e in run.latched],
            }
        )
    else:
        render.results(run.results)
        for event in run.latched:
            out(f"Phase {event['phase']} is now {event['state']}.")
        if not run.recorded:
            out(f"Results NOT recorded: {run.not_recorded_reason}.")
    return 0 if run.all_passed else 1


def cmd_show(project: Project, args: argparse.Namespace) -> int:
    with _open(project, args, write=False) as cockpit:
        phase = cockpit.phase(args.phase)
        state = cockpit.states()[phase.id]
        tasks = [dict(cockpit.store.task(phase.id, t.id) or {}) for t in phase.tasks]
        criteria = cockpit.criteria(phase.id)
    if args.json:
        emit_json(
            {
                "phase": phase.model_dump(mode="json"),
                "state": state,
                "tasks": [
                    {
                        "id": t.id,
                        "done": bool(r.get("done")),
                        "note": r.get("note"),
                        "by": r.get("by"),
                        "at": r.get("at"),
                    }
                    for t, r in zip(phase.tasks, tasks, strict=True)
                ],
                "criteria": [c.model_dump() for c in criteria],
            }
        )
    else:
        render.phase(phase, state, tasks, criteria)
    return 0


def _changed(args: argparse.Namespace, event: dict[str, Any], message: str) -> int:
    if args.json:
        emit_json({"event": event})
    else:
        out(message)
    return 0


def cmd_task(project: Project, args: argparse.Namespace) -> int:
    phase, task = args.item
    validate_change(project, "task", phase, task)
    if args.verb == "run":
        return _run_task(project, args, phase, task)
    with _open(project, args, write=True) as cockpit:
        event = cockpit.set_task(phase, task, args.verb == "done", args.note)
    return _changed(
        args,
        event,
        f"{phase}.{task}: {'done' if args.verb == 'done' else 'not done'} (event #{event['seq']})",
    )


def _run_task(project: Project, args: argparse.Namespace, phase: int, task: str) -> int:
    with _open(project, args, write=True) as cockpit:
        run = cockpit.run_task(phase, task)
    if args.json:
        emit_json({"run": run})
    else:
        for step in run["steps"]:
            out(
                f"{'ok  ' if step['ok'] else 'FAIL'} {step['action']} {step['target']}: {step['output'].strip()[:300]}"
            )
        out(f"{phase}.{task}: {'done' if run['ok'] else 'NOT done: a step failed; the task stays open'}")
    return 0 if run["ok"] else 1


def cmd_attest(project: Project, args: argparse.Namespace) -> int:
    phase, criterion = args.item
    validate_change(project, "attest", phase, criterion, args.evidence, args.revoke)
    if args.revoke:
        with _open(project, args, write=False) as snapshot:  # nothing to revoke is bad input: write nothing
            snapshot.require_attested(phase, criterion)
    with _open(project, args, write=True) as cockpit:
        if args.revoke:
            event = cockpit.revoke(phase, criterion, args.evidence)
            return _changed(args, event, f"{phase}.{criterion}: attestation revoked (event #{event['seq']})")
        event = cockpit.attest(phase, criterion, args.evidence)
    return _changed(args, event, f"{phase}.{criterion}: attested (event #{event['seq']})")


def cmd_override(project: Project, args: argparse.Namespace) -> int:
    validate_change(project, "override", args.phase, text=args.reason)
    with _open(project, args, write=True) as cockpit:
        event = cockpit.override(args.phase, args.reason)
    return _changed(
        args, event, f"Phase {args.phase} opened by override (event #{event['seq']}); it stays flagged."
    )


def cmd_audit(project: Project, args: argparse.Namespace) -> int:
    with _open(project, args, write=False) as cockpit:
        events = cockpit.audit(limit=args.limit or None, action=args.action)
    for problem in journal_problems(project):
        err(f"cockpit: warning: {problem} (skipped)")
    if args.json:
        emit_json({"events": events})
    else:
        render.audit(events)
    return 0


def cmd_doctor(project: Project, args: argparse.Namespace) -> int:
    from cockpit.doctor import diagnose

    reports = diagnose(project)
    if args.json:
        emit_json({"backends": [r.model_dump() | {"healthy": r.healthy} for r in reports]})
    else:
        render.doctor(reports)
    return 0 if all(r.healthy for r in reports) else 1


def cmd_tour(project: Project, args: argparse.Namespace) -> int:
    """The demo's main job off a terminal (a pipe, a script): check every phase against the lab, then the status."""
    out(f"cockpit demo: the embedded lab is running (config {project.config.source.path})")
    out("")
    cmd_check(project, args)
    out("")
    return cmd_status(project, args)


COMMANDS: dict[str, Callable[[Project, argparse.Namespace], int]] = {
    "validate": cmd_validate,
    "status": cmd_status,
    "check": cmd_check,
    "show": cmd_show,
    "task": cmd_task,
    "attest": cmd_attest,
    "override": cmd_override,
    "audit": cmd_audit,
    "tour": cmd_tour,
    "doctor": cmd_doctor,
}


def command(name: str) -> Callable[[Project, argparse.Namespace], int]:
    """The function behind a subcommand; the other modules' commands are imported only when named."""
    if name in COMMANDS:
        return COMMANDS[name]
    if name == "report":
        from cockpit.cli.reportcmd import cmd_report

        return cmd_report
    if name == "lint":
        from cockpit.cli.lintcmd import cmd_lint

        return cmd_lint
    if name == "decision":
        from cockpit.cli.decisioncmd import cmd_decision

        return cmd_decision
    from cockpit.cli.cutovercmd import COMMANDS as CUTOVER_COMMANDS

    return CUTOVER_COMMANDS[name]
