"""Provides the loopback guard: with COCKPIT_LOOPBACK_ONLY=1 nothing leaves 127.0.0.0/8.

The tests, CI and the demo set it. Every adapter asks the guard before it resolves a name or
sends a packet; a literal loopback address or `localhost` passes, anything else (a 192.168
address of a real homelab, any hostname) is refused with a clear error. A `command` check is
refused under the guard unless its program is allow-listed (by a test), or is the lab's own
host simulator (`cockpit lab` writes it as the config's remote shell).
"""

from __future__ import annotations

import os
import sys
from ipaddress import ip_address
from urllib.parse import urlsplit

from cockpit.errors import RefusedError

ENV = "COCKPIT_LOOPBACK_ONLY"
_allowed_commands: set[str] = set()


class GuardRefused(RefusedError):
    """The loopback guard stopped a call before any packet left."""


def active() -> bool:
    return os.environ.get(ENV, "").strip() not in ("", "0", "false", "no")


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str, what: str) -> None:
    """Refuse `host` unless it is loopback (only while the guard is active)."""
    if active() and not is_loopback(host):
        raise GuardRefused(
            f"loopback guard ({ENV}=1): {what} may only contact 127.0.0.0/8 or localhost, not '{host}'"
        )


def check_url(url: str, what: str) -> None:
    check_host(urlsplit(url).hostname or "", what)


def allow_command(program: str) -> None:
    """Allow-list a program for `command` checks under the guard (tests only)."""
    _allowed_commands.add(program)


def lab_host_shell(argv: list[str]) -> bool:
    """The lab's host simulator, run by this very interpreter: it stands in for ssh and runs the
    command against the lab's simulated hosts, so it never leaves loopback either."""
    return len(argv) >= 3 and argv[0] == sys.executable and argv[1:3] == ["-m", "cockpit.lab.hostshell"]


def check_command(argv: list[str]) -> None:
    if active() and (not argv or argv[0] not in _allowed_commands) and not lab_host_shell(argv):
        program = argv[0] if argv else "(empty)"
        raise GuardRefused(f"loopback guard ({ENV}=1): command '{program}' is not allow-listed")
