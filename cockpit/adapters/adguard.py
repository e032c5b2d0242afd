"""Provides the AdGuard Home adapter: server status and DNS rewrites over `/control`, typed both ways.

Why compare-and-swap: a cutover changes a rewrite's answer. `PUT /control/rewrite/update` replaces
the entry in place, under the server's lock, only if it still equals what we read; an entry that
someone else changed in between comes back as `Conflict` instead of being overwritten. Servers
older than v0.107.33 lack that endpoint; there, and only there, the adapter adds the new entry and
then deletes the old one, and its `UpdateOutcome` says the change was not atomic.

Every call authenticates with Basic auth (no session cookie: a session that expires or is revoked
must never fail a cutover half-way). The password never reaches a log line or an error message.
"""

from __future__ import annotations

import logging
import re
import ssl
from types import TracebackType
from typing import Any, NoReturn

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from cockpit.adapters.errors import (
    AdapterError,
    AuthFailed,
    BadRequest,
    Conflict,
    MalformedResponse,
    NotFound,
    ServerError,
    Unsupported,
)
from cockpit.adapters.httpbase import DEFAULT_TIMEOUT, client, transport_error

BACKEND = "adguard"
UPDATE_SINCE = (0, 107, 33)  # the first release tag with PUT /control/rewrite/update
ENABLED_SINCE = (0, 107, 68)  # rewrite settings and each entry's `enabled`
UPDATE_PATH = "/control/rewrite/update"
TARGET_NOT_FOUND = "target rule not found"
MASK = "********"

log = logging.getLogger(__name__)


# -- models ---------------------------------------------------------------------------------------


class AdGuardStatus(BaseModel):
    """`GET /control/status`: what the server runs and where its DNS listens."""

    # strict: a "true" string or a 1 is not a boolean here; a wrong shape is a malformed answer.
    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")

    version: str
    running: bool
    protection_enabled: bool
    dns_port: int
    http_port: int
    dns_addresses: list[str]
    language: str = ""
    protection_disabled_duration: int = 0
    dhcp_available: bool = False
    start_time: float | None = None


class Rewrite(BaseModel):
    """One DNS rewrite. Before v0.107.68 the server sends no `enabled`: every entry is on."""

    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")

    domain: str
    answer: str
    enabled: bool = True


class UpdateOutcome(BaseModel):
    """How an update was applied: `atomic` is False only for the add-then-delete fallback."""

    model_config = ConfigDict(frozen=True)

    atomic: bool
    note: str


_STATUS: TypeAdapter[AdGuardStatus] = TypeAdapter(AdGuardStatus)
_REWRITE_LIST: TypeAdapter[list[Rewrite] | None] = TypeAdapter(list[Rewrite] | None)


# -- versions -------------------------------------------------------------------------------------


def parse_version(text: str) -> tuple[int, int, int] | None:
    """`v0.107.79` -> (0, 107, 79); None for what is no release version (a dev build, "")."""
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", text.strip())
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def version_supports_update(version: str) -> bool:
    """Whether `version` has PUT /control/rewrite/update; an unknown or dev version is given the benefit."""
    parsed = parse_version(version)
    return parsed is None or parsed >= UPDATE_SINCE


def _version_has_enabled(version: str) -> bool:
    parsed = parse_version(version)
    return parsed is None or parsed >= ENABLED_SINCE


# -- the client -----------------------------------------------------------------------------------


class AdGuardClient:
    """A synchronous client for one AdGuard Home; use it as a context manager or call `close()`."""

    def __init__(
        self,
        base_url: str,
        username: str | None = None,
        password: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        verify: bool | str | ssl.SSLContext = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._username = username or ""
        self._password = password or ""
        auth = httpx.BasicAuth(username, self._password) if username else None
        self._http = client(
            base_url.rstrip("/"),
            "the AdGuard Home adapter",
            timeout=timeout,
            verify=verify,
            auth=auth,
            transport=transport,
        )
        self._version: str | None = None

    def __repr__(self) -> str:
        return f"AdGuardClient({str(self._http.base_url)!r})"

    def __enter__(self) -> AdGuardClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- reading ------------------------------------------------------------------------------

    def status(self) -> AdGuardStatus:
        response = self._call("GET", "/control/status", "read the status")
        status: AdGuardStatus = self._validated(_STATUS, self._json(response, "the status"), "the status")
        self._version = status.version
        return status

    @property
    def version(self) -> str:
        """The server's version (asks the server once)."""
        if self._version is None:
            self.status()
        assert self._version is not None
        return self._version

    @property
    def supports_update(self) -> bool:
        """Whether the server has the atomic `PUT /control/rewrite/update` (asks the server once)."""
        return version_supports_update(self.version)

    def list_rewrites(self) -> list[Rewrite]:
        response = self._call("GET", "/control/rewrite/list", "list the rewrites")
        rewrites = self._validated(
            _REWRITE_LIST, self._json(response, "the rewrite list"), "the rewrite list"
        )
        return rewrites or []  # Go encodes an empty slice that was never made as null

    # -- writing ------------------------------------------------------------------------------

    def add_rewrite(self, domain: str, answer: str) -> None:
        """Add one rewrite. The server refuses no duplicate: the same pair can be stored twice."""
        body = {"domain": domain.lower(), "answer": answer}
        self._write("POST", "/control/rewrite/add", body, f"add rewrite {domain} -> {answer}")

    def delete_rewrite(self, domain: str, answer: str) -> None:
        """Delete every entry equal to the pair; deleting one that is not there succeeds too."""
        # The server compares the domain as sent, while it stores domains lowercased: a mixed-case
        # domain would match nothing and still answer 200.
        body = {"domain": domain.lower(), "answer": answer}
        self._write("POST", "/control/rewrite/delete", body, f"delete rewrite {domain} -> {answer}")

    def update_rewrite(self, target: Rewrite, update: Rewrite) -> UpdateOutcome:
        """Replace `target` with `update` if `target` is still there, else raise Conflict.

        `update.enabled` is sent only when it was given; left out, the entry keeps its state.
        """
        self._check_enabled_support(update)
        if not self.supports_update:
            return self._add_then_delete(target, update)
        body = {"target": _pair(target), "update": self._entry(update)}
        what = f"update rewrite {target.domain} -> {target.answer}"
        try:
            self._write("PUT", UPDATE_PATH, body, what)
        except NotFound as exc:
            raise Unsupported(
                BACKEND,
                f"{what}: AdGuard Home {self.version} has no PUT {UPDATE_PATH} (404), "
                "although that version should; nothing was changed",
                404,
            ) from exc
        return UpdateOutcome(atomic=True, note=f"replaced in place by PUT {UPDATE_PATH}")

    def login(self) -> None:
        """Check the credentials as the web UI does, with `POST /control/login`.

        Unlike Basic auth, which answers every refusal with a bare 401, this tells a wrong password
        (403) from an address blocked after too many failures (429 with Retry-After). The session
        cookie it returns is dropped: calls keep authenticating with Basic.
        """
        body = {"name": self._username, "password": self._password}
        try:
            response = self._call("POST", "/control/login", "log in", body)
        finally:
            self._http.cookies.clear()  # a cookie, once sent, is all the server would check
        if response.text.strip() != "OK":
            raise MalformedResponse(
                BACKEND, "log in: the server did not confirm with OK", response.status_code
            )

    # -- the update fallback (servers before v0.107.33) ------------------------------------------

    def _add_then_delete(self, target: Rewrite, update: Rewrite) -> UpdateOutcome:
        """Add the new entry before deleting the old, so the name never goes without an answer."""
        old, new = _pair(target), _pair(update)
        if not any(_pair(r) == old for r in self.list_rewrites()):
            raise Conflict(BACKEND, f"update rewrite {target.domain} -> {target.answer}: {_CHANGED}", 400)
        if old == new:
            return UpdateOutcome(atomic=True, note="nothing to change: the update equals the entry")
        self.add_rewrite(update.domain, update.answer)
        try:
            self.delete_rewrite(target.domain, target.answer)
        except AdapterError as exc:
            raise type(exc)(BACKEND, _half_done(target, update, exc), exc.status) from exc
        return UpdateOutcome(
            atomic=False,
            note=f"AdGuard Home {self.version} has no PUT {UPDATE_PATH} (added in v0.107.33): added "
            f"{update.domain} -> {update.answer}, then deleted {target.domain} -> {target.answer} "
            "(not atomic; the entry moved to the end of the list)",
        )

    def _check_enabled_support(self, update: Rewrite) -> None:
        """Refuse to disable an entry on a server without `enabled`: it would silently stay on."""
        if (
            "enabled" in update.model_fields_set
            and not update.enabled
            and not _version_has_enabled(self.version)
        ):
            raise Unsupported(
                BACKEND, f"AdGuard Home {self.version} cannot disable a rewrite (needs v0.107.68 or newer)"
            )

    def _entry(self, rewrite: Rewrite) -> dict[str, Any]:
        entry: dict[str, Any] = _pair(rewrite)
        if "enabled" in rewrite.model_fields_set:
            entry["enabled"] = rewrite.enabled
        return entry

    # -- HTTP -------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, what: str, body: Any = None) -> httpx.Response:
        try:
            # httpx's json= sends `Content-Type: application/json` exactly, which the server demands.
            response = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise transport_error(BACKEND, exc) from exc
        log.debug("%s %s -> %s", method, path, response.status_code)
        if not response.is_success:
            self._raise_for(response, what)
        return response

    def _write(self, method: str, path: str, body: Any, what: str) -> None:
        """A write: the server confirms with 200 and an empty body (older handlers: `OK`)."""
        response = self._call(method, path, what, body)
        if response.text.strip() not in ("", "OK"):
            raise MalformedResponse(
                BACKEND,
                f"{what}: expected an empty answer, got {self._excerpt(response)}",
                response.status_code,
            )

    def _json(self, response: httpx.Response, what: str) -> Any:
        content_type = response.headers.get("Content-Type", "")
        if not content_type.startswith("application/json"):
            raise MalformedResponse(
                BACKEND,
                f"{what}: expected JSON, got {content_type or 'no content type'}: {self._excerpt(response)}",
                response.status_code,
            )
        try:
            return response.json()
        except ValueError:
            raise MalformedResponse(
                BACKEND, f"{what}: invalid JSON: {self._excerpt(response)}", response.status_code
            ) from None

    def _validated(self, adapter: TypeAdapter[Any], data: Any, what: str) -> Any:
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "(top)"
            raise MalformedResponse(
                BACKEND,
                f"{what}: not the promised shape ({exc.error_count()} problems; {where}: {first['msg']})",
            ) from None

    def _raise_for(self, response: httpx.Response, what: str) -> NoReturn:
        status, message = response.status_code, self._excerpt(response)
        if status == 401:
            raise AuthFailed(BACKEND, f"{what}: {_REFUSED_401}", status)
        if status == 403:
            raise AuthFailed(BACKEND, f"{what}: refused (403): {message}", status)
        if status == 429:
            retry = response.headers.get("Retry-After", "?")
            raise AuthFailed(
                BACKEND, f"{what}: too many failed logins, retry after {retry} s ({message})", status
            )
        if status == 400 and message == TARGET_NOT_FOUND:
            raise Conflict(BACKEND, f"{what}: {_CHANGED}", status)
        if status == 404:
            raise NotFound(BACKEND, f"{what}: not found (404): {message}", status)
        if status == 415:
            raise BadRequest(BACKEND, f"{what}: content type refused (415): {message}", status)
        if status >= 500:
            raise ServerError(BACKEND, f"{what}: server error ({status}): {message}", status)
        if 300 <= status < 400:
            location = response.headers.get("Location", "?")
            raise BadRequest(BACKEND, f"{what}: redirected ({status}) to {location}: use that URL", status)
        raise BadRequest(BACKEND, f"{what}: refused ({status}): {message}", status)

    def _excerpt(self, response: httpx.Response) -> str:
        """The start of a body for an error message, never with the password in it."""
        text = response.text.strip()
        if self._password:
            text = text.replace(self._password, MASK)
        return (text[:200] + "...") if len(text) > 200 else (text or "(empty body)")


_REFUSED_401 = (
    "credentials refused (401): wrong username or password, or this address is blocked "
    "after too many failed logins (try login() to tell which)"
)
_CHANGED = (
    f"{TARGET_NOT_FOUND}: the entry changed under us (someone else edited or removed it); "
    "read the rewrites again before retrying"
)


def _pair(rewrite: Rewrite) -> dict[str, Any]:
    """The identity the server matches on: the domain (stored lowercased) and the answer as stored."""
    return {"domain": rewrite.domain.lower(), "answer": rewrite.answer}


def _half_done(target: Rewrite, update: Rewrite, exc: AdapterError) -> str:
    reason = str(exc).removeprefix(f"{BACKEND}: ")
    return (
        f"half-done, both entries are present: added {update.domain} -> {update.answer} but could not "
        f"delete {target.domain} -> {target.answer}: {reason}"
    )
