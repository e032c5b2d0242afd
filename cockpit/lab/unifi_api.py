"""Provides the UniFi simulator's HTTP side: UniFi OS login, the classic, v2 and Integration APIs.

The wire details each answer copies are listed in `cockpit.lab.unifi`'s docstring; this module is the
request handler and the console's fixed answers (its login page, nginx's error pages, `stat/sysinfo`).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import re
import socket
import ssl
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any

from cockpit.lab import unifi_render
from cockpit.lab.httpserver import LabHandler
from cockpit.lab.unifi_state import SITE_ID, Snapshot

if TYPE_CHECKING:
    from cockpit.lab.unifi import UnifiSim

UNIFI_OS_VERSION = "4.1.13"
NETWORK_VERSION = "9.0.114"
SITE_NAME = "default"
INTEGRATION_SITE_ID = unifi_render.integration_id(SITE_ID)
JSON = "application/json; charset=utf-8"

LOGIN_PAGE = (
    b'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>UniFi OS</title></head>'
    b'<body><div id="root"></div></body></html>'
)
BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    b"</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
NOT_FOUND = (
    b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1>"
    b"</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def compact(payload: Any) -> bytes:
    """JSON as the console writes it (Jackson and Node): no spaces, no trailing newline."""
    return json.dumps(payload, separators=(",", ":")).encode()


def _integration_page(items: list[dict[str, Any]], offset: int, limit: int) -> dict[str, Any]:
    page = items[offset : offset + limit]
    return {"offset": offset, "limit": limit, "count": len(page), "totalCount": len(items), "data": page}


CLASSIC_READS: dict[str, Callable[[Snapshot], list[dict[str, Any]]]] = {
    "rest/networkconf": unifi_render.networkconf,
    "rest/firewallrule": unifi_render.firewall_rules,
    "rest/firewallgroup": unifi_render.firewall_groups,
}
V2_READS: dict[str, Callable[[Snapshot], list[dict[str, Any]]]] = {
    "firewall-policies": unifi_render.policies,
    "firewall/zone": unifi_render.zones,
}


def sysinfo() -> dict[str, Any]:
    """`stat/sysinfo`: where the Network application says its version (and the console its own)."""
    return {
        "version": NETWORK_VERSION,
        "console_display_version": NETWORK_VERSION,
        "previous_version": "8.6.9",
        "build": "atag_9.0.114_26125",
        "udm_version": UNIFI_OS_VERSION,
        "ubnt_device_type": "UDMSE",
        "hostname": "udm-se",
        "name": "udm-se",
        "timezone": "Etc/UTC",
        "https_port": 443,
        "inform_port": 8080,
        "is_cloud_console": False,
        "update_available": False,
    }


class UnifiHandler(LabHandler):
    """Routes one request to UniFi OS's login, the classic, v2 or Integration API."""

    server_version = "nginx"

    @property
    def sim(self) -> UnifiSim:
        return self.app

    def setup(self) -> None:
        """Turn Nagle off: headers and body go out apart, and a delayed ACK would hold each answer ~40 ms."""
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        """A client that refuses the certificate, or hangs up, ends its connection: nothing to report."""
        with contextlib.suppress(ssl.SSLError, ConnectionError):
            super().handle()

    def fault_error(self) -> None:
        self.send(502, BAD_GATEWAY, "text/html")

    def answer(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send(status, compact(payload), JSON, headers=headers)

    def route(self) -> None:
        path = self.url_path
        if path == "/" and self.command == "GET":
            self.send(200, LOGIN_PAGE, "text/html")
        elif path == "/api/auth/login" and self.command == "POST":
            self.login()
        elif path == "/api/auth/logout" and self.command == "POST":
            self.sim.logout(self.token())
            self.answer(200, {})
        elif path.startswith("/proxy/network/integration/"):
            self.integration(path.removeprefix("/proxy/network/integration"))
        elif path.startswith("/proxy/network/v2/api/site/"):
            self.v2(path.removeprefix("/proxy/network/v2/api/site/"))
        elif path.startswith("/proxy/network/api/"):
            self.classic(path.removeprefix("/proxy/network/api/"))
        else:
            self.send(404, NOT_FOUND, "text/html")

    # -- UniFi OS login -------------------------------------------------------------------------

    def token(self) -> str | None:
        cookie = SimpleCookie()
        with contextlib.suppress(CookieError):
            cookie.load(self.headers.get("Cookie") or "")
        morsel = cookie.get("TOKEN")
        return morsel.value if morsel is not None else None

    def login(self) -> None:
        try:
            body = self.json_body()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        remember = bool(body.get("rememberMe") or body.get("remember"))
        status, payload = self.sim.login(
            self.client_address[0], body.get("username"), body.get("password"), remember
        )
        if status != 200:
            self.answer(status, payload)
            return
        token, csrf = payload.pop("_session")
        cookie = f"TOKEN={token}; path=/; samesite=none; secure; httponly"
        self.answer(200, payload, headers={"Set-Cookie": cookie, "X-CSRF-Token": csrf})

    # -- the classic API ------------------------------------------------------------------------

    def envelope_error(self, status: int, msg: str) -> None:
        self.answer(status, {"meta": {"rc": "error", "msg": msg}, "data": []})

    def classic(self, rest: str) -> None:
        if not self.sim.session_valid(self.token()):
            self.envelope_error(401, "api.err.LoginRequired")
            return
        if not self.sim.network_access:
            self.envelope_error(403, "api.err.NoPermission")
            return
        if rest == "self/sites":
            record = {
                "_id": SITE_ID,
                "name": SITE_NAME,
                "desc": "Default",
                "role": "readonly",
                "attr_hidden_id": "default",
            }
            self.answer(200, {"meta": {"rc": "ok"}, "data": [record]})
            return
        match = re.fullmatch(r"s/([^/]+)/(.+)", rest)
        if match is None:
            self.envelope_error(404, "api.err.NotFound")
            return
        site, endpoint = match.groups()
        if site != SITE_NAME:
            self.envelope_error(400, "api.err.NoSiteContext")
        elif self.command != "GET":
            self.envelope_error(403, "api.err.NoPermission")  # the account is View Only
        elif endpoint == "stat/sysinfo":
            self.answer(200, {"meta": {"rc": "ok"}, "data": [sysinfo()]})
        elif endpoint in CLASSIC_READS:
            data = CLASSIC_READS[endpoint](self.sim.state.snapshot())
            self.answer(200, {"meta": {"rc": "ok"}, "data": data})
        else:
            self.envelope_error(404, "api.err.NotFound")

    # -- the v2 API -----------------------------------------------------------------------------

    def v2_error(self, status: int, message: str) -> None:
        self.answer(status, {"errorCode": status, "message": message})

    def v2(self, rest: str) -> None:
        if not self.sim.session_valid(self.token()):
            self.v2_error(401, "api.err.LoginRequired")
            return
        if not self.sim.network_access:
            self.v2_error(403, "api.err.NoPermission")
            return
        site, _, endpoint = rest.partition("/")
        if site != SITE_NAME:
            self.v2_error(400, "api.err.NoSiteContext")
        elif self.command != "GET":
            self.v2_error(403, "api.err.NoPermission")
        elif endpoint in V2_READS:
            self.answer(200, V2_READS[endpoint](self.sim.state.snapshot()))
        else:
            self.v2_error(404, "api.err.NotFound")

    # -- the Integration API --------------------------------------------------------------------

    def integration_error(self, status: int, name: str, code: str, message: str) -> None:
        payload = {
            "statusCode": status,
            "statusName": name,
            "code": code,
            "message": message,
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "requestPath": self.url_path.removeprefix("/proxy/network"),
            "requestId": str(uuid.uuid4()),
        }
        self.answer(status, payload)

    def page_bounds(self) -> tuple[int, int] | None:
        try:
            offset = int(self.query.get("offset", ["0"])[0])
            limit = int(self.query.get("limit", ["25"])[0])
        except ValueError:
            return None
        return (offset, limit) if offset >= 0 and 0 <= limit <= 200 else None

    def integration(self, rest: str) -> None:
        key = self.headers.get("X-API-KEY")
        if not key or not hmac.compare_digest(key, self.sim.api_key):
            code, message = (
                ("api.authentication.missing-credentials", "Missing credentials")
                if not key
                else ("api.authentication.invalid-credentials", "Invalid API key")
            )
            self.integration_error(401, "UNAUTHORIZED", code, message)
            return
        bounds = self.page_bounds()
        if self.command != "GET":
            self.integration_error(
                405, "METHOD_NOT_ALLOWED", "api.request.method-not-allowed", "Method not allowed"
            )
        elif bounds is None:
            self.integration_error(
                400, "BAD_REQUEST", "api.request.invalid-parameter", "Invalid paging parameters"
            )
        elif rest == "/v1/info":
            self.answer(200, {"applicationVersion": NETWORK_VERSION})
        elif rest == "/v1/sites":
            site = {"id": INTEGRATION_SITE_ID, "internalReference": SITE_NAME, "name": "Default"}
            self.answer(200, _integration_page([site], *bounds))
        elif rest == f"/v1/sites/{INTEGRATION_SITE_ID}/networks":
            networks = unifi_render.integration_networks(self.sim.state.snapshot())
            self.answer(200, _integration_page(networks, *bounds))
        else:
            self.integration_error(404, "NOT_FOUND", "api.request.not-found", f"No resource at {rest}")
