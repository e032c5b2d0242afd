"""Provides the Pi-hole v6 adapter: local DNS records (`dns.hosts`) through FTL's /api.

One client holds one API session. Pi-hole has few seats (`webserver.api.max_sessions`, 16 by
default) and a seat stays taken until logout or timeout (30 min), so the session is opened
lazily, reused for every call, renewed once when the server says it expired (401), and always
given back with `DELETE /api/auth` when the client closes, also while an exception unwinds.

Pi-hole v5 (`/admin/api.php`) has reached its end of life; a v5 box is recognised and refused
with `Unsupported` rather than half-driven through a legacy API.
"""

from __future__ import annotations

import ipaddress
import logging
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict

from cockpit.adapters import httpbase
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
from cockpit.secrets import REDACTOR

BACKEND = "pihole"
HOSTS_PATH = "/api/config/dns/hosts"
log = logging.getLogger(__name__)


class HostRecord(BaseModel):
    """One item of `dns.hosts`: an address and the names it answers for."""

    model_config = ConfigDict(frozen=True)

    ip: str
    names: tuple[str, ...]

    @property
    def item(self) -> str:
        """The item as Pi-hole stores it ("IP NAME [NAME...]")."""
        return " ".join((self.ip, *self.names))


def parse_host_item(item: Any) -> HostRecord:
    """Parse one "IP HOST [HOST...]" string (a '#' token starts a comment); ValueError if malformed."""
    if not isinstance(item, str):
        raise ValueError(f"a dns.hosts item is not a string: {item!r}")
    tokens = item.replace("\t", " ").split()
    names = []
    for token in tokens[1:]:
        if token.startswith("#"):
            break
        names.append(token)
    if not tokens or not names:
        raise ValueError(f"a dns.hosts item has no address and hostname: {item!r}")
    try:
        ipaddress.ip_address(tokens[0])
    except ValueError:
        raise ValueError(f"a dns.hosts item does not start with an IP address: {item!r}") from None
    return HostRecord(ip=tokens[0], names=tuple(names))


def normalise_name(name: str) -> str:
    """Lowercase and without the final dot: FTL refuses uppercase and a trailing dot in dns.hosts."""
    return name.strip().rstrip(".").lower()


def api_root(base_url: str) -> str:
    """The server's root URL, accepting what operators paste ("http://pi.hole/admin/", ".../api")."""
    root = base_url.strip().rstrip("/")
    for suffix in ("/admin", "/api"):
        if root.endswith(suffix):
            root = root[: -len(suffix)]
    return root


def _envelope(response: httpx.Response) -> tuple[str, str, str | None]:
    """The (key, message, hint) of FTL's error envelope; empty key when the body is not one."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return "", "", None
    if not isinstance(error, dict):
        return "", "", None
    hint = error.get("hint")
    return (
        str(error.get("key") or ""),
        str(error.get("message") or ""),
        hint if isinstance(hint, str) else None,
    )


def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    """The body as a JSON object carrying FTL's "took", or MalformedResponse."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "took" not in body:
        raise MalformedResponse(BACKEND, f"{what}: HTTP {response.status_code} without FTL's JSON body")
    return body


class PiholeClient:
    """A synchronous Pi-hole v6 client; use it as a context manager so its session is given back."""

    def __init__(
        self,
        base_url: str,
        password: str,
        *,
        timeout: float = 5.0,
        verify: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        REDACTOR.add(password)
        self._password = password
        self._http = httpbase.client(
            api_root(base_url), "the Pi-hole adapter", timeout=timeout, verify=verify, transport=transport
        )
        self._sid: str | None = None  # None: no session yet; "": the Pi-hole has no password

    def __enter__(self) -> PiholeClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- the operations -------------------------------------------------------------------------

    def version(self) -> str:
        """The Pi-hole (core) version, e.g. "v6.4.1"; raises Unsupported for a Pi-hole v5."""
        body = self._call("GET", "/api/info/version", "reading the version", ok=(200,))
        try:
            versions = body["version"]
            found = versions["core"]["local"]["version"] or versions["ftl"]["local"]["version"]
        except (KeyError, TypeError):
            found = None
        if not isinstance(found, str) or not found:
            raise MalformedResponse(
                BACKEND, "reading the version: no version.core.local.version in the answer"
            )
        return found

    def list_hosts(self) -> list[HostRecord]:
        """Every local DNS record (`dns.hosts`), in the Pi-hole's order."""
        body = self._call("GET", HOSTS_PATH, "listing host records", ok=(200,), params={"detailed": "false"})
        return self._hosts_of(body, "listing host records")

    def add_host(self, ip: str, name: str) -> HostRecord:
        """Add "IP NAME"; Conflict when that exact item exists (the same name with another IP is fine)."""
        record = HostRecord(ip=ip.strip(), names=(normalise_name(name),))
        self._call("PUT", self._item_path(record), f"adding host record '{record.item}'", ok=(201,))
        return record

    def add_record(self, record: HostRecord) -> HostRecord:
        """Add one item as given (it may carry several names); Conflict when it exists already."""
        self._call("PUT", self._item_path(record), f"adding host record '{record.item}'", ok=(201,))
        return record

    def remove_host(self, ip: str, name: str) -> None:
        """Remove the item "IP NAME"; NotFound when the Pi-hole has no such item."""
        self.remove_record(HostRecord(ip=ip.strip(), names=(normalise_name(name),)))

    def remove_record(self, record: HostRecord) -> None:
        """Remove one item exactly as listed (it may carry several names)."""
        self._call("DELETE", self._item_path(record), f"removing host record '{record.item}'", ok=(204,))

    def replace_hosts(self, records: list[HostRecord]) -> list[HostRecord]:
        """Replace the whole array in one PATCH: the atomic way to change an IP (DELETE+PUT is not)."""
        payload = {"config": {"dns": {"hosts": [r.item for r in records]}}}
        body = self._call("PATCH", "/api/config", "replacing host records", ok=(200,), json=payload)
        return self._hosts_of(body, "replacing host records")

    def close(self) -> None:
        """Give the session's seat back (best effort: a failure is logged, the seat times out)."""
        try:
            if self._sid:
                self._logout()
        except AdapterError as exc:
            log.warning("pihole: could not close the API session (%s); it expires on its own", exc)
        finally:
            self._sid = None
            self._http.close()

    # -- requests -------------------------------------------------------------------------------

    @staticmethod
    def _item_path(record: HostRecord) -> str:
        """The item as ONE percent-encoded path segment (space as %20, '/' as %2F)."""
        return f"{HOSTS_PATH}/{quote(record.item, safe='')}"

    def _hosts_of(self, body: dict[str, Any], what: str) -> list[HostRecord]:
        try:
            items = body["config"]["dns"]["hosts"]
        except (KeyError, TypeError):
            items = None
        if not isinstance(items, list):
            raise MalformedResponse(BACKEND, f"{what}: no config.dns.hosts array in the answer")
        try:
            return [parse_host_item(item) for item in items]
        except ValueError as exc:
            raise MalformedResponse(BACKEND, f"{what}: {exc}") from None

    def _call(self, method: str, path: str, what: str, *, ok: tuple[int, ...], **kw: Any) -> dict[str, Any]:
        """One authenticated call: log in if needed, renew once on 401, map every failure."""
        fresh = self._sid is None
        if fresh:
            self._login()
        response = self._send(method, path, **kw)
        if response.status_code == 401 and not fresh:
            log.info("pihole: the API session expired; logging in again")
            self._sid = None
            self._login()
            response = self._send(method, path, **kw)
        if response.status_code not in ok:
            raise self._error(response, what)
        if response.status_code == 204:
            return {}
        return _json_object(response, what)

    def _send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"X-FTL-SID": self._sid} if self._sid else {}
        try:
            return self._http.request(method, path, headers=headers, **kw)
        except httpx.HTTPError as exc:
            raise httpbase.transport_error(BACKEND, exc) from None

    def _error(self, response: httpx.Response, what: str) -> AdapterError:
        """Turn a non-success answer into the project's error, with FTL's message and hint."""
        status = response.status_code
        key, message, hint = _envelope(response)
        detail = f"{message} ({hint})" if message and hint else message or f"HTTP {status}"
        if status == 400 and message == "Item already present":
            return Conflict(BACKEND, f"{what}: {detail}", status)
        if status == 400:
            return BadRequest(BACKEND, f"{what}: {detail}", status)
        if status in (401, 403):
            return AuthFailed(BACKEND, f"{what}: the API session was refused ({detail})", status)
        if status == 404:
            return NotFound(BACKEND, f"{what}: not found on the Pi-hole ({detail})", status)
        if status == 429:
            return self._too_many(key, detail, status)
        if status >= 500:
            return ServerError(BACKEND, f"{what}: the Pi-hole failed ({detail})", status)
        return MalformedResponse(BACKEND, f"{what}: unexpected HTTP {status} ({detail})", status)

    @staticmethod
    def _too_many(key: str, detail: str, status: int) -> AuthFailed:
        if key == "api_seats_exceeded":
            return AuthFailed(
                BACKEND,
                "no free API seat: every session of webserver.api.max_sessions is taken "
                f"(close other clients' sessions or raise the limit; {detail})",
                status,
            )
        return AuthFailed(BACKEND, f"logging in: refused for now ({detail})", status)

    # -- the session ----------------------------------------------------------------------------

    def _login(self) -> None:
        """POST /api/auth and keep the SID (never logged, registered with the redactor)."""
        response = self._send("POST", "/api/auth", json={"password": self._password})
        self._http.cookies.clear()  # the SID travels in X-FTL-SID only, never in a stored cookie
        if response.status_code == 404:
            raise self._not_v6()
        if response.status_code == 401:
            raise AuthFailed(BACKEND, "logging in: the Pi-hole rejected the password", 401)
        if response.status_code != 200:
            raise self._error(response, "logging in")
        session = _json_object(response, "logging in").get("session")
        if not isinstance(session, dict) or session.get("valid") is not True:
            raise MalformedResponse(BACKEND, "logging in: HTTP 200 without a valid session object")
        sid = session.get("sid")
        if sid is not None and (not isinstance(sid, str) or not sid):
            raise MalformedResponse(BACKEND, "logging in: the session has no usable SID")
        REDACTOR.add(sid or "")
        self._sid = sid or ""  # sid null: the Pi-hole has no password, every call works without one
        log.debug("pihole: API session opened")

    def _logout(self) -> None:
        response = self._send("DELETE", "/api/auth")
        self._http.cookies.clear()
        if response.status_code in (204, 401, 404):  # 401/404: the session had already gone
            log.debug("pihole: API session closed")
            return
        raise self._error(response, "closing the API session")

    def _not_v6(self) -> AdapterError:
        """No /api/auth: a Pi-hole v5 (refused, end of life) or not a Pi-hole at all."""
        try:
            response = self._http.get("/admin/api.php", params={"version": ""})
            legacy = response.json().get("version") if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError):
            legacy = None
        if legacy == 3:
            return Unsupported(
                BACKEND,
                "this is a Pi-hole v5 (legacy /admin/api.php, API version 3). Pi-hole v5 has reached its "
                "end of life and cockpit needs Pi-hole v6 (the /api REST API): upgrade it to v6 first",
                404,
            )
        return MalformedResponse(BACKEND, "no Pi-hole v6 API here: POST /api/auth answered 404", 404)
