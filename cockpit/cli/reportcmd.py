"""Provides `cockpit report`: the progress report as Markdown, HTML or JSON, on stdout or in a file.

The report is read from the store alone (read-only, no lock, no backend contacted), so it can be
made at any time, even while a cutover holds the store. With `-o FILE` the file is written
atomically and its absolute path printed: over SSH, that is where it is on the server. The parser
imports this module on every run, so the report package loads only when `report` runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from cockpit.cli.output import emit_json, out

if TYPE_CHECKING:
    from cockpit.project import Project

FORMATS = ("md", "html", "json")  # cockpit.report.FORMATS, without importing it (a test keeps them equal)

HELP = "the progress report (phases, criteria, services, decisions, blockers first) as md, html or json"


def add_parser(subparsers: Any, parents: list[argparse.ArgumentParser] | None = None) -> None:
    """Add `report` to the CLI's subparsers; the global options are accepted after it too."""
    from cockpit.cli.parser import EPILOG, _common  # here, not at import: parser.py imports this module

    p = subparsers.add_parser(
        "report", help=HELP, description=HELP, parents=parents or [_common()], epilog=EPILOG
    )
    p.add_argument(
        "--format", choices=FORMATS, default="md", help="md (GitHub Markdown, default), html or json"
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default=None,
        help="write the report to FILE (atomically) and print its path; default: stdout",
    )


def cmd_report(project: Project, args: argparse.Namespace) -> int:
    from cockpit.report import build_report, render, write_report

    fmt = getattr(args, "format", None) or "md"
    output = getattr(args, "output", None)
    report = build_report(project)
    if output in (None, "-"):
        sys.stdout.write(render(report, fmt))  # render masks every secret this process knows
        return 0
    path = write_report(project, fmt, output, report=report)
    if getattr(args, "json", False):
        emit_json({"report": {"path": str(path), "format": fmt}})
    else:
        out(str(path))
    return 0
