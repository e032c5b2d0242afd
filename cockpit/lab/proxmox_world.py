"""Provides the Proxmox VE simulator's world: the cluster's nodes, guests, tasks and pools, under one lock.

Every read and change goes through one re-entrant lock, so the HTTP threads, the tests and the
fault switchboard can change the world while it is served. Tasks settle lazily: whenever the world
is touched, each task whose time is up finishes first (its effect on the guest happens then), so
no timer thread is needed and nothing runs after the simulator stops.

The answers copy the shapes of the specs README, section 3. Quorum is corosync's votequorum for
this cluster: one vote per node (plus one for a QDevice when there is one) and a majority of the
expected votes needed, so a two-node cluster without a QDevice loses quorum with either node.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cockpit.lab import catalog, proxmox_payloads, proxmox_zfs

CONFIG_DIRS = {"qemu": "qemu-server", "lxc": "lxc"}
TASK_TYPES = {"qemu": "qm", "lxc": "vz"}
NO_QUORUM = "cluster not ready - no quorum?"  # pve-cluster's check_cfs_quorum()


class ApiError(Exception):
    """A failure as Proxmox VE answers it: status, message (also the reason phrase), parameter errors.

    `body` is False for answers the server sends without one (401, and the proxy's 595).
    """

    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None, body: bool = True):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.body = body


@dataclass
class _Node:
    spec: catalog.LabNode
    nodeid: int
    booted: float
    online: bool = True
    degraded: bool = False
    clock_offset: float = 0.0


@dataclass
class _Guest:
    spec: catalog.LabGuest
    running: bool
    started: float
    pid: int
    snapshots: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{'VM' if self.spec.kind == 'qemu' else 'CT'} {self.spec.vmid}"


@dataclass
class _Task:
    upid: str
    fields: dict[str, Any]
    ends: float
    finish: Callable[[], str]
    exitstatus: str | None = None


class ProxmoxWorld:
    """The state of one simulated cluster, seen from `local` (the node whose API is asked)."""

    def __init__(self, *, local: str, user: str, version: str, task_seconds: float, qdevice: bool = False):
        self.local = local
        self.user = user
        self.version = version
        self.task_seconds = task_seconds
        self.qdevice = qdevice
        self.fingerprint = ""
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """The lab's starting point: both nodes online, healthy pools, guests as the catalog has them."""
        now = time.time()
        with self._lock:
            self._nodes = {
                n.name: _Node(n, i + 1, now - 12 * 86400 - i * 3600) for i, n in enumerate(catalog.NODES)
            }
            self._guests = [
                _Guest(g, g.running, now - g.vmid * 977, 1000 + g.vmid * 7) for g in catalog.GUESTS
            ]
            self._tasks: dict[str, _Task] = {}
            self._next_pid = 41000
            self.read_only = False

    # -- changes (tests, faults) ----------------------------------------------------------------

    def degrade_mirror(self, node: str) -> None:
        with self._lock:
            state = self._node(node)
            if len(state.spec.rpool_disks) < 2:
                raise ValueError(f"{node}'s rpool is a single disk: there is no mirror to degrade")
            state.degraded = True

    def set_node_online(self, node: str, online: bool) -> None:
        with self._lock:
            state = self._node(node)
            if online and not state.online:
                state.booted = time.time()  # it came back: a fresh boot
            state.online = online

    def set_clock_offset(self, node: str, seconds: float) -> None:
        with self._lock:
            self._node(node).clock_offset = seconds

    def set_read_only(self, read_only: bool) -> None:
        """Give the token PVEAuditor's rights only (what the phase runbook advises): no power, no snapshot."""
        with self._lock:
            self.read_only = read_only

    def _node(self, name: str) -> _Node:
        if name not in self._nodes:
            raise ValueError(f"unknown node '{name}' (nodes: {', '.join(self._nodes)})")
        return self._nodes[name]

    # -- cluster and nodes ---------------------------------------------------------------------

    def local_online(self) -> bool:
        with self._lock:
            return self._nodes[self.local].online

    def quorate(self) -> bool:
        with self._lock:
            votes = sum(n.online for n in self._nodes.values()) + self.qdevice
            expected = len(self._nodes) + self.qdevice
            return votes >= expected // 2 + 1

    def route_node(self, name: str) -> str:
        """The node a `/nodes/{node}` call is for, as pveproxy routes it (or the error it answers)."""
        with self._lock:
            if name == "localhost":
                return self.local
            if name not in self._nodes:
                raise ApiError(
                    500,
                    f"hostname lookup '{name}' failed - failed to get address info for: {name}: "
                    "Name or service not known",
                )
            if not self._nodes[name].online:  # pveproxy cannot forward the call to it
                raise ApiError(595, "No route to host", body=False)
            return name

    def version_info(self) -> dict[str, Any]:
        return proxmox_payloads.version_info(self.version)

    def cluster_status(self) -> list[dict[str, Any]]:
        with self._lock:
            entries: list[dict[str, Any]] = [
                {
                    "type": "cluster",
                    "id": "cluster",
                    "name": catalog.CLUSTER_NAME,
                    "nodes": len(self._nodes),
                    "quorate": int(self.quorate()),
                    "version": len(self._nodes),
                }
            ]
            for node in self._nodes.values():
                entries.append(
                    {
                        "type": "node",
                        "id": f"node/{node.spec.name}",
                        "name": node.spec.name,
                        "nodeid": node.nodeid,
                        "ip": node.spec.address,
                        "local": int(node.spec.name == self.local),
                        "online": int(node.online),
                        "level": "",
                    }
                )
            return entries

    def nodes(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                proxmox_payloads.node_entry(
                    node.spec,
                    node.online,
                    self._uptime(node),
                    self.fingerprint if name == self.local else proxmox_payloads.node_fingerprint(name),
                )
                for name, node in self._nodes.items()
            ]

    @staticmethod
    def _uptime(node: _Node) -> int:
        return int(time.time() - node.booted)

    def node_status(self, name: str) -> dict[str, Any]:
        with self._lock:
            node = self._nodes[name]
            return proxmox_payloads.node_status(node.spec, self._uptime(node), self.version)

    def node_time(self, name: str) -> dict[str, Any]:
        with self._lock:
            return proxmox_payloads.node_time(time.time() + self._nodes[name].clock_offset)

    # -- storage -------------------------------------------------------------------------------

    def storage(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            node = self._nodes[name]
            (pool,) = proxmox_zfs.zpool_list(node.spec, node.degraded)
        return proxmox_payloads.storage_entries(pool)

    def zfs_list(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            node = self._nodes[name]
            return proxmox_zfs.zpool_list(node.spec, node.degraded)

    def zfs_detail(self, name: str, pool: str) -> dict[str, Any]:
        with self._lock:
            node = self._nodes[name]
            status = proxmox_zfs.zpool_status(node.spec, pool, node.degraded)
        if status is None:  # run_command's message for `zpool status` naming a pool that is not there
            raise ApiError(500, f"command 'zpool status -P {pool}' failed: exit code 1")
        return status

    # -- guests --------------------------------------------------------------------------------

    def guests(self, node: str, kind: str, full: bool = False) -> list[dict[str, Any]]:
        with self._lock:
            self._settle()
            return [
                self._guest_entry(g, full)
                for g in self._guests
                if g.spec.node == node and g.spec.kind == kind
            ]

    def guest_status(self, node: str, kind: str, vmid: int) -> dict[str, Any]:
        with self._lock:
            self._settle()
            guest = self._guest(node, kind, vmid)
            entry = self._guest_entry(guest, full=True)
            entry["ha"] = {"managed": 0}
            return entry

    def _guest(self, node: str, kind: str, vmid: int) -> _Guest:
        for guest in self._guests:
            if guest.spec.node == node and guest.spec.kind == kind and guest.spec.vmid == vmid:
                return guest
        raise ApiError(
            500, f"Configuration file 'nodes/{node}/{CONFIG_DIRS[kind]}/{vmid}.conf' does not exist"
        )

    def _guest_entry(self, guest: _Guest, full: bool) -> dict[str, Any]:
        uptime = int(time.time() - guest.started)
        return proxmox_payloads.guest_entry(
            guest.spec, guest.running, uptime, guest.pid, full=full, version=self.version
        )

    # -- actions (each a task, as a worker fork is) --------------------------------------------

    def start(self, node: str, kind: str, vmid: int) -> str:
        with self._lock:
            self._settle()
            guest = self._guest(node, kind, vmid)
            if not self.quorate():
                raise ApiError(500, NO_QUORUM)
            if kind == "lxc" and guest.running:
                raise ApiError(500, f"{guest.label} already running")

            def finish() -> str:
                if guest.running:
                    return f"{guest.label} already running"
                guest.running, guest.started, guest.pid = True, time.time(), self._pid()
                return "OK"

            return self._fork(node, f"{TASK_TYPES[kind]}start", vmid, finish)

    def shutdown(self, node: str, kind: str, vmid: int) -> str:
        with self._lock:
            self._settle()
            guest = self._guest(node, kind, vmid)
            if kind == "lxc" and not guest.running:
                raise ApiError(500, f"{guest.label} not running")

            def finish() -> str:
                if not guest.running:
                    return f"{guest.label} not running"
                guest.running = False
                return "OK"

            return self._fork(node, f"{TASK_TYPES[kind]}shutdown", vmid, finish)

    def snapshot(self, node: str, kind: str, vmid: int, name: str, description: str) -> str:
        with self._lock:
            self._settle()
            guest = self._guest(node, kind, vmid)
            if name.lower() in ("current", "pending"):
                raise ApiError(500, f"unable to use snapshot name '{name}' (reserved name)")
            if not self.quorate():
                raise ApiError(500, NO_QUORUM)

            def finish() -> str:
                if any(s["name"] == name for s in guest.snapshots):
                    return f"snapshot name '{name}' already used"
                snap: dict[str, Any] = {
                    "name": name,
                    "description": description,
                    "snaptime": int(time.time()),
                }
                if guest.snapshots:
                    snap["parent"] = guest.snapshots[-1]["name"]
                if kind == "qemu":
                    snap["vmstate"] = 0
                guest.snapshots.append(snap)
                return "OK"

            return self._fork(node, f"{TASK_TYPES[kind]}snapshot", vmid, finish)

    def snapshots(self, node: str, kind: str, vmid: int) -> list[dict[str, Any]]:
        with self._lock:
            self._settle()
            guest = self._guest(node, kind, vmid)
            current: dict[str, Any] = {
                "name": "current",
                "description": "You are here!",
                "running": int(guest.running),
            }
            if guest.snapshots:
                current["parent"] = guest.snapshots[-1]["name"]
            return [dict(s) for s in guest.snapshots] + [current]

    # -- tasks ---------------------------------------------------------------------------------

    def _pid(self) -> int:
        self._next_pid += 7
        return self._next_pid

    def _fork(self, node: str, kind: str, vmid: int, finish: Callable[[], str]) -> str:
        """Start a worker task; its UPID is what PVE::Tools::upid_encode writes (trailing colon included)."""
        state = self._nodes[node]
        pid, now = self._pid(), time.time()
        pstart = int((now - state.booted) * 100)  # clock ticks since boot, as /proc/PID/stat has it
        upid = f"UPID:{node}:{pid:08X}:{pstart:08X}:{int(now):08X}:{kind}:{vmid}:{self.user}:"
        fields = {"node": node, "pid": pid, "pstart": pstart, "starttime": int(now), "type": kind}
        fields.update(id=str(vmid), user=self.user)
        self._tasks[upid] = _Task(upid, fields, time.monotonic() + self.task_seconds, finish)
        return upid

    def _settle(self) -> None:
        now = time.monotonic()
        for task in self._tasks.values():
            if task.exitstatus is None and now >= task.ends:
                task.exitstatus = task.finish()

    def task_status(self, node: str, upid: str) -> dict[str, Any]:
        with self._lock:
            self._settle()
            task = self._tasks.get(upid)
            if task is None or task.fields["node"] != node:
                if not upid.startswith("UPID:") or upid.count(":") != 8:
                    raise ApiError(
                        400, "Parameter verification failed.", {"upid": "unable to parse worker upid"}
                    )
                raise ApiError(400, "Parameter verification failed.", {"upid": "no such task"})
            status: dict[str, Any] = {"upid": upid, **task.fields, "status": "running"}
            if task.exitstatus is not None:
                status.update(status="stopped", exitstatus=task.exitstatus)
            return status
