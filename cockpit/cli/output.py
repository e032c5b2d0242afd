"""Provides printing for the CLI: every line passes the secret redactor; JSON goes to stdout."""

from __future__ import annotations

import sys
from typing import Any

from cockpit.errors import CockpitError, InputError
from cockpit.secrets import REDACTOR


def out(text: str = "") -> None:
    sys.stdout.write(REDACTOR.redact(text) + "\n")


def err(text: str) -> None:
    sys.stderr.write(REDACTOR.redact(text) + "\n")


def emit_json(payload: Any) -> None:
    import json  # only the JSON paths pay for it (the TUI's start does not)

    text = json.dumps(REDACTOR.redact_values(payload), indent=2, default=str, ensure_ascii=False)
    sys.stdout.write(text + "\n")


def report_error(exc: CockpitError, as_json: bool) -> int:
    """Print an error the operator can act on; return its exit code."""
    if as_json:
        problems = [p.__dict__ for p in exc.problems] if isinstance(exc, InputError) else []
        payload = {"error": {"exit_code": exc.exit_code, "message": str(exc), "problems": problems}}
        holder = getattr(exc, "holder", None)
        if holder:
            payload["error"]["lock_holder"] = holder
        emit_json(payload)
    else:
        label = {2: "error", 3: "refused"}.get(exc.exit_code, "failed")
        lines = str(exc).splitlines() or [exc.__class__.__name__]
        if len(lines) == 1:
            err(f"cockpit: {label}: {lines[0]}")
        else:
            err(f"cockpit: {label}: {len(lines)} problems")
            for line in lines:
                err(f"  {line}")
    return exc.exit_code
