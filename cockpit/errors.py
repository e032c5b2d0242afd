"""Provides the project's own errors, each carrying the CLI exit code it maps to.

Exit codes follow the architecture: 1 the operation ran and failed, 2 bad input (nothing
written), 3 refused (store locked, read-only, a gate said no).
"""

from __future__ import annotations

from dataclasses import dataclass


class CockpitError(Exception):
    """Base of every error cockpit raises on purpose."""

    exit_code = 1


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with an input file: where it is and what is wrong."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [p for p in (where, self.field) if p]
        return ": ".join([*parts, self.message])


class InputError(CockpitError):
    """Bad input (config, phases, arguments, a store file): exit 2, nothing written."""

    exit_code = 2

    def __init__(self, problems: list[InputProblem] | str) -> None:
        if isinstance(problems, str):
            problems = [InputProblem(file="", line=None, field="", message=problems)]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class StoreError(InputError):
    """The store cannot be trusted for writing (empty, torn, unknown schema): exit 2."""


class RefusedError(CockpitError):
    """cockpit refused on purpose: store locked, read-only, a closed gate. Exit 3."""

    exit_code = 3


class LockedError(RefusedError):
    """Another cockpit holds the store's lock."""

    def __init__(self, message: str, holder: dict[str, object] | None) -> None:
        super().__init__(message)
        self.holder = holder or {}


class SecretError(InputError):
    """A secret reference that cannot be resolved or is stored unsafely."""


def unprefixed(prefix: str, message: str) -> str:
    """`message` without a leading `prefix: `, for a line that names `prefix` before it already.

    An adapter's error starts with its backend's name, which is often the server's name too: a
    line that says the server first must not say it twice ("pihole x: ...: pihole: ...").
    """
    head = f"{prefix}: "
    return message[len(head) :] if prefix and message.startswith(head) else message
