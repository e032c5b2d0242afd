"""Provides the facts the rules read: the inventory with its lookups, and the phases' states if known.

The phase numbers are the design's: phase 6 is Kubernetes (the seed: "a future Kubernetes
cluster (Phase 6)"), and the others follow the phase files shipped in `phases/`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address

from cockpit.models.inventory import Host, Inventory, Service, Share

POWER_PHASE = 0
NETWORK_PHASE = 1
STORAGE_PHASE = 2
COMPUTE_PHASE = 3
SERVICES_PHASE = 4
HARDENING_PHASE = 5
KUBERNETES_PHASE = 6

HYPERVISOR_ROLES = ("hypervisor-primary", "hypervisor-secondary")
# What the seed puts on the Management VLAN: "Proxmox hosts, NAS management, network gear".
MANAGEMENT_ROLES = ("gateway", "switch", "nas", *HYPERVISOR_ROLES)
# Machines that hold data or guests and so need a graceful shutdown; network gear and
# workstations simply lose power.
SERVER_ROLES = ("nas", *HYPERVISOR_ROLES, "docker", "idp", "dns", "backup", "k3s-server", "k3s-agent")

Ip = IPv4Address | IPv6Address


@dataclass
class Facts:
    """The inventory as the rules ask about it."""

    inventory: Inventory
    phase_states: Mapping[int, str] | None = None
    _hosts: dict[str, Host] = field(init=False, repr=False)
    _services: dict[str, Service] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._hosts = {h.name: h for h in self.inventory.hosts}
        self._services = {s.name: s for s in self.inventory.services}

    def host(self, name: str) -> Host | None:
        return self._hosts.get(name)

    def hosts_with_role(self, *roles: str) -> list[Host]:
        return [h for h in self.inventory.hosts if h.role in roles]

    def hosts_at(self, address: Ip | None) -> list[Host]:
        return [h for h in self.inventory.hosts if address is not None and h.address == address]

    def share(self, name: str) -> Share | None:
        return next((s for s in self.inventory.shares if s.name == name), None)

    def chain(self, service: Service) -> list[Service]:
        """The service and the earlier moves it follows, nearest first (one application's moves)."""
        found = [service]
        while found[-1].follows is not None:
            earlier = self._services.get(found[-1].follows)
            if earlier is None or earlier in found:
                break
            found.append(earlier)
        return found

    def shares_of(self, service: Service) -> list[Share]:
        """The shares an application mounts, counting those written on the moves it follows."""
        names = dict.fromkeys(name for move in self.chain(service) for name in move.shares)
        return [share for name in names if (share := self.share(name)) is not None]

    def on_kubernetes(self) -> list[Service]:
        return [s for s in self.inventory.services if s.platform == "kubernetes"]
