"""Provides the argument parser: global options usable before or after the subcommand, --json everywhere."""

from __future__ import annotations

import argparse
from typing import NoReturn

from cockpit import __version__
from cockpit.errors import InputError

EPILOG = (
    "exit codes: 0 done; 1 ran and failed; 2 bad input, nothing written; 3 refused (locked, read-only, gate)"
)


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are the project's bad-input error (exit 2, --json aware)."""

    def error(self, message: str) -> NoReturn:
        raise InputError(f"{self.prog}: {message} (see: {self.prog} --help)")


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of events (0 for all), got '{text}'")
    return int(text)


def _common() -> Parser:
    """Options every subcommand takes; SUPPRESS lets them be given before or after the subcommand."""
    common = Parser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="cockpit.toml to use (else $COCKPIT_CONFIG, ./cockpit.toml, the user config dir)",
    )
    common.add_argument(
        "--state",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="store directory (else $COCKPIT_STATE, the config's state_dir, state/ beside the config)",
    )
    common.add_argument(
        "--log", metavar="FILE", default=argparse.SUPPRESS, help="write a debug log (secrets redacted)"
    )
    common.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS,
        help="never take the store lock; changes are refused (exit 3)",
    )
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print machine-readable JSON (shapes in the README)",
    )
    return common


def _item(text: str) -> tuple[int, str]:
    phase, sep, item = text.partition(".")
    if not sep or not phase.isdigit() or not item:
        raise argparse.ArgumentTypeError(f"expected PHASE.ID (for example 0.install-ups), got '{text}'")
    return int(phase), item


def _phase(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a phase number, got '{text}'")
    return int(text)


VALUED = ("--config", "--state", "--log")  # the global options that take a value


def names_no_subcommand(raw: list[str]) -> bool:
    """Whether the command line is options alone (`cockpit --config FILE`: the TUI or status).

    Then the subcommands' parsers need not be built: that is a good part of the time to the TUI's
    first frame. Help and version still go to the full parser.
    """
    tokens = iter(raw)
    for token in tokens:
        if token in VALUED:
            next(tokens, None)
        elif token in ("-h", "--help", "--version", "--") or not token.startswith("-"):
            return False
    return True


def build_parser(subcommands: bool = True) -> argparse.ArgumentParser:
    """The whole parser; `subcommands=False` gives the global options alone (see above)."""
    common = _common()
    parser = Parser(
        prog="cockpit",
        description="Walks a homelab rebuild through phases 0-6: gates, tasks, criteria, per-service cutover.",
        epilog=EPILOG,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"cockpit {__version__}")
    parser.add_argument(
        "--fresh", action="store_true", help="with --demo: start at phase 0, not mid-migration"
    )
    parser.add_argument(
        "--no-mouse", action="store_true", help="the TUI does not ask the terminal for mouse reports"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the embedded lab in this process with a fresh demo store, and run against it",
    )
    if not subcommands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text, parents=[common], epilog=EPILOG)

    add("validate", "check the config and the phases without doing anything else")
    add("status", "every phase with its state, tasks and criteria; the services and their states")
    p = add("check", "evaluate the criteria of a phase (or of all), record them, open gates that pass")
    p.add_argument("phase", nargs="?", type=_phase, help="phase number (default: all phases)")
    p = add("show", "a phase with its tasks, runbooks and criteria")
    p.add_argument("phase", type=_phase, help="phase number")
    p = add("task", "mark a task done or undo it, with a note; or run the actions it declares")
    p.add_argument("verb", choices=["done", "undo", "run"], help="done, undo, or run its actions")
    p.add_argument("item", type=_item, metavar="PHASE.TASK", help="for example 0.install-ups")
    p.add_argument("--note", default="", help="what was done, where the evidence is")
    p = add("attest", "attest a manual criterion with evidence (or revoke an attestation)")
    p.add_argument("item", type=_item, metavar="PHASE.CRITERION", help="for example 0.ups-purchased")
    p.add_argument("--evidence", default="", help="what you observed and where it is recorded")
    p.add_argument(
        "--revoke", action="store_true", help="withdraw the attestation (give --evidence as the reason)"
    )
    p = add("override", "open a phase whose gate is closed, for a typed reason (audited, flagged)")
    p.add_argument("phase", type=_phase, help="phase number")
    p.add_argument("--reason", default="", help="why the gate is overridden")

    def services(name: str, text: str, every: bool = True) -> argparse.ArgumentParser:
        parser = add(name, text)
        parser.add_argument("services", nargs="*", metavar="SERVICE", help="service names from the inventory")
        if every:
            parser.add_argument("--all", action="store_true", help="every service that moves by DNS")
        return parser

    services("plan", "what a cutover would change on each DNS server, and what stands in its way")
    p = services("cutover", "move services to v3 on every DNS server (or none), verify, roll back on failure")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation (never confirms drift)")
    p.add_argument(
        "--force", action="store_true", help="override drift, an unhealthy v3 or the batch brake (audited)"
    )
    services("rollback", "restore the v2 answers on every DNS server, at once (--all: every service)")
    services("verify", "verify services now: DNS answers and health")
    services(
        "finalize", "record that a service held cut_over for the grace period: v2 may be retired", every=False
    )
    p = services(
        "resolve",
        "leave needs_attention: adopt what the servers answer, or restore the before entries",
        every=False,
    )
    p.add_argument("--adopt-live", action="store_true", help="accept the live entries as the recorded state")
    p.add_argument("--restore", action="store_true", help="restore the recorded before entries")
    p.add_argument("--reason", default="", help="why (audited)")
    add("reconcile", "settle changes interrupted by a crash against the live servers")
    from cockpit.cli import decisioncmd, lintcmd, reportcmd  # they import this module: not at the top

    reportcmd.add_parser(sub, [common])
    lintcmd.add_parser(sub, parents=[common])
    decisioncmd.add_parser(sub, parents=[common])
    add(
        "doctor",
        "each configured backend: reachable, authenticated, its version, what cockpit needs that it lacks",
    )
    p = add("lab", "run the embedded lab of simulated servers on loopback; print one JSON line when ready")
    p.add_argument(
        "--dir",
        default=None,
        help="where the lab writes its config, secrets and state (default: a new temp dir)",
    )
    p.add_argument(
        "--adguard-version",
        default="v0.107.79",
        help="the AdGuard Home version to pose as (older than v0.107.33 has no atomic rewrite update)",
    )
    lab = p.add_subparsers(dest="lab_command", metavar="fault", parser_class=Parser)
    fault = lab.add_parser(
        "fault",
        parents=[common],
        epilog=EPILOG,
        help="set or clear a fault in a running lab (found through --config)",
        description="Faults: v3-down SERVICE, v3-up SERVICE, latency BACKEND MS, errors BACKEND --count N, "
        "down BACKEND, up BACKEND, write-errors|write-timeout|write-down BACKEND [--count N] [--after M], "
        "dns-down adguard|pihole, dns-up SERVER, ups online|on-battery|low-battery, split-filesystems, "
        "join-filesystems, host-down HOST, host-up HOST, clear. "
        "BACKEND is adguard, pihole, proxmox, nut, unifi or services.",
    )
    fault.add_argument("action", help="the fault (see above)")
    fault.add_argument("target", nargs="?", help="a service, backend, DNS server or UPS state")
    fault.add_argument("value", nargs="?", type=int, help="milliseconds, for latency")
    fault.add_argument(
        "--count", type=int, default=None, help="how many calls fail, for errors and write faults"
    )
    fault.add_argument("--after", type=int, default=0, help="for write faults: how many writes succeed first")
    p = add("serve", "serve the TUI in a browser (textual-serve), on 127.0.0.1 unless told otherwise")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument("--allow-remote", action="store_true", help="allow a host that is not loopback")
    p = add("audit", "the audit journal, newest first")
    p.add_argument("--limit", type=_count, default=50, help="how many events (default 50; 0 for all)")
    p.add_argument("--action", default=None, help="only actions starting with this (for example task.)")
    return parser
