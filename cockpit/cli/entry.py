"""Provides `main`: parse, set up the log, load the project, run one subcommand, map errors to exit codes.

This module imports little on purpose: `cockpit` on a terminal starts the TUI, whose first frame
waits for every import made before it. The handlers (`cockpit.cli.commands`), the validated
project (pydantic), the engine and the lab are imported when the path taken needs them.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from cockpit.cli.output import err, report_error
from cockpit.cli.parser import build_parser, names_no_subcommand
from cockpit.errors import CockpitError, InputError
from cockpit.secrets import RedactingFilter

if TYPE_CHECKING:
    from cockpit.project import Project

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


def _end_on_signal(signum: int, _frame: object) -> None:
    """SIGTERM/SIGHUP (an SSH link that drops) unwind normally, so the store lock is released cleanly."""
    raise SystemExit(128 + signum)


def load(args: argparse.Namespace, raw: list[str], *, warn: bool = True) -> Project:
    """The validated project, its secrets known to the redactor before the first log line."""
    from cockpit.config import insecure_backends, register_known_secrets
    from cockpit.project import load_project

    project = load_project(args.config, args.state)
    register_known_secrets(project.config)  # before the first log line that could carry one
    log.debug("cockpit %s", " ".join(raw))
    for backend in insecure_backends(project.config) if warn else []:
        err(
            f"cockpit: warning: TLS verification is OFF for {backend} (insecure = true in {project.config.source.path})"
        )
    log.debug(
        "config %s, phases %s, state %s", project.config.source.path, project.phases_dir, project.state_dir
    )
    return project


def _run(args: argparse.Namespace, raw: list[str]) -> int:
    if args.command is None and _interactive():
        # The TUI draws its first frame from the phase outline, then loads (and validates) the
        # project in a worker; bad input ends it with exit 2 and the same message as here.
        # The collector stays off (see `cockpit.cli.entry`'s caller) until the first frame is out.
        from cockpit.configsource import phase_outline
        from cockpit.tui import run_tui

        return run_tui(
            lambda: load(args, raw, warn=False),  # the TUI shows the TLS warnings as notifications
            outline=phase_outline(args.config),
            write=not args.read_only,
            mouse=not getattr(args, "no_mouse", False),
        )
    from cockpit.cli.commands import command

    return command(args.command or "status")(load(args, raw), args)


def _interactive() -> bool:
    """A terminal on both ends: the operator gets the TUI; a script or a pipe gets `status`."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def run_demo(args: argparse.Namespace, raw: list[str]) -> int:
    """Start the lab in this process with a fresh demo store, run the command (default: the tour), stop."""
    from cockpit import netguard
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
                from cockpit.project import load_project

                seed(load_project(args.config, args.state), lab, say=err)
            if args.command is None and not _interactive():
                args.command = "tour"
            return _run(args, raw)
        finally:
            lab.stop()


def _check_paths(args: argparse.Namespace) -> None:
    """Paths given on the command line are arguments: a wrong one is bad input (exit 2), not a traceback."""
    if args.state and Path(args.state).expanduser().exists() and not Path(args.state).expanduser().is_dir():
        raise InputError(f"--state {args.state} is not a directory")
    if args.log and not Path(args.log).expanduser().parent.is_dir():
        raise InputError(f"--log {args.log}: directory {Path(args.log).expanduser().parent} does not exist")


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    finally:
        gc.enable()  # whatever happened, a caller in this process gets its collector back


def _main(argv: list[str] | None) -> int:
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _end_on_signal)
    # A shell that starts cockpit in the background hands it SIGINT ignored: take it back.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    raw = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser(subcommands=not names_no_subcommand(raw)).parse_args(raw)
    except SystemExit as exc:  # --help and --version end here
        return exc.code if isinstance(exc.code, int) else 0
    except InputError as exc:  # a usage error
        return report_error(exc, "--json" in raw)
    if not (args.command is None and not getattr(args, "demo", False) and _interactive()):
        gc.enable()  # only the TUI's start keeps it off, until its first frame (see cockpit.cli.entry)
    for name in ("config", "state", "log", "read_only", "json"):
        if not hasattr(args, name):
            setattr(args, name, None if name in ("config", "state", "log") else False)
    try:
        _check_paths(args)
        _setup_log(args.log)
        if args.command == "lab":
            from cockpit.cli.labcmd import run_fault, run_lab

            return run_fault(args) if args.lab_command == "fault" else run_lab(args)
        if args.command == "serve":
            from cockpit.project import load_project
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
