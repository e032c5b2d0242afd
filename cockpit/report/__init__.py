"""Provides the exported progress report: built from the store alone, rendered as Markdown, HTML or JSON.

`build_report(project)` reads the store (read-only, no lock, no backend contacted);
`render(report, fmt)` draws it; `write_report(project, fmt, path)` does both and writes the file
atomically. The JSON form follows `schema.json` (see `SCHEMA_PATH`). Nothing here imports Textual.
"""

from __future__ import annotations

from pathlib import Path

from cockpit.report.gather import build_report
from cockpit.report.model import SCHEMA_VERSION, Report
from cockpit.report.render import FORMATS, default_name, render, write_report

SCHEMA_PATH = Path(__file__).with_name("schema.json")

__all__ = [
    "FORMATS",
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "Report",
    "build_report",
    "default_name",
    "render",
    "write_report",
]
