"""Provides `main`: parse, set up the log, load the project, run one subcommand, map errors to exit codes."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cockpit import netguard
from cockpit.cli import render
from cockpit.cli.cutovercmd import COMMANDS as CUTOVER_COMMANDS
from cockpit.cli.labcmd import run_fault, run_lab
from cockpit.cli.output import emit_json, err, out, report_error
from cockpit.cli.parser import build_parser
from cockpit.config import insecure_backends, register_known_secrets, secret_refs
from cockpit.core import Cockpit, validate_change
from cockpit.cutover.engine import drift_report, settle_interrupted
from cockpit.doctor import diagnose
from cockpit.errors import CockpitError, InputError, InputProblem, RefusedError, SecretError
from cockpit.project import Project, load_project
from cockpit.secrets import RedactingFilter, resolve_secret
from cockpit.store.journal import Journal
from cockpit.store.state import JOURNAL_FILE

log = logging.getLogger("cockpit")


def _setup_log(path: str | None) -> None:
    if not path:
        return
    file = Path(path).expanduser()
    os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))  # private before the first line
    handler = logging.FileHandler(file, encoding="utf-8")
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for chatty in ("httpcore", "httpx", "urllib3", "hpack"):  # headers hold session cookies and tokens
        logging.getLogger(chatty).setLevel(logging.INFO)


def _open(project: Project, args: argparse.Namespace, *, write: bool) -> Cockpit:
    if write and getattr(args, "read_only", False):
        raise RefusedError("--read-only was given; this command changes the store")
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


def journal_problems(project: Project) -> list[InputProblem]:
    """Lines of the journal that are not events: the journal is never rewritten, so a person must look."""
    journal = Journal(project.state_dir / JOURNAL_FILE)
    return [
        InputProblem(str(journal.path), bad.line, "", f"not a valid journal event: {bad.text[:60]!r}")
        for bad in journal.scan()[1]
    ]


def cmd_status(project: Project, args: argparse.Namespace) -> int:
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
    read_only = getattr(args, "read_only", False)
    with Cockpit.open(project, write=not read_only, fall_back_to_read=True) as cockpit:
        settle_interrupted(cockpit)
        phase = getattr(args, "phase", None)
        ids = [phase] if phase is not None else [p.id for p in project.phases]
        run = cockpit.check(ids)
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


def _end_on_signal(signum: int, _frame: object) -> None:
    """SIGTERM/SIGHUP (an SSH link that drops) unwind normally, so the store lock is released cleanly."""
    raise SystemExit(128 + signum)


def _run(args: argparse.Namespace, raw: list[str]) -> int:
    project = load_project(args.config, args.state)
    register_known_secrets(project.config)  # before the first log line that could carry one
    log.debug("cockpit %s", " ".join(raw))
    for backend in insecure_backends(project.config):
        err(
            f"cockpit: warning: TLS verification is OFF for {backend} (insecure = true in {project.config.source.path})"
        )
    log.debug(
        "config %s, phases %s, state %s", project.config.source.path, project.phases_dir, project.state_dir
    )
    if args.command is None and _interactive():
        from cockpit.tui import run_tui  # the TUI's imports cost time: only when it runs

        return run_tui(project, write=not args.read_only, mouse=not getattr(args, "no_mouse", False))
    return COMMANDS[args.command or "status"](project, args)


def _interactive() -> bool:
    """A terminal on both ends: the operator gets the TUI; a script or a pipe gets `status`."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def run_demo(args: argparse.Namespace, raw: list[str]) -> int:
    """Start the lab in this process with a fresh demo store, run the command (default: the tour), stop."""
    from cockpit.lab.lab import Lab

    os.environ[netguard.ENV] = "1"  # the demo talks to loopback only, whatever the config says
    netguard.allow_command(sys.executable)  # the lab's host simulator stands in for ssh
    with tempfile.TemporaryDirectory(prefix="cockpit-demo-") as directory:
        lab = Lab(Path(directory))
        info = lab.start()
        try:
            args.config, args.state = info["config"], info["state"]
            if not getattr(args, "fresh", False):
                from cockpit.lab.demo import seed

                seed(load_project(args.config, args.state), lab, say=err)
            if args.command is None and not _interactive():
                args.command = "tour"
            return _run(args, raw)
        finally:
            lab.stop()


def cmd_doctor(project: Project, args: argparse.Namespace) -> int:
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


def _check_paths(args: argparse.Namespace) -> None:
    """Paths given on the command line are arguments: a wrong one is bad input (exit 2), not a traceback."""
    if args.state and Path(args.state).expanduser().exists() and not Path(args.state).expanduser().is_dir():
        raise InputError(f"--state {args.state} is not a directory")
    if args.log and not Path(args.log).expanduser().parent.is_dir():
        raise InputError(f"--log {args.log}: directory {Path(args.log).expanduser().parent} does not exist")


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
    **CUTOVER_COMMANDS,
}


def main(argv: list[str] | None = None) -> int:
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _end_on_signal)
    # A shell that starts cockpit in the background hands it SIGINT ignored: take it back.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    raw = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(raw)
    except SystemExit as exc:  # --help and --version end here
        return exc.code if isinstance(exc.code, int) else 0
    except InputError as exc:  # a usage error
        return report_error(exc, "--json" in raw)
    for name in ("config", "state", "log", "read_only", "json"):
        if not hasattr(args, name):
            setattr(args, name, None if name in ("config", "state", "log") else False)
    try:
        _check_paths(args)
        _setup_log(args.log)
        if args.command == "lab":
            return run_fault(args) if args.lab_command == "fault" else run_lab(args)
        if args.command == "serve":
            from cockpit.tui.serve import serve

            load_project(args.config, args.state)  # bad input stops here, with its file and line
            return serve(args.config, args.state, args.host, args.port, allow_remote=args.allow_remote)
        if getattr(args, "demo", False):
            return run_demo(args, raw)
        return _run(args, raw)
    except CockpitError as exc:
        log.debug("exit %s: %s", exc.exit_code, exc)
        return report_error(exc, args.json)
    except OSError as exc:
        log.debug("exit 1: %s", exc)
        return report_error(
            CockpitError(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")), args.json
        )
    except KeyboardInterrupt:
        err("cockpit: interrupted")
        return 130
