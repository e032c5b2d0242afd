"""Provides the typed checks a criterion can carry, one model per check type.

Host parameters are *host references*: a host name from the inventory, or `role:PATTERN`
(all hosts whose role matches the glob), so the shipped phases work with any inventory
whose hosts carry the seed's roles. References are resolved against the inventory on load.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from cockpit.models.base import Slug, StatusRange, Strict, Subnet, Text

HostRef = Annotated[str, Field(min_length=1, description="host name or role:PATTERN")]
PLACEHOLDER = re.compile(r"\{(address|name):([^{}]+)\}")


class ManualCheck(Strict):
    """Passes only by an operator's attestation with evidence; no backend can observe it."""

    type: Literal["manual"]
    prompt: Text
    why_manual: Text


class NutUpsStatus(Strict):
    """The UPS reports the expected status flags (for example OL) and none of the forbidden ones."""

    type: Literal["nut.ups_status"]
    ups: str | None = None
    expect: list[str] = ["OL"]
    forbid: list[str] = ["OB", "LB", "FSD", "RB"]
    min_runtime_s: int | None = Field(default=None, ge=0)


class NutClients(Strict):
    """Every listed host is logged in to upsd as a client of the UPS."""

    type: Literal["nut.clients"]
    ups: str | None = None
    hosts: list[HostRef] = Field(min_length=1)


class ProxmoxZfsMirror(Strict):
    """A node's ZFS pool is a healthy mirror of at least `min_disks` devices."""

    type: Literal["proxmox.zfs_mirror"]
    node: HostRef
    pool: str = "rpool"
    min_disks: int = Field(default=2, ge=2)


class ProxmoxNodeOnline(Strict):
    """The node is online in the Proxmox VE cluster."""

    type: Literal["proxmox.node_online"]
    node: HostRef


class ProxmoxClusterQuorate(Strict):
    """The cluster is quorate, optionally with at least `min_nodes` online."""

    type: Literal["proxmox.cluster_quorate"]
    min_nodes: int | None = Field(default=None, ge=1)


class ProxmoxGuestRunning(Strict):
    """A guest (VM or container), found by name, is running, optionally on a given node."""

    type: Literal["proxmox.guest_running"]
    guest: HostRef
    kind: Literal["qemu", "lxc"] | None = None
    node: HostRef | None = None


class UnifiVlan(Strict):
    """A network with this VLAN id and subnet exists on the UniFi gateway."""

    type: Literal["unifi.vlan"]
    vlan: int = Field(ge=1, le=4094)
    subnet: Subnet
    name: str | None = None


class UnifiManagementVlan(Strict):
    """Management lives on its own tagged VLAN, never on VLAN 1 (the default untagged network).

    Passes when the network that holds `subnet` carries VLAN `vlan` and is not the untagged
    default network: management must never be an accidental landing zone.
    """

    type: Literal["unifi.management_vlan"]
    vlan: int = Field(ge=2, le=4094)
    subnet: Subnet


class Flow(Strict):
    """One inter-VLAN flow: source and destination networks (by VLAN id), optional ports."""

    source: int = Field(alias="from", ge=1, le=4094)
    destination: int | Literal["any", "internet"] = Field(alias="to")
    ports: list[int] = []


class UnifiDefaultDeny(Strict):
    """Inter-VLAN traffic is denied by default; only the listed flows are allowed."""

    type: Literal["unifi.default_deny"]
    vlans: list[int] = Field(min_length=2)
    allow: list[Flow] = []
    deny: list[Flow] = []


class DnsResolves(Strict):
    """A name resolves on the DNS servers to the expected addresses (asked directly, never the system resolver).

    Either `name` with `expect`, or `service` with `target` (v2 or v3 address from the inventory).
    """

    type: Literal["dns.resolves"]
    name: str | None = None
    expect: list[str] = []
    service: Slug | None = None
    target: Literal["v2", "v3"] | None = None
    servers: list[Slug] = []

    @model_validator(mode="after")
    def _one_subject(self) -> DnsResolves:
        if (self.name is None) == (self.service is None):
            raise ValueError("give exactly one of name or service")
        if self.service is not None and self.target is None:
            raise ValueError("a service check needs target = 'v2' or 'v3'")
        if self.name is not None and not self.expect:
            raise ValueError("a name check needs expect = [addresses]")
        return self


class HttpOk(Strict):
    """An HTTP(S) endpoint answers with a status in the expected range.

    Either `url`, or `service` with `target`: the service's v2/v3 address with its Host header.
    """

    type: Literal["http.ok"]
    url: str | None = None
    service: Slug | None = None
    target: Literal["v2", "v3"] | None = None
    expect_status: StatusRange = (200, 399)

    @model_validator(mode="after")
    def _one_subject(self) -> HttpOk:
        if (self.url is None) == (self.service is None):
            raise ValueError("give exactly one of url or service")
        if self.service is not None and self.target is None:
            raise ValueError("a service check needs target = 'v2' or 'v3'")
        return self


class CommandCheck(Strict):
    """A command exits as expected and prints what is expected.

    With `host`, it runs over ssh on every host the reference matches (by inventory name);
    without, on the operator's machine. Arguments may name inventory hosts as `{address:REF}`
    or `{name:REF}` (REF matching exactly one host), so the shipped phases carry no host names.
    """

    type: Literal["command"]
    host: HostRef | None = None
    argv: list[str] = Field(min_length=1)
    expect_exit: int = 0
    expect_stdout: str | None = Field(default=None, description="regular expression searched in stdout")
    timeout_s: float = Field(default=30.0, gt=0, le=3600)


class ServicesCutOver(Strict):
    """Every service whose cutover the phase owns is cut over and verified (or finalized)."""

    type: Literal["services.cut_over"]
    phase: int | None = Field(default=None, ge=0)
    services: list[Slug] = []


Check = Annotated[
    ManualCheck
    | NutUpsStatus
    | NutClients
    | ProxmoxZfsMirror
    | ProxmoxNodeOnline
    | ProxmoxClusterQuorate
    | ProxmoxGuestRunning
    | UnifiVlan
    | UnifiManagementVlan
    | UnifiDefaultDeny
    | DnsResolves
    | HttpOk
    | CommandCheck
    | ServicesCutOver,
    Field(discriminator="type"),
]

CHECK_TYPES: tuple[str, ...] = (
    "manual",
    "nut.ups_status",
    "nut.clients",
    "proxmox.zfs_mirror",
    "proxmox.node_online",
    "proxmox.cluster_quorate",
    "proxmox.guest_running",
    "unifi.vlan",
    "unifi.management_vlan",
    "unifi.default_deny",
    "dns.resolves",
    "http.ok",
    "command",
    "services.cut_over",
)
