"""Provides `cockpit report`: the progress report as Markdown, HTML or JSON, on stdout or in a file.

The report is read from the store alone (read-only, no lock, no backend contacted), so it can be
made at any time, even while a cutover holds the store. With `-o FILE` the file is written
atomically and its absolute path printed: over SSH, that is where it is on the server. The parser
imports this module on every run, so the report package loads only when `report` runs.

Without `--format` the format follows the file's extension, so `-o report.html` is never a
Markdown file with an HTML name; on stdout it is Markdown, or JSON with `--json`. An explicit
`--format` wins over the extension: the operator said so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cockpit.cli.output import emit_json, out
from cockpit.errors import InputError

if TYPE_CHECKING:
    from cockpit.project import Project

FORMATS = ("md", "html", "json")  # cockpit.report.FORMATS, without importing it (a test keeps them equal)
EXTENSIONS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json"}

HELP = "the progress report (phases, criteria, services, decisions, blockers first) as md, html or json"
FORMAT_HELP = (
    "md (GitHub Markdown), html or json; default: from FILE's extension "
    "(.md/.markdown, .html/.htm, .json), else md on stdout (json with --json)"
)


def add_parser(subparsers: Any, parents: list[argparse.ArgumentParser] | None = None) -> None:
    """Add `report` to the CLI's subparsers; the global options are accepted after it too."""
    from cockpit.cli.parser import EPILOG, _common  # here, not at import: parser.py imports this module

    p = subparsers.add_parser(
        "report", help=HELP, description=HELP, parents=parents or [_common()], epilog=EPILOG
    )
    p.add_argument("--format", choices=FORMATS, default=None, help=FORMAT_HELP)
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default=None,
        help="write the report to FILE (atomically) and print its path; default: stdout",
    )


def report_format(fmt: str | None, output: str | None, as_json: bool = False) -> str:
    """The format asked for: --format, else the output file's extension, else md (json with --json)."""
    if fmt:
        return fmt
    if output in (None, "-"):
        return "json" if as_json else "md"
    suffix = Path(str(output)).suffix.lower()
    if suffix not in EXTENSIONS:
        named = f"extension '{suffix}'" if suffix else "no extension"
        raise InputError(
            f"report: cannot tell the format of '{output}' ({named}): give --format md, html or json, "
            "or name the file .md, .markdown, .html, .htm or .json"
        )
    return EXTENSIONS[suffix]


def cmd_report(project: Project, args: argparse.Namespace) -> int:
    output = getattr(args, "output", None)
    as_json = bool(getattr(args, "json", False))
    fmt = report_format(getattr(args, "format", None), output, as_json)  # bad input before any reading

    from cockpit.report import build_report, render, write_report

    report = build_report(project)
    if output in (None, "-"):
        sys.stdout.write(render(report, fmt))  # render masks every secret this process knows
        return 0
    path = write_report(project, fmt, output, report=report)
    if as_json:
        emit_json({"report": {"path": str(path), "format": fmt}})
    else:
        out(str(path))
    return 0
