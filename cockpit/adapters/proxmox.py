"""Provides the Proxmox VE adapter: the cluster, its guests and boot pools, read through proxmoxer.

proxmoxer does the HTTP (an API token, never a ticket: token calls need no CSRF token and cannot
expire mid-run). Around it this module adds what cockpit promises for every backend:

- TLS verified by default. A node's certificate is self-signed, so the operator gives either the
  cluster CA (`tls.ca_file`) or the certificate's SHA-256 (`tls.fingerprint`): a pinned
  certificate is checked by urllib3's `assert_fingerprint` and nothing else (no CA, no hostname),
  because the pin already names the one certificate to accept. `insecure` only when asked.
- The loopback guard before anything is built, and again on every request (a redirect included).
- Typed errors: proxmoxer's ResourceException (the reason phrase is PVE's message) and requests'
  failures become cockpit.adapters.errors; answers are pydantic models or MalformedResponse.
- Silence: proxmoxer logs each request's body at INFO and each answer at DEBUG; its loggers are
  held at WARNING so nothing of a call is ever printed. The token secret is registered with the
  redactor and never put in a message.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import requests
from proxmoxer import ProxmoxAPI, ResourceException
from pydantic import BaseModel, ValidationError
from requests.adapters import HTTPAdapter

from cockpit import netguard
from cockpit.adapters.errors import (
    AdapterError,
    AuthFailed,
    BadRequest,
    Conflict,
    MalformedResponse,
    NotFound,
    ServerError,
    Timeout,
    Unreachable,
    Unsupported,
)
from cockpit.adapters.proxmox_models import (
    ApiModel,
    ClusterMember,
    ClusterStatus,
    Disk,
    Guest,
    Memory,
    Node,
    NodeStatus,
    NodeTime,
    Snapshot,
    Storage,
    TaskResult,
    Vdev,
    Version,
    ZfsPool,
    ZfsPoolSummary,
    parse_cluster,
    parse_zpool,
)
from cockpit.secrets import REDACTOR

BACKEND = "proxmox"
WHAT = "the Proxmox VE adapter"
DEFAULT_PORT = 8006
PROXMOXER_LOGGERS = ("proxmoxer", "proxmoxer.core", "proxmoxer.backends.https")
log = logging.getLogger(__name__)


class TlsError(AdapterError):
    """The server's certificate was refused: not trusted, not the pinned one, or no TLS at all."""


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], data: Any, what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the answer"
        raise MalformedResponse(BACKEND, f"{what}: unexpected answer ({where}: {first['msg']})") from None


def _parse_list(model: type[M], data: Any, what: str) -> list[M]:
    if not isinstance(data, list):
        raise MalformedResponse(BACKEND, f"{what}: expected a list, got {type(data).__name__}")
    return [_parse(model, item, what) for item in data]


# -- transport ---------------------------------------------------------------------------------


class _DropCallDetails(logging.Filter):
    """Drop proxmoxer's INFO and DEBUG records (request bodies, answers) even if its level is lowered."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


_QUIET = _DropCallDetails()


def silence_proxmoxer() -> None:
    for name in PROXMOXER_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        if _QUIET not in logger.filters:
            logger.addFilter(_QUIET)


class GuardedAdapter(HTTPAdapter):
    """requests' adapter with the loopback guard on every request and, when pinned, urllib3's fingerprint check."""

    def __init__(self, pin: str | None = None) -> None:
        self._pin = pin  # set before HTTPAdapter.__init__, which builds the pool manager
        super().__init__()

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        if self._pin:
            pool_kwargs["assert_fingerprint"] = self._pin
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        netguard.check_url(request.url or "", WHAT)
        return super().send(request, *args, **kwargs)


def _pin(fingerprint: str | None) -> str | None:
    if fingerprint is None:
        return None
    pin = fingerprint.replace(":", "").strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", pin):
        raise AdapterError(BACKEND, "tls.fingerprint must be a SHA-256: 64 hex digits, colons allowed")
    return pin


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost error under requests' and urllib3's wrappers (a reset, a refused connection)."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nested = [a for a in exc.args if isinstance(a, BaseException)]
        inner = (
            getattr(exc, "reason", None) if isinstance(getattr(exc, "reason", None), BaseException) else None
        )
        following = inner or (nested[-1] if nested else None) or exc.__cause__
        if following is None:
            break
        exc = following
    return exc


def _errors_text(errors: Any) -> str:
    if isinstance(errors, dict) and all(isinstance(v, str) for v in errors.values()):
        return "; ".join(f"{key}: {why}" for key, why in sorted(errors.items()))
    return ""


def resource_error(exc: ResourceException, what: str) -> AdapterError:
    """PVE's answer as the project's error; its message is the reason phrase proxmoxer keeps in `content`."""
    status = int(exc.status_code)
    reason = str(exc.content or exc.status_message or f"HTTP {status}").strip()
    detail = reason + (f" ({errors})" if (errors := _errors_text(exc.errors)) else "")
    if status == 401:
        return AuthFailed(
            BACKEND, f"{what}: the API token was refused ({reason}); check token_id and its secret", 401
        )
    if status == 403:
        return AuthFailed(BACKEND, f"{what}: the API token lacks a privilege ({reason})", 403)
    if status == 400:
        return BadRequest(BACKEND, f"{what}: {detail}", 400)
    if status == 404 or (status == 500 and "does not exist" in reason):
        return NotFound(BACKEND, f"{what}: {reason}", status)
    if status == 500 and reason.startswith("hostname lookup"):  # pveproxy knows no node of that name
        return NotFound(BACKEND, f"{what}: no such node in the cluster ({reason})", status)
    if status == 500 and re.search(r"\b(already running|not running)$", reason):
        return Conflict(BACKEND, f"{what}: {reason}", status)
    if status == 501:
        return Unsupported(BACKEND, f"{what}: this Proxmox VE does not implement it ({reason})", 501)
    if status in (595, 596, 597, 598, 599):  # pveproxy could not reach the node the call is for
        return Unreachable(
            BACKEND, f"{what}: the cluster could not forward the call to the node ({reason})", status
        )
    if status >= 500:
        return ServerError(BACKEND, f"{what}: Proxmox VE failed ({detail})", status)
    return MalformedResponse(BACKEND, f"{what}: unexpected HTTP {status} ({detail})", status)


# -- the client --------------------------------------------------------------------------------


class ProxmoxClient:
    """A synchronous client of one Proxmox VE API endpoint, authenticated with an API token.

    Every call blocks (run it in a worker or `asyncio.to_thread`); close the client when done.
    """

    def __init__(
        self,
        api_url: str,
        token_id: str,
        token_secret: str,
        *,
        ca_file: Path | str | None = None,
        fingerprint: str | None = None,
        insecure: bool = False,
        timeout: float = 10.0,
        poll_interval: float = 0.25,
        task_timeout: float = 120.0,
    ) -> None:
        parts = urlsplit(api_url)
        host = parts.hostname or ""
        netguard.check_host(host, WHAT)  # before anything is built, let alone connected
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            port = 0
        if parts.scheme != "https" or not host or not port:
            raise AdapterError(BACKEND, f"api_url must be https://HOST[:PORT], not '{api_url}'")
        user, sep, token_name = token_id.partition("!")
        if not sep or "@" not in user or not token_name:
            raise AdapterError(BACKEND, f"token_id must read USER@REALM!TOKENID, not '{token_id}'")
        if insecure and (ca_file or fingerprint):
            raise AdapterError(
                BACKEND, "insecure turns verification off; it cannot go with a CA file or a fingerprint"
            )
        REDACTOR.add(token_secret)
        silence_proxmoxer()
        address = f"[{host}]" if ":" in host else host
        self.url = f"https://{address}:{port}"  # never netloc: it could carry user:password@
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.task_timeout = task_timeout
        self._ca_file = str(ca_file) if ca_file else None
        self._pin = _pin(fingerprint)
        self._insecure = insecure
        verify: bool | str = False if (insecure or self._pin) else (self._ca_file or True)
        if insecure:
            log.warning("proxmox: TLS verification is off for %s (tls.insecure = true)", self.url)
        prefix = parts.path.rstrip("/").removesuffix("/api2/json").strip("/") or None
        self._api = ProxmoxAPI(
            address,
            port=port,
            user=user,
            token_name=token_name,
            token_value=token_secret,
            verify_ssl=verify,
            timeout=timeout,
            path_prefix=prefix,
        )
        session: requests.Session = self._api._store["session"]  # proxmoxer's session: no public handle
        session.trust_env = False  # no proxy and no REQUESTS_CA_BUNDLE from the environment
        session.mount("https://", GuardedAdapter(self._pin))
        self._session = session

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> ProxmoxClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- transport ----------------------------------------------------------------------------

    def _call(self, method: Literal["GET", "POST"], path: str, **params: Any) -> Any:
        """One API call; proxmoxer returns `data` unwrapped, every failure becomes an AdapterError."""
        what = f"{method} {path}"
        resource = self._api(path.strip("/"))
        try:
            return resource.get(**params) if method == "GET" else resource.post(**params)
        except ResourceException as exc:
            raise resource_error(exc, what) from None
        except requests.exceptions.SSLError as exc:
            raise self._tls_error(exc, what) from None
        except requests.exceptions.Timeout:
            raise Timeout(BACKEND, f"{what}: no answer from {self.url} within {self.timeout:g} s") from None
        except requests.exceptions.RequestException as exc:
            raise Unreachable(BACKEND, f"{what}: cannot reach {self.url} ({_root_cause(exc)})") from None
        except (KeyError, TypeError, ValueError):  # a 2xx body that is not {"data": ...} JSON
            raise MalformedResponse(BACKEND, f"{what}: the answer is not Proxmox VE's JSON") from None

    def _tls_error(self, exc: requests.exceptions.SSLError, what: str) -> TlsError:
        cause = _root_cause(exc)
        if "wrong version number" in str(cause).lower():
            return TlsError(
                BACKEND, f"{what}: {self.url} does not answer in TLS (is it plain http?) ({cause})"
            )
        if self._pin:
            return TlsError(
                BACKEND,
                f"{what}: {self.url} presented a certificate that does not match tls.fingerprint ({cause}); "
                "if the node's certificate was renewed, read the new SHA-256 on the node and update the pin",
            )
        if self._ca_file:
            return TlsError(
                BACKEND, f"{what}: {self.url}'s certificate is not signed by {self._ca_file} ({cause})"
            )
        return TlsError(
            BACKEND,
            f"{what}: {self.url}'s certificate is not trusted ({cause}); a Proxmox VE node's certificate is "
            "self-signed: set tls.ca_file to the cluster CA (/etc/pve/pve-root-ca.pem) or tls.fingerprint "
            "to the certificate's SHA-256 (the node's System > Certificates panel)",
        )

    def _data(self, method: Literal["GET", "POST"], path: str, kind: type, **params: Any) -> Any:
        data = self._call(method, path, **params)
        if not isinstance(data, kind):
            raise MalformedResponse(
                BACKEND, f"{method} {path}: expected {kind.__name__}, got {type(data).__name__}"
            )
        return data

    # -- cluster and nodes --------------------------------------------------------------------

    def version(self) -> Version:
        return _parse(Version, self._call("GET", "/version"), "GET /version")

    def nodes(self) -> list[Node]:
        return _parse_list(Node, self._call("GET", "/nodes"), "GET /nodes")

    def node_status(self, node: str) -> NodeStatus:
        path = f"/nodes/{node}/status"
        return _parse(NodeStatus, self._call("GET", path), f"GET {path}")

    def node_time(self, node: str) -> NodeTime:
        path = f"/nodes/{node}/time"
        return _parse(NodeTime, self._call("GET", path), f"GET {path}")

    def cluster_status(self) -> ClusterStatus:
        entries = self._data("GET", "/cluster/status", list)
        try:
            return parse_cluster(entries)
        except (KeyError, TypeError, ValueError, AttributeError, ValidationError) as exc:
            raise MalformedResponse(BACKEND, f"GET /cluster/status: unexpected answer ({exc})") from None

    # -- guests -------------------------------------------------------------------------------

    def guests(self, node: str | None = None) -> list[Guest]:
        """The VMs and containers of `node`, or of every online node (an offline one cannot be asked)."""
        names = [node] if node is not None else [n.node for n in self.nodes() if n.online]
        found: list[Guest] = []
        for name in names:
            for kind in ("qemu", "lxc"):
                path = f"/nodes/{name}/{kind}"
                for item in self._data("GET", path, list):
                    entry = {**item, "node": name, "kind": kind} if isinstance(item, dict) else item
                    found.append(_parse(Guest, entry, f"GET {path}"))
        return sorted(found, key=lambda g: g.vmid)

    def guest(self, name: str) -> Guest:
        """The guest called `name` on the online nodes (NotFound if none, Conflict if several)."""
        matches = [g for g in self.guests() if g.name == name]
        if not matches:
            raise NotFound(BACKEND, f"no guest named '{name}' on the online nodes")
        if len(matches) > 1:
            raise Conflict(
                BACKEND, f"{len(matches)} guests are named '{name}': " + ", ".join(g.label for g in matches)
            )
        return matches[0]

    def refresh(self, guest: Guest | str) -> Guest:
        """The guest's current state (`status/current`)."""
        found = self._resolve(guest)
        path = f"/nodes/{found.node}/{found.kind}/{found.vmid}/status/current"
        data = self._data("GET", path, dict)
        return _parse(Guest, {**data, "node": found.node, "kind": found.kind}, f"GET {path}")

    def _resolve(self, guest: Guest | str) -> Guest:
        return self.guest(guest) if isinstance(guest, str) else guest

    def start(self, guest: Guest | str, timeout: float | None = None) -> TaskResult:
        """Start the guest and follow its task for up to `timeout` s (the client's task_timeout if None)."""
        found = self._resolve(guest)
        return self._run_task(found, "status/start", timeout or self.task_timeout)

    def shutdown(self, guest: Guest | str, timeout: int = 60, force_stop: bool = False) -> TaskResult:
        """Ask the guest to shut down within `timeout` s (`force_stop`: then stop it hard)."""
        found = self._resolve(guest)
        # PVE takes booleans only as 1/0 (proxmoxer would send Python's True as "True": a 400).
        params = {"timeout": int(timeout), "forceStop": int(force_stop)}
        return self._run_task(found, "status/shutdown", timeout + 30.0, **params)

    def snapshot(
        self, guest: Guest | str, name: str, description: str = "", timeout: float | None = None
    ) -> TaskResult:
        """Take a snapshot and follow its task for up to `timeout` s (the client's task_timeout if None)."""
        found = self._resolve(guest)
        params = {"snapname": name, "description": description}
        return self._run_task(found, "snapshot", timeout or self.task_timeout, **params)

    def snapshots(self, guest: Guest | str) -> list[Snapshot]:
        found = self._resolve(guest)
        path = f"/nodes/{found.node}/{found.kind}/{found.vmid}/snapshot"
        return _parse_list(Snapshot, self._call("GET", path), f"GET {path}")

    # -- tasks --------------------------------------------------------------------------------

    def _run_task(self, guest: Guest, action: str, wait: float, **params: Any) -> TaskResult:
        """POST the action (PVE forks a worker and answers its UPID), then follow it for `wait` s."""
        path = f"/nodes/{guest.node}/{guest.kind}/{guest.vmid}/{action}"
        upid = self._data("POST", path, str, **params)
        return self.follow_task(guest.node, upid, wait)

    def follow_task(self, node: str, upid: str, timeout: float | None = None) -> TaskResult:
        """Poll the task until it stops; Timeout when it has not within `timeout` seconds."""
        limit = self.task_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        path = f"/nodes/{node}/tasks/{upid}/status"
        while True:
            data = self._data("GET", path, dict)
            status = str(data.get("status", ""))
            if status == "stopped":
                exit_status = data.get("exitstatus")
                text = None if exit_status is None else str(exit_status)
                ok = text == "OK" or (text or "").startswith("WARNINGS")
                return TaskResult(upid=upid, status=status, exitstatus=text, ok=ok)
            if time.monotonic() + self.poll_interval > deadline:
                raise Timeout(BACKEND, f"task {upid} still {status or 'unknown'} after {limit:g} s")
            time.sleep(self.poll_interval)

    # -- storage ------------------------------------------------------------------------------

    def storage(self, node: str) -> list[Storage]:
        path = f"/nodes/{node}/storage"
        return _parse_list(Storage, self._call("GET", path), f"GET {path}")

    def zfs_pools(self, node: str) -> list[ZfsPoolSummary]:
        path = f"/nodes/{node}/disks/zfs"
        return _parse_list(ZfsPoolSummary, self._call("GET", path), f"GET {path}")

    def zfs_pool(self, node: str, name: str) -> ZfsPool:
        """The pool's layout and health; NotFound when the node has no such pool."""
        path = f"/nodes/{node}/disks/zfs/{name}"
        try:
            data = self._data("GET", path, dict)
        except ServerError as exc:
            if "zpool status" in str(exc) and "exit code 1" in str(exc):  # zpool's answer for an unknown pool
                raise NotFound(
                    BACKEND, f"GET {path}: node {node} has no ZFS pool named '{name}'", exc.status
                ) from None
            raise
        try:
            return parse_zpool(data)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, ValidationError) as exc:
            raise MalformedResponse(BACKEND, f"GET {path}: unexpected pool layout ({exc})") from None


__all__ = [
    "ApiModel",
    "ClusterMember",
    "ClusterStatus",
    "Disk",
    "Guest",
    "Memory",
    "Node",
    "NodeStatus",
    "NodeTime",
    "ProxmoxClient",
    "Snapshot",
    "Storage",
    "TaskResult",
    "TlsError",
    "Vdev",
    "Version",
    "ZfsPool",
    "ZfsPoolSummary",
    "parse_cluster",
    "parse_zpool",
    "resource_error",
]
