"""Provides the Proxmox VE simulator's HTTP side: pveproxy's order of checks and its answer shapes.

The order copies pve-http-server and pve-manager's `PVE/HTTPServer.pm`: the API token first (401,
answered after a delay with an empty body), then the handler lookup (501), then routing to the
node named in the path (pveproxy forwards the call; an unknown node fails its hostname lookup with
500, an offline one with the proxy's 595), then the token's privileges (403), then parameter
verification (400), then the handler itself (500 with its `die` message). Every failure puts its
message in the reason phrase and answers `{"data":null,"message":"<msg>\\n"}`; JSON is compact with
sorted keys, as Perl's canonical encoder writes it.
"""

from __future__ import annotations

import hmac
import json
import re
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from cockpit.lab.httpserver import LabHandler
from cockpit.lab.proxmox_routes import Route, find_route, validate
from cockpit.lab.proxmox_world import ApiError

if TYPE_CHECKING:
    from cockpit.lab.proxmox import ProxmoxSim

BASE = "/api2/json"
JSON_TYPE = "application/json;charset=UTF-8"
TOKEN_HEADER = re.compile(r"PVEAPIToken=(?P<tokenid>[^=\s]+)=(?P<secret>\S+)")
NO_CACHE = {"Cache-Control": "max-age=0", "Pragma": "no-cache", "Expires": "Thu, 01 Jan 1970 00:00:00 GMT"}


def encode(payload: Any) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


class ProxmoxHandler(LabHandler):
    """One pveproxy connection; the simulator (token, delay, world) is `self.app`."""

    server_version = "pve-api-daemon/3.0"
    app: ProxmoxSim

    def version_string(self) -> str:
        return self.server_version  # pveproxy's Server header, without Python's version after it

    def fault_error(self) -> None:
        self.answer_error(ApiError(500, "injected fault"))

    def route(self) -> None:
        world = self.app.world
        if not world.local_online():  # the node whose API this is has gone: nothing answers
            self.abort()
            return
        path = self.decoded_path
        if path != BASE and not path.startswith(BASE + "/"):
            self.send(404, reason=f"no such file '{path}'", headers=NO_CACHE)
            return
        try:
            self._authenticate()
            route, path_params = find_route(self.command, path[len(BASE) :].rstrip("/") or "/")
            data = self._run(route, path_params)
        except ApiError as error:
            self.answer_error(error)
            return
        self.send(200, encode({"data": data}), JSON_TYPE, headers=NO_CACHE)

    def _run(self, route: Route, path_params: dict[str, str]) -> Any:
        world = self.app.world
        if "node" in path_params:
            path_params["node"] = world.route_node(path_params["node"])
        if route.privilege and world.read_only:
            target = f"/vms/{path_params.get('vmid', '')}"
            raise ApiError(403, f"Permission check failed ({target}, {route.privilege})")
        params = validate({**self._request_params(), **path_params}, route.params)
        return route.action(world, params)

    # -- auth ----------------------------------------------------------------------------------

    def _authenticate(self) -> None:
        """Accept only the simulator's token; any refusal is delayed, as pveproxy delays it."""
        header = self.headers.get("Authorization", "")
        if not header and "PVEAuthCookie" not in self.headers.get("Cookie", ""):
            self._refuse("No ticket")
        if not header:
            self._refuse("permission denied - invalid PVE ticket")
        match = TOKEN_HEADER.fullmatch(header.strip())
        if not match or not self._token_ok(match["tokenid"], match["secret"]):
            self._refuse("Authentication failed!")

    def _token_ok(self, token_id: str, secret: str) -> bool:
        id_ok = hmac.compare_digest(token_id.encode(), self.app.token_id.encode())
        return hmac.compare_digest(secret.encode(), self.app.token_secret.encode()) and id_ok

    def _refuse(self, reason: str) -> None:
        time.sleep(self.app.auth_failure_delay)
        raise ApiError(401, reason, body=False)

    # -- request and answer --------------------------------------------------------------------

    def _request_params(self) -> dict[str, Any]:
        """Query parameters, then a POST's body: form-encoded as proxmoxer sends it, or JSON."""
        params: dict[str, Any] = {k: v[0] for k, v in self.query.items()}
        body = self.body()
        if not body:
            return params
        if self.headers.get("Content-Type", "").startswith("application/json"):
            try:
                decoded = json.loads(body)
            except ValueError:
                raise ApiError(400, "malformed JSON body") from None
            if isinstance(decoded, dict):
                params.update(decoded)
            return params
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        params.update({k: v[0] for k, v in form.items()})
        return params

    def answer_error(self, error: ApiError) -> None:
        reason = error.message.splitlines()[0] if error.message else ""
        if not error.body:
            self.send(error.status, reason=reason, headers=NO_CACHE)
            return
        payload: dict[str, Any] = {"data": None, "message": error.message + "\n"}
        if error.errors:
            payload["errors"] = error.errors
        self.send(error.status, encode(payload), JSON_TYPE, reason=reason, headers=NO_CACHE)
