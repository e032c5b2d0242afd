"""Provides a Proxmox VE simulator: the API of a two-node PVE 9 cluster over HTTPS, as proxmoxer meets it.

What it copies (the specs README, section 3, and the API schema `apidata.js`):

- Transport: `https://HOST:PORT/api2/json`, a self-signed certificate made at start (as a fresh
  node has), `{"data": ...}` as `application/json;charset=UTF-8`, booleans as 1/0, form-encoded POSTs.
- Auth: only `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`; no credentials is 401
  `No ticket`, a wrong token 401 `Authentication failed!`, both with an empty body after
  `auth_failure_delay` seconds (3 on a real server).
- Errors in the reason phrase with `{"data":null,"message":"<msg>\\n"}`: 400 `Parameter
  verification failed.` with `errors`, 403 `Permission check failed (...)` (a read-only token),
  500 from a handler (`Configuration file 'nodes/N/qemu-server/999.conf' does not exist`,
  `CT 103 already running`), 501 `Method 'GET /x' not implemented`, and 595 `No route to host`
  when the node in the path is offline (pveproxy cannot forward the call).
- The world of `cockpit.lab.catalog`: nodes, guests, the cluster `homelab-v3`, each node's `rpool`.
  Start, shutdown and snapshot fork tasks whose UPIDs follow PVE's format; each runs `task_seconds`.

Not simulated: tickets and /access, the rest of the API (501), HA, migration, task logs and lists,
pveproxy's own rate limits. The parts: proxmox_world (the cluster's state, quorum, tasks),
proxmox_payloads and proxmox_zfs (the answers' JSON), proxmox_routes (paths and parameter checks),
proxmox_api (pveproxy's order of checks and its error shapes).
"""

from __future__ import annotations

import ipaddress
import ssl
import sys
from pathlib import Path
from typing import Any

from cockpit.lab import catalog
from cockpit.lab.faults import Faults
from cockpit.lab.httpserver import LabHTTPServer
from cockpit.lab.proxmox_api import ProxmoxHandler
from cockpit.lab.proxmox_world import ProxmoxWorld
from cockpit.lab.tls import LabCertificate, make_certificate

BACKEND = "proxmox"
DEFAULT_TOKEN_SECRET = "5f0c2d8e-3b1a-4c7e-9a62-0d9b8e4f7a13"  # the lab's own; a UUID like PVE's
DEFAULT_VERSION = "9.0.3"


class _PveServer(LabHTTPServer):
    """The lab's server, quiet about clients that refuse its certificate (tests do that on purpose)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ssl.SSLError | ConnectionError):
            return
        super().handle_error(request, client_address)


def _local_node(host: str) -> str:
    """The node whose API listens on `host` (the first node when the host is none of theirs)."""
    return next((n.name for n in catalog.NODES if n.address == host), catalog.NODES[0].name)


class ProxmoxSim:
    """One Proxmox VE API endpoint (backend "proxmox" in the fault switchboard) and its cluster."""

    def __init__(
        self,
        faults: Faults,
        *,
        directory: Path,
        host: str = "127.10.0.11",
        token_id: str = catalog.PROXMOX_TOKEN_ID,
        token_secret: str = DEFAULT_TOKEN_SECRET,
        api_port: int = 0,
        task_seconds: float = 0.2,
        auth_failure_delay: float = 3.0,
        version: str = DEFAULT_VERSION,
        qdevice: bool = False,
    ) -> None:
        self.faults = faults
        self.directory = directory
        self.host = host
        self.token_id = token_id
        self.token_secret = token_secret
        self.auth_failure_delay = auth_failure_delay  # a plain attribute: a test may shorten or lengthen it
        self._api_port = api_port
        user = token_id  # a task's user is the full token id (`USER@REALM!TOKENID`)
        self.world = ProxmoxWorld(
            local=_local_node(host), user=user, version=version, task_seconds=task_seconds, qdevice=qdevice
        )
        self._http: LabHTTPServer | None = None
        self._cert: LabCertificate | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._cert = self._make_certificate()
        self.world.fingerprint = self._cert.fingerprint
        self._http = _PveServer(
            (self.host, self._api_port),
            ProxmoxHandler,
            self.faults,
            backend=BACKEND,
            tls=self._cert.server_context(),
            app=self,
        )
        self._http.start()

    def _make_certificate(self) -> LabCertificate:
        """A fresh node's self-signed certificate, for the address (or name) the API is reached at."""
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return make_certificate(self.directory, "pve-ssl", [], [self.host])
        return make_certificate(self.directory, "pve-ssl", [self.host])

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
            self._http = None

    def __enter__(self) -> ProxmoxSim:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- where it is --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._http is not None, "start() the simulator first"
        return self._http.port

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def fingerprint(self) -> str:
        """The certificate's SHA-256, colon-separated, as the node's Certificates panel shows it."""
        assert self._cert is not None, "start() the simulator first"
        return self._cert.fingerprint

    @property
    def cert_file(self) -> Path:
        assert self._cert is not None, "start() the simulator first"
        return self._cert.cert_file

    # -- state (thread-safe; for tests, the demo and faults) ----------------------------------

    def degrade_mirror(self, node: str) -> None:
        """One disk of the node's rpool mirror goes UNAVAIL; the pool turns DEGRADED."""
        self.world.degrade_mirror(node)

    def set_node_online(self, node: str, online: bool) -> None:
        """Power a node off or on; with two nodes and no QDevice, either one down loses quorum."""
        self.world.set_node_online(node, online)

    def set_clock_offset(self, node: str, seconds: float) -> None:
        """Make a node's clock run ahead (or behind) by `seconds`, for the doctor's clock check."""
        self.world.set_clock_offset(node, seconds)

    def set_read_only(self, read_only: bool = True) -> None:
        """Give the token PVEAuditor rights only: power and snapshot calls answer 403."""
        self.world.set_read_only(read_only)

    def reset(self) -> None:
        """Back to the lab's starting point (nodes, guests, pools, tasks), so one simulator serves many tests."""
        self.world.reset()
