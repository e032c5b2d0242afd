"""Provides secret resolution and redaction.

A secret comes from an environment variable or from a file that only its owner can read. Every
value resolved is registered with the redactor, which logs and every printed output pass
through, so a secret can never reach a log, a screen, a report or the store.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cockpit.errors import SecretError

if TYPE_CHECKING:
    from cockpit.models.inventory import SecretRef

MASK = "********"


class Redactor:
    """Remembers every secret value seen in this process and masks it in text."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        if value and len(value) >= 3:
            with self._lock:
                self._values.add(value)

    def redact_values(self, value: Any) -> Any:
        """Mask secrets inside the strings of a JSON-like value (never in keys, numbers or JSON syntax)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {key: self.redact_values(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_values(item) for item in value]
        return value

    def redact(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, MASK)
        return text


REDACTOR = Redactor()


class RedactingFilter(logging.Filter):
    """A logging filter that masks registered secrets in the final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = REDACTOR.redact(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = REDACTOR.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def secret_file_path(ref: SecretRef, base: Path) -> Path:
    assert ref.file is not None
    path = ref.file.expanduser()
    return path if path.is_absolute() else base / path


def check_secret_file(path: Path) -> None:
    """Refuse a secret file that group or others could read, saying how to fix it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        raise SecretError(f"secret file {path} does not exist") from exc
    except OSError as exc:
        raise SecretError(f"secret file {path} cannot be read: {exc.strerror}") from exc
    if not stat.S_ISREG(mode):
        raise SecretError(f"secret file {path} is not a regular file")
    if mode & 0o077:
        raise SecretError(
            f"secret file {path} is readable by group or others (mode {stat.S_IMODE(mode):04o}); "
            f"fix it with: chmod 600 {path}"
        )


def resolve_secret(ref: SecretRef, base: Path) -> str:
    """Return the secret's value (registered for redaction) or raise SecretError."""
    if ref.env is not None:
        value = os.environ.get(ref.env)
        if not value:
            raise SecretError(f"environment variable {ref.env} is not set (it holds a secret)")
    else:
        path = secret_file_path(ref, base)
        check_secret_file(path)
        value = path.read_text(encoding="utf-8").strip()
        if not value:
            raise SecretError(f"secret file {path} is empty")
    REDACTOR.add(value)
    return value
