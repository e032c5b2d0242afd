"""Provides `serve`: the cockpit TUI in a browser through textual-serve, on loopback by default.

textual-serve starts one app process per browser tab, with pipes (not a terminal) on both ends,
so the command it runs is this module's own entry point (`python -m cockpit.tui.serve --app`),
which starts the TUI directly instead of going through the CLI's terminal check.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from cockpit import netguard
from cockpit.errors import RefusedError


def app_command(config: str | None, state: str | None) -> str:
    """The shell command textual-serve runs for each browser session."""
    parts = [sys.executable, "-m", "cockpit.tui.serve", "--app"]
    if config:
        parts += ["--config", config]
    if state:
        parts += ["--state", state]
    return " ".join(shlex.quote(part) for part in parts)


def serve(
    config: str | None,
    state: str | None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    allow_remote: bool = False,
) -> int:
    """Serve the TUI over HTTP until interrupted; refuses a non-loopback host unless `allow_remote`."""
    if not allow_remote and not netguard.is_loopback(host):
        raise RefusedError(
            f"cockpit serve: refusing to listen on '{host}' (not loopback); the browser session "
            "has the operator's full powers, so pass --allow-remote explicitly to expose it"
        )
    from textual_serve.server import Server

    Server(app_command(config, state), host=host, port=port, title="cockpit").serve()
    return 0


def _run_app(argv: list[str]) -> int:
    """One browser session: load the project and run the TUI (what `cockpit` does on a terminal)."""
    parser = argparse.ArgumentParser(prog="cockpit.tui.serve")
    parser.add_argument("--app", action="store_true")
    parser.add_argument("--config")
    parser.add_argument("--state")
    parser.add_argument("--read-only", action="store_true")
    args = parser.parse_args(argv)

    from cockpit.config import register_known_secrets
    from cockpit.project import load_project
    from cockpit.tui import run_tui

    project = load_project(args.config, args.state)
    register_known_secrets(project.config)
    return run_tui(project, write=not args.read_only)


if __name__ == "__main__":
    sys.exit(_run_app(sys.argv[1:]))
