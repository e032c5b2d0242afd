"""Provides the UniFi simulator's configuration: its networks and its inter-VLAN policy, changed at run time.

The console's API answers in three renderings (classic networkconf and LAN_IN rules, the zone-based
v2 policies, the Integration API), and all of them must tell the same story at any instant. So the
state is kept once, as the operator's intent (networks; explicit allow flows; whether the catch-all
inter-VLAN drop exists), and `cockpit.lab.unifi_render` derives each rendering from a snapshot.
Tests and faults change the intent through the thread-safe changers while the server runs.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Interface

from cockpit.lab import catalog

DEFAULT_LAN = "192.168.1.1/24"  # the Default network a UDM SE ships with: untagged, VLAN 1 semantics
INTERNET = "internet"


def object_id(kind: int, number: int) -> str:
    """A stable 24-hex-digit id shaped like the MongoDB ObjectIds the Network application uses."""
    return f"66f1c0de{kind:04x}{number:012x}"


SITE_ID = object_id(0, 1)


@dataclass(frozen=True)
class SimNetwork:
    """One network of the console; `vlan` None is the untagged Default network."""

    id: str
    name: str
    interface: str  # ip_subnet as UniFi writes it: the gateway address with the prefix
    vlan: int | None
    purpose: str = "corporate"

    @property
    def untagged(self) -> bool:
        return self.vlan is None


@dataclass(frozen=True)
class SimFlow:
    """An explicit allow from one network to another (or to the internet), on some TCP ports or all traffic."""

    name: str
    source: str  # a network id
    destination: str  # a network id or INTERNET
    ports: tuple[int, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of the console's configuration, for rendering one answer."""

    networks: tuple[SimNetwork, ...]
    allows: tuple[SimFlow, ...]
    default_drop: bool

    def network(self, network_id: str) -> SimNetwork | None:
        return next((n for n in self.networks if n.id == network_id), None)


@dataclass
class _Intent:
    networks: list[SimNetwork] = field(default_factory=list)
    allows: list[SimFlow] = field(default_factory=list)
    default_drop: bool = True


def design_intent() -> _Intent:
    """The design's networks and policy from the lab catalog: VLANs 10-40, allows, then deny-by-default."""
    networks = [SimNetwork(object_id(1, 1), "Default", DEFAULT_LAN, None)]
    for lab_vlan in catalog.VLANS:
        prefix = IPv4Interface(lab_vlan.subnet).network.prefixlen
        interface = f"{lab_vlan.gateway}/{prefix}"
        networks.append(SimNetwork(object_id(1, lab_vlan.vlan), lab_vlan.name, interface, lab_vlan.vlan))
    by_vlan = {n.vlan: n for n in networks}
    allows = []
    for flow in catalog.FIREWALL:
        # Denies come from the catch-all drop; the internet is reachable unless a rule says otherwise.
        if not flow.allow or not isinstance(flow.destination, int):
            continue
        source, destination = by_vlan[flow.source], by_vlan[flow.destination]
        ports = f" on {', '.join(map(str, flow.ports))}" if flow.ports else ""
        name = f"Allow {source.name} to {destination.name}{ports}"
        allows.append(SimFlow(name, source.id, destination.id, flow.ports))
    return _Intent(networks, allows, default_drop=True)


def management_vlan() -> int:
    """The design's management VLAN (the catalog's network named Management)."""
    return next(v.vlan for v in catalog.VLANS if v.name == "Management")


class ConsoleState:
    """The console's configuration, shared by the server's threads and the test that changes it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._intent = design_intent()

    def snapshot(self) -> Snapshot:
        with self._lock:
            intent = copy.deepcopy(self._intent)
        return Snapshot(tuple(intent.networks), tuple(intent.allows), intent.default_drop)

    def reset(self) -> None:
        with self._lock:
            self._intent = design_intent()

    # -- the changers: each one a way the real configuration drifts from the design ------------

    def allow_between(self, source_vlan: int, destination_vlan: int) -> None:
        """Add an allow-all rule between two VLANs, ahead of the catch-all drop: a hole in deny-by-default."""
        with self._lock:
            source = self._by_vlan(source_vlan)
            destination = self._by_vlan(destination_vlan)
            name = f"Allow {source.name} to {destination.name}"
            self._intent.allows.append(SimFlow(name, source.id, destination.id))

    def remove_default_drop(self) -> None:
        """Delete the catch-all inter-VLAN drop: every pair without a rule is then allowed."""
        with self._lock:
            self._intent.default_drop = False

    def move_management_to_default(self) -> None:
        """Put the management subnet on the untagged Default network (VLAN 1) and delete VLAN 10.

        Rules that named the management network now name the Default network, as an operator who
        re-pointed them would have done.
        """
        with self._lock:
            management = self._by_vlan(management_vlan())
            default = next(n for n in self._intent.networks if n.untagged)
            moved = replace(default, interface=management.interface)
            self._intent.networks = [
                moved if n.id == default.id else n for n in self._intent.networks if n.id != management.id
            ]
            self._intent.allows = [
                replace(
                    flow,
                    source=default.id if flow.source == management.id else flow.source,
                    destination=default.id if flow.destination == management.id else flow.destination,
                )
                for flow in self._intent.allows
            ]

    def remove_vlan(self, vlan: int) -> None:
        """Delete a VLAN's network and every rule that names it."""
        with self._lock:
            gone = self._by_vlan(vlan)
            self._intent.networks = [n for n in self._intent.networks if n.id != gone.id]
            self._intent.allows = [f for f in self._intent.allows if gone.id not in (f.source, f.destination)]

    def _by_vlan(self, vlan: int) -> SimNetwork:
        """The network tagged `vlan` (1 is the untagged Default); caller holds the lock."""
        for network in self._intent.networks:
            if network.vlan == vlan or (vlan == 1 and network.untagged):
                return network
        raise ValueError(f"the console has no network with VLAN {vlan}")
