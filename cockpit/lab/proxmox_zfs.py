"""Provides the simulated nodes' boot pools as Proxmox VE's disks API shows them.

`GET /nodes/{node}/disks/zfs` is `zpool list -HpPLo name,size,alloc,free,frag,dedup,health` (sizes in
bytes); `GET /nodes/{node}/disks/zfs/{name}` is `zpool status -P` parsed into a tree whose first child
is the pool itself, then `mirror-0`, then the disks (pve-manager `PVE/API2/Disks/ZFS.pm`). A device
that went missing is shown the way ZFS names it then: by its GUID, with `was <old path>` in `msg`.
"""

from __future__ import annotations

import zlib
from typing import Any

from cockpit.lab.catalog import LabNode

POOL = "rpool"
SCAN = "scrub repaired 0B in 00:02:41 with 0 errors on Sun Mar  8 00:26:42 2026"
NO_ERRORS = "No known data errors"
DEGRADED_STATUS = (
    "One or more devices could not be used because the label is missing or invalid.  Sufficient "
    "replicas exist for the pool to continue functioning in a degraded state."
)
DEGRADED_ACTION = "Replace the device using 'zpool replace'."
TIB = 1024**4


def _pool_size(node: LabNode) -> int:
    """A partition of the node's NVMe: about 1.81 TiB on the 2 TB drives, 0.9 TiB on the 1 TB one."""
    return int((1.81 if "2TB" in node.rpool_disks[0] else 0.906) * TIB) // 4096 * 4096


def zpool_list(node: LabNode, degraded: bool) -> list[dict[str, Any]]:
    size = _pool_size(node)
    alloc = size // 5
    health = "DEGRADED" if degraded else "ONLINE"
    return [
        {
            "name": POOL,
            "size": size,
            "alloc": alloc,
            "free": size - alloc,
            "frag": 3,
            "dedup": 1,
            "health": health,
        }
    ]


def _vdev(
    name: str, state: str, children: list[dict[str, Any]] | None = None, msg: str = ""
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "state": state, "read": 0, "write": 0, "cksum": 0, "msg": msg}
    if children is None:
        entry["leaf"] = 1
    else:
        entry["leaf"] = 0
        entry["children"] = children
    return entry


def _guid(path: str) -> str:
    """A stable 19-digit GUID for a device path (ZFS names a missing device by its GUID)."""
    return str(7_000_000_000_000_000_000 + zlib.crc32(path.encode()) * 1_000_003)


def zpool_status(node: LabNode, name: str, degraded: bool) -> dict[str, Any] | None:
    """The parsed `zpool status -P NAME`, or None when the node has no such pool."""
    if name != POOL:
        return None
    disks = [_vdev(path, "ONLINE") for path in node.rpool_disks]
    state = "ONLINE"
    if degraded:  # the second disk of the mirror vanished (degrade_mirror refuses a single disk)
        state = "DEGRADED"
        lost = node.rpool_disks[-1]
        disks[-1] = _vdev(_guid(lost), "UNAVAIL", msg=f"was {lost}")
    top = disks if len(disks) == 1 else [_vdev("mirror-0", state, disks)]
    status: dict[str, Any] = {"name": POOL, "state": state}
    if degraded:
        status["status"] = DEGRADED_STATUS
        status["action"] = DEGRADED_ACTION
    status.update({"scan": SCAN, "errors": NO_ERRORS, "leaf": 0, "children": [_vdev(POOL, state, top)]})
    return status
