"""Provides the Proxmox VE simulator's routes and their parameter schemas, checked the way PVE checks them.

Each route's parameters are transcribed from the API schema (`apidata.js`; a test compares the two)
and verified as pve-common's JSONSchema does: an unknown parameter, a missing one, a boolean that
is not exactly `0` or `1` (proxmoxer sends Python's True as "True", which PVE refuses), an integer
out of range or a malformed ID each give 400 `Parameter verification failed.` with `errors` naming
the parameter. Every path parameter is a parameter too, so `/qemu/abc/...` fails on `vmid`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cockpit.lab.proxmox_world import ApiError, ProxmoxWorld

Action = Callable[[ProxmoxWorld, dict[str, Any]], Any]


@dataclass(frozen=True)
class Param:
    """One parameter of a route, as far as the simulator checks it."""

    type: str = "string"  # "string", "integer" or "boolean"
    optional: bool = True
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    enum: tuple[str, ...] = ()
    format: str | None = None


NODE = Param(optional=False, format="pve-node")
VMID = Param("integer", optional=False, minimum=100, maximum=999999999, format="pve-vmid")
FLAG = Param("boolean")
TIMEOUT = Param("integer", minimum=0)

# pve-common JSONSchema's format checks: (pattern, message for a value that does not match).
FORMATS = {
    "pve-node": (
        re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?"),
        "value does not look like a valid node name",
    ),
    "pve-configid": (re.compile(r"[a-z][a-z0-9_-]+", re.I), "invalid configuration ID '{}'"),
    "pve-storage-id": (
        re.compile(r"[a-z][a-z0-9\-_.]*[a-z0-9]", re.I),
        "storage ID '{}' contains illegal characters",
    ),
}


@dataclass(frozen=True)
class Route:
    """One method on one path template; `privilege` is what a PVEAuditor token lacks for it."""

    method: str
    template: str
    action: Action
    params: dict[str, Param] = field(default_factory=dict)
    privilege: str | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template))


# -- checking ----------------------------------------------------------------------------------


def check_value(param: Param, value: Any) -> tuple[Any, str | None]:
    """The value as the handler gets it, or the message PVE gives for it."""
    if param.type == "boolean":
        if value is True or value is False:  # a JSON body's true/false
            return int(value), None
        if str(value) in ("0", "1"):
            return int(value), None
        return None, f"type check ('boolean') failed - got '{value}'"
    if param.type == "integer":
        if not re.fullmatch(r"-?\d+", str(value)):
            return None, f"type check ('integer') failed - got '{value}'"
        number = int(value)
        if param.minimum is not None and number < param.minimum:
            return None, f"value must have a minimum value of {param.minimum}"
        if param.maximum is not None and number > param.maximum:
            return None, f"value must have a maximum value of {param.maximum}"
        return number, None
    return _check_string(param, str(value))


def _check_string(param: Param, text: str) -> tuple[Any, str | None]:
    if param.max_length is not None and len(text) > param.max_length:
        return None, f"value may only be {param.max_length} characters long"
    if param.format in FORMATS:
        pattern, message = FORMATS[param.format]
        if not pattern.fullmatch(text):
            return None, "invalid format - " + message.format(text)
    if param.enum and text not in param.enum:
        return None, f"value '{text}' does not have a value in the enumeration '{', '.join(param.enum)}'"
    return text, None


def validate(params: dict[str, Any], schema: dict[str, Param]) -> dict[str, Any]:
    """The checked parameters, or ApiError 400 with one message per bad parameter."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in params:
        if name not in schema:
            errors[name] = (
                "property is not defined in schema and the schema does not allow additional properties"
            )
    for name, param in schema.items():
        if name not in params:
            if not param.optional:
                errors[name] = "property is missing and it is not optional"
            continue
        value, problem = check_value(param, params[name])
        if problem:
            errors[name] = problem
        else:
            values[name] = value
    if errors:
        raise ApiError(400, "Parameter verification failed.", errors)
    return values


# -- the routes --------------------------------------------------------------------------------


def _storage(world: ProxmoxWorld, p: dict[str, Any]) -> list[dict[str, Any]]:
    entries = world.storage(p["node"])
    if "storage" in p:
        entries = [e for e in entries if e["storage"] == p["storage"]]
    if "content" in p:
        wanted = set(p["content"].split(","))
        entries = [e for e in entries if wanted & set(e["content"].split(","))]
    return entries


def _guest_routes(kind: str) -> list[Route]:
    base = f"/nodes/{{node}}/{kind}/{{vmid}}"
    ids = {"node": NODE, "vmid": VMID}
    if kind == "qemu":
        start = {
            "skiplock": FLAG,
            "timeout": TIMEOUT,
            "machine": Param(),
            "migratedfrom": Param(format="pve-node"),
            "migration_network": Param(),
            "migration_type": Param(enum=("secure", "insecure")),
            "stateuri": Param(max_length=128),
            "targetstorage": Param(),
            "force-cpu": Param(),
            "nets-host-mtu": Param(),
            "with-conntrack-state": FLAG,
        }
        shutdown = {"forceStop": FLAG, "keepActive": FLAG, "skiplock": FLAG, "timeout": TIMEOUT}
        snapshot = {"vmstate": FLAG}
    else:
        start = {"debug": FLAG, "skiplock": FLAG}
        shutdown = {"forceStop": FLAG, "timeout": TIMEOUT}
        snapshot = {}
    snapname = {
        "snapname": Param(optional=False, max_length=40, format="pve-configid"),
        "description": Param(),
    }
    return [
        Route("GET", f"{base}/status/current", lambda w, p: w.guest_status(p["node"], kind, p["vmid"]), ids),
        Route(
            "POST",
            f"{base}/status/start",
            lambda w, p: w.start(p["node"], kind, p["vmid"]),
            {**ids, **start},
            "VM.PowerMgmt",
        ),
        Route(
            "POST",
            f"{base}/status/shutdown",
            lambda w, p: w.shutdown(p["node"], kind, p["vmid"]),
            {**ids, **shutdown},
            "VM.PowerMgmt",
        ),
        Route("GET", f"{base}/snapshot", lambda w, p: w.snapshots(p["node"], kind, p["vmid"]), ids),
        Route(
            "POST",
            f"{base}/snapshot",
            lambda w, p: w.snapshot(p["node"], kind, p["vmid"], p["snapname"], p.get("description", "")),
            {**ids, **snapname, **snapshot},
            "VM.Snapshot",
        ),
    ]


def _routes() -> tuple[Route, ...]:
    node = {"node": NODE}
    storage_filters = {
        "content": Param(),
        "enabled": FLAG,
        "format": FLAG,
        "storage": Param(format="pve-storage-id"),
        "target": Param(format="pve-node"),
    }
    return (
        Route("GET", "/version", lambda w, p: w.version_info()),
        Route("GET", "/nodes", lambda w, p: w.nodes()),
        Route("GET", "/cluster/status", lambda w, p: w.cluster_status()),
        Route("GET", "/nodes/{node}/status", lambda w, p: w.node_status(p["node"]), node),
        Route("GET", "/nodes/{node}/time", lambda w, p: w.node_time(p["node"]), node),
        Route(
            "GET",
            "/nodes/{node}/qemu",
            lambda w, p: w.guests(p["node"], "qemu", bool(p.get("full"))),
            {**node, "full": FLAG},
        ),
        Route("GET", "/nodes/{node}/lxc", lambda w, p: w.guests(p["node"], "lxc"), node),
        *_guest_routes("qemu"),
        *_guest_routes("lxc"),
        Route(
            "GET",
            "/nodes/{node}/tasks/{upid}/status",
            lambda w, p: w.task_status(p["node"], p["upid"]),
            {**node, "upid": Param(optional=False)},
        ),
        Route("GET", "/nodes/{node}/storage", _storage, {**node, **storage_filters}),
        Route("GET", "/nodes/{node}/disks/zfs", lambda w, p: w.zfs_list(p["node"]), node),
        Route(
            "GET",
            "/nodes/{node}/disks/zfs/{name}",
            lambda w, p: w.zfs_detail(p["node"], p["name"]),
            {**node, "name": Param(optional=False, format="pve-storage-id")},
        ),
    )


ROUTES = _routes()


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route for `method` on `path` with its path parameters, or PVE's 501 for anything else."""
    for route in ROUTES:
        match = route.pattern.fullmatch(path)
        if match and route.method == method:
            return route, match.groupdict()
    raise ApiError(501, f"Method '{method} {path}' not implemented")
