"""Provides the Proxmox VE adapter's models: the API's answers as cockpit reads them.

Each model ignores fields a later PVE adds and takes PVE's 1/0 for booleans. The ZFS pool is the
one answer reshaped: PVE's `zpool status` tree (the pool, then `mirror-0`, then disks) becomes a
flat list of data vdevs, each with its disks, because that is what a redundancy check asks about.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import AliasPath, BaseModel, ConfigDict, Field

# -- models ------------------------------------------------------------------------------------


class ApiModel(BaseModel):
    """An answer of the API: fields PVE adds in later versions are ignored, 1/0 become booleans."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Version(ApiModel):
    version: str
    release: str
    repoid: str = ""


class Node(ApiModel):
    node: str
    status: Literal["online", "offline", "unknown"]
    cpu: float | None = None
    maxcpu: int | None = None
    mem: int | None = None
    maxmem: int | None = None
    uptime: int | None = None

    @property
    def online(self) -> bool:
        return self.status == "online"


class Memory(ApiModel):
    total: int
    used: int
    free: int = 0


class NodeStatus(ApiModel):
    pveversion: str
    uptime: int = 0
    cpu: float = 0.0
    memory: Memory
    loadavg: list[float] = []
    kernel: str | None = Field(default=None, validation_alias=AliasPath("current-kernel", "release"))
    boot_mode: str | None = Field(default=None, validation_alias=AliasPath("boot-info", "mode"))


class NodeTime(ApiModel):
    """A node's clock: `time` is UTC seconds, `localtime` the same instant in the node's time zone."""

    time: int
    localtime: int
    timezone: str

    def skew(self, now: float | None = None) -> float:
        """How far the node's clock is ahead of ours (negative: behind), in seconds."""
        return self.time - (time.time() if now is None else now)


class ClusterMember(ApiModel):
    name: str
    nodeid: int | None = None
    ip: str | None = None
    online: bool = False
    local: bool = False


class ClusterStatus(ApiModel):
    """`/cluster/status` summed up; a standalone node has no cluster name (and is its own quorum)."""

    name: str | None
    quorate: bool
    nodes_total: int
    nodes_online: int
    members: list[ClusterMember]

    @property
    def clustered(self) -> bool:
        return self.name is not None


class Guest(ApiModel):
    vmid: int  # lxc answers a string before PVE 8.2: lax validation turns "103" into 103
    name: str = ""
    node: str
    kind: Literal["qemu", "lxc"]
    status: str
    uptime: int = 0

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def label(self) -> str:
        return f"{self.kind} {self.vmid} ({self.name or 'unnamed'}) on {self.node}"


class TaskResult(ApiModel):
    """A worker task followed to its end; `ok` also for `WARNINGS: N` (the work was done)."""

    upid: str
    status: str
    exitstatus: str | None = None
    ok: bool = False


class Snapshot(ApiModel):
    name: str
    description: str = ""
    snaptime: int | None = None
    parent: str | None = None


class Disk(ApiModel):
    name: str
    state: str
    note: str = ""  # zpool status' message, for example `was /dev/disk/by-id/...` for a lost disk

    def __str__(self) -> str:
        return f"{self.name} {self.state}" + (f" ({self.note})" if self.note else "")


class Vdev(ApiModel):
    name: str
    kind: Literal["mirror", "raidz", "draid", "disk"]
    state: str
    disks: list[Disk]


class ZfsPool(ApiModel):
    name: str
    state: str
    status: str | None = None
    action: str | None = None
    scan: str | None = None
    errors: str = ""
    vdevs: list[Vdev]

    def describe(self) -> str:
        """The layout in one line, e.g. `rpool DEGRADED: mirror-0 DEGRADED [/dev/a ONLINE, 123 UNAVAIL (was /dev/b)]`."""
        parts = [
            f"{v.name} {v.state}" + (f" [{', '.join(map(str, v.disks))}]" if v.kind != "disk" else "")
            for v in self.vdevs
        ]
        return f"{self.name} {self.state}: " + ("; ".join(parts) or "no vdevs")


class ZfsPoolSummary(ApiModel):
    name: str
    size: int
    alloc: int
    free: int
    frag: int = 0
    dedup: float = 1.0
    health: str


class Storage(ApiModel):
    storage: str
    type: str
    content: str = ""
    active: bool = False
    enabled: bool = True
    shared: bool = False
    total: int | None = None
    used: int | None = None
    avail: int | None = None


# -- parsing the answers that need more than a model -------------------------------------------


def parse_cluster(entries: list[dict[str, Any]]) -> ClusterStatus:
    cluster = next((e for e in entries if e.get("type") == "cluster"), None)
    members = [ClusterMember.model_validate(e) for e in entries if e.get("type") == "node"]
    online = sum(m.online for m in members)
    if cluster is None:  # a standalone node: pmxcfs is always writable there
        return ClusterStatus(
            name=None, quorate=True, nodes_total=len(members), nodes_online=online, members=members
        )
    return ClusterStatus(
        name=str(cluster["name"]),
        quorate=bool(int(cluster.get("quorate") or 0)),
        nodes_total=int(cluster.get("nodes") or len(members)),
        nodes_online=online,
        members=members,
    )


def _vdev_kind(name: str) -> Literal["mirror", "raidz", "draid"]:
    for kind in ("mirror", "raidz", "draid"):
        if name.startswith(kind):
            return kind  # type: ignore[return-value]
    raise ValueError(f"unknown vdev type '{name}'")


def parse_zpool(data: dict[str, Any]) -> ZfsPool:
    """`zpool status -P` as PVE parses it: the first child is the pool, its children the data vdevs.

    `logs`, `cache` and `spares` are siblings of that first child and hold no data: not vdevs here.
    """
    name = data["name"]
    root = data["children"][0]
    if root.get("name") != name:
        raise ValueError(f"the first child is '{root.get('name')}', not the pool '{name}'")
    vdevs = []
    for child in root.get("children") or []:
        if child.get("leaf"):
            disk = Disk(name=child["name"], state=child.get("state", ""), note=child.get("msg", ""))
            vdevs.append(Vdev(name=disk.name, kind="disk", state=disk.state, disks=[disk]))
            continue
        disks = [
            Disk(name=d["name"], state=d.get("state", ""), note=d.get("msg", ""))
            for d in child.get("children") or []
        ]
        vdevs.append(
            Vdev(
                name=child["name"], kind=_vdev_kind(child["name"]), state=child.get("state", ""), disks=disks
            )
        )
    return ZfsPool(
        name=name,
        state=data["state"],
        status=data.get("status"),
        action=data.get("action"),
        scan=data.get("scan"),
        errors=data.get("errors", ""),
        vdevs=vdevs,
    )
