"""Provides the JSON the Proxmox VE simulator answers for nodes, guests and storage, as pure functions.

The shapes are the specs README's (section 3) and the API schema's; the values are the lab's:
sizes and loads are plausible constants, so a test can compare answers without chasing noise.
Booleans are 1/0 and sizes bytes, as PVE sends them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cockpit.lab.catalog import LabGuest, LabNode
from cockpit.lab.tls import fingerprint_of

GIB = 1024**3
REPOID = "025864202ebb6109"
KERNEL = "6.14.8-2-pve"
KERNEL_BUILD = "#1 SMP PREEMPT_DYNAMIC PMX 6.14.8-2 (2025-07-22T10:04Z)"
TIMEZONE = "Europe/Berlin"
ROOTFS, ROOTFS_USED = 94 * GIB, 9 * GIB

# What a guest of each kind is given (the catalog names guests; their sizes are the lab's choice).
SIZES = {
    "qemu": {"cpus": 4, "maxmem": 8 * GIB, "maxdisk": 64 * GIB},
    "lxc": {"cpus": 1, "maxmem": 1 * GIB, "maxdisk": 8 * GIB, "maxswap": GIB // 2},
}


def parse_version(text: str) -> tuple[int, int]:
    major, minor = (text.split(".") + ["0"])[:2]
    return int(major), int(minor)


def version_info(version: str) -> dict[str, Any]:
    major, minor = parse_version(version)
    return {"version": version, "release": f"{major}.{minor}", "repoid": REPOID}


def node_fingerprint(name: str) -> str:
    """Another node's certificate is not the simulator's: a stable stand-in in the same format."""
    return fingerprint_of(name.encode())


def node_entry(node: LabNode, online: bool, uptime: int, fingerprint: str) -> dict[str, Any]:
    """One item of `GET /nodes`; an offline node keeps only what the cluster remembers of it."""
    entry: dict[str, Any] = {"node": node.name, "id": f"node/{node.name}", "type": "node", "level": ""}
    entry["ssl_fingerprint"] = fingerprint
    if not online:
        return {**entry, "status": "offline"}
    return {
        **entry,
        "status": "online",
        "cpu": 0.0312,
        "maxcpu": node.cpus,
        "mem": node.memory_gb * GIB * 35 // 100,
        "maxmem": node.memory_gb * GIB,
        "disk": ROOTFS_USED,
        "maxdisk": ROOTFS,
        "uptime": uptime,
    }


def node_status(node: LabNode, uptime: int, version: str) -> dict[str, Any]:
    """`GET /nodes/{node}/status`."""
    total = node.memory_gb * GIB
    used = total * 35 // 100
    return {
        "cpu": 0.0312,
        "wait": 0.0004,
        "idle": 0,
        "uptime": uptime,
        "loadavg": ["0.42", "0.37", "0.31"],
        "cpuinfo": {
            "cores": node.cpus,
            "cpus": node.cpus,
            "model": f"{node.model} (simulated CPU)",
            "sockets": 1,
            "mhz": "3000.000",
            "hvm": "1",
        },
        "memory": {"total": total, "used": used, "free": total - used, "available": total - used},
        "swap": {"total": 0, "used": 0, "free": 0},
        "rootfs": {
            "total": ROOTFS,
            "used": ROOTFS_USED,
            "free": ROOTFS - ROOTFS_USED,
            "avail": ROOTFS - ROOTFS_USED,
        },
        "ksm": {"shared": 0},
        "pveversion": f"pve-manager/{version}/{REPOID}",
        "kversion": f"Linux {KERNEL} {KERNEL_BUILD}",
        "current-kernel": {
            "sysname": "Linux",
            "release": KERNEL,
            "version": KERNEL_BUILD,
            "machine": "x86_64",
        },
        "boot-info": {"mode": "efi", "secureboot": 0},
    }


def utc_offset(at: float) -> int:
    try:
        offset = datetime.fromtimestamp(at, ZoneInfo(TIMEZONE)).utcoffset()
    except ZoneInfoNotFoundError:  # no tz database on this machine: the lab's clock is then UTC
        return 0
    return int(offset.total_seconds()) if offset else 0


def node_time(now: float) -> dict[str, Any]:
    """`GET /nodes/{node}/time` for a clock that reads `now`."""
    return {"time": int(now), "localtime": int(now) + utc_offset(now), "timezone": TIMEZONE}


def guest_entry(
    guest: LabGuest, running: bool, uptime: int, pid: int, *, full: bool, version: str
) -> dict[str, Any]:
    """One item of `GET /nodes/{node}/{qemu|lxc}` (with `full`, also what status/current adds for qemu)."""
    sizes = SIZES[guest.kind]
    vmid_as_text = guest.kind == "lxc" and parse_version(version) < (8, 2)  # pve-container before 2024-04
    entry: dict[str, Any] = {
        "vmid": str(guest.vmid) if vmid_as_text else guest.vmid,
        "name": guest.name,
        "status": "running" if running else "stopped",
        **sizes,
        "mem": sizes["maxmem"] * 2 // 5 if running else 0,
        "disk": sizes["maxdisk"] // 4 if guest.kind == "lxc" else 0,
        "cpu": 0.0087 if running else 0,
        "uptime": uptime if running else 0,
        "netin": 7_340_032 if running else 0,
        "netout": 2_097_152 if running else 0,
        "diskread": 104_857_600 if running else 0,
        "diskwrite": 52_428_800 if running else 0,
    }
    if guest.kind == "lxc":
        entry["type"] = "lxc"
    elif running:
        entry["pid"] = pid
        if full:
            entry.update(
                {"qmpstatus": "running", "running-machine": "pc-q35-10.0+pve1", "running-qemu": "10.0.2"}
            )
    return entry


def _store(name: str, kind: str, content: str, total: int, used: int) -> dict[str, Any]:
    return {
        "storage": name,
        "type": kind,
        "content": content,
        "active": 1,
        "enabled": 1,
        "shared": 0,
        "total": total,
        "used": used,
        "avail": total - used,
        "used_fraction": round(used / total, 6),
    }


def storage_entries(pool: dict[str, Any]) -> list[dict[str, Any]]:
    """`GET /nodes/{node}/storage` of a default ZFS install: `local` (a directory) and `local-zfs` on rpool."""
    return [
        _store("local", "dir", "backup,iso,vztmpl", ROOTFS, ROOTFS_USED),
        _store("local-zfs", "zfspool", "images,rootdir", pool["size"] - ROOTFS, pool["alloc"]),
    ]
