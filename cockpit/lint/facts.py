"""Provides the facts the rules read: the inventory with its lookups, the phases, and the progress.

The phase numbers are the design's: phase 6 is Kubernetes (the seed: "a future Kubernetes
cluster (Phase 6)"), and the others follow the phase files shipped in `phases/`. The phases are
known when `lint` is given a Project; the progress when the caller read it from the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from ipaddress import IPv4Address, IPv6Address

from cockpit.lint.progress import LintProgress
from cockpit.lint.sandbox import Sandbox, sandbox_of
from cockpit.models.inventory import Host, Inventory, Service, Share
from cockpit.models.phases import Phase

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
    """The inventory as the rules ask about it.

    `progress`, when given, is what the store knows; its phase states win over `phase_states`
    (which older callers pass alone).
    """

    inventory: Inventory
    phase_states: Mapping[int, str] | None = None
    progress: LintProgress | None = None
    phases: Sequence[Phase] = ()
    _hosts: dict[str, Host] = field(init=False, repr=False)
    _services: dict[str, Service] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._hosts = {h.name: h for h in self.inventory.hosts}
        self._services = {s.name: s for s in self.inventory.services}
        if self.progress is not None:
            self.phase_states = self.progress.phase_states

    def phase(self, phase_id: int) -> Phase | None:
        return next((p for p in self.phases if p.id == phase_id), None)

    @cached_property
    def sandbox(self) -> Sandbox | None:
        """The Kubernetes phase's sandbox as its phase file defines it; None without that phase."""
        phase = self.phase(KUBERNETES_PHASE)
        return None if phase is None else sandbox_of(phase, self.inventory.services)

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
