"""Provides the adapters' typed errors: what went wrong, in the operator's words, with the backend named."""

from __future__ import annotations

from cockpit.errors import CockpitError


class AdapterError(CockpitError):
    """A backend call that did not succeed; `backend` names it (for example 'adguard')."""

    exit_code = 1

    def __init__(self, backend: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{backend}: {message}")
        self.backend = backend
        self.status = status


class Unreachable(AdapterError):
    """No answer: connection refused or reset, or the host does not answer."""


class Timeout(AdapterError):
    """The backend did not answer within the call's timeout."""


class AuthFailed(AdapterError):
    """The backend refused our credentials or session."""


class NotFound(AdapterError):
    """The thing asked for does not exist on the backend."""


class Conflict(AdapterError):
    """The change collides with the backend's state (an item already present, a target not found)."""


class BadRequest(AdapterError):
    """The backend rejected the request as invalid."""


class Unsupported(AdapterError):
    """The backend lacks something cockpit needs (too old a version, an API that has reached its end of life)."""


class MalformedResponse(AdapterError):
    """The backend answered, but not in the shape its API promises."""


class ServerError(AdapterError):
    """The backend failed on its side (5xx)."""
