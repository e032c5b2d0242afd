"""Provides `render` and `write_report`: a report as Markdown, HTML or JSON, and written to a file.

Secrets are masked twice. The values in the store were masked when journaled, but a value can
reach a report another way (a note typed before its password was configured as a secret, a
config text), so every string of the model is redacted before rendering (escaping would hide a
secret from a text search: `p&ss` becomes `p&amp;ss`), and the rendered text once more after
(for HTML also its visible text, without the markup that could split a secret in two).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cockpit.errors import CockpitError, InputError
from cockpit.project import Project
from cockpit.report.gather import build_report
from cockpit.report.htmlpage import render_html
from cockpit.report.markdown import render_markdown
from cockpit.report.model import Report
from cockpit.secrets import REDACTOR
from cockpit.store.fsutil import atomic_write


def render_json(report: Report) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[[Report], str]] = {
    "md": render_markdown,
    "html": render_html,
    "json": render_json,
}
FORMATS = tuple(RENDERERS)


def _redacted(value: Any) -> Any:
    """Every string of a JSON-like value masked, the keys of mappings included."""
    if isinstance(value, str):
        return REDACTOR.redact(value)
    if isinstance(value, dict):
        return {_redacted(k): _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value


def render(report: Report, fmt: str) -> str:
    """The report in `fmt` ('md', 'html' or 'json'), every secret this process knows masked."""
    if fmt not in RENDERERS:
        raise InputError(f"unknown report format '{fmt}' (formats: {', '.join(FORMATS)})")
    safe = Report.model_validate(_redacted(report.model_dump(mode="json")))
    text = RENDERERS[fmt](safe)
    guarded = REDACTOR.redact(text)
    if fmt == "html":  # markup inside a word (a break hint, a no-wrap date) could split a secret
        seen = html.unescape(re.sub(r"<[^>]*>", "", guarded))
        if REDACTOR.redact(seen) != seen:
            raise CockpitError("the HTML report held a secret that could not be masked; nothing written")
    if fmt == "json" and guarded != text:
        try:  # a secret that slipped past the first pass must not also break the document
            json.loads(guarded)
        except ValueError as exc:
            raise CockpitError(
                "the JSON report held a secret that could not be masked; nothing written"
            ) from exc
    return guarded


def default_name(fmt: str, stamp: str) -> str:
    """`cockpit-report-YYYYmmdd-HHMM.<ext>`: sorts by time, one per minute."""
    return f"cockpit-report-{stamp}.{fmt}"


def write_report(project: Project, fmt: str, path: Path | str, report: Report | None = None) -> Path:
    """Render and write atomically (temp file, fsync, rename): a reader sees the old file or the new."""
    text = render(report or build_report(project), fmt)
    target = Path(path).expanduser().absolute()
    if target.is_dir():
        raise InputError(f"{target} is a directory; give a file name")
    if not target.parent.is_dir():
        raise InputError(f"directory {target.parent} does not exist")
    atomic_write(target, text.encode("utf-8"))
    return target
