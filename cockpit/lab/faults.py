"""Provides the lab's fault switchboard: what each simulator should get wrong, set at run time.

Faults are shared by every simulator of one lab and changed while they run (by tests, by the demo,
by `cockpit lab fault`), so every read and write goes through one lock.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field, replace
from typing import Any

# "services" stands for every demo service endpoint at once (latency for the health-check benchmark).
BACKENDS = ("adguard", "pihole", "proxmox", "nut", "unifi", "services")
DNS_SERVERS = ("adguard", "pihole")
UPS_STATES = ("online", "on-battery", "low-battery")
HOST_FAULTS = ("split-filesystems",)
WRITE_FAULTS = ("error", "timeout", "down")
WRITE_TIMEOUT_S = 30.0  # a write that hangs this long: longer than any client's timeout  # downloads and media on different filesystems: hardlinks break


@dataclass
class BackendFault:
    """What one backend's API does wrong: answer late, fail the next N calls, or be down."""

    latency_ms: int = 0
    errors: int = 0
    down: bool = False
    # Faults on writes only (reads and logins pass): how the write fails, after how many good writes,
    # and for how many writes.
    write_fault: str | None = None  # "error", "timeout" or "down"
    write_after: int = 0
    write_count: int = 0
    write_latency_ms: int = 0  # every write answers this late (reads and logins do not)


@dataclass
class _State:
    backends: dict[str, BackendFault] = field(default_factory=lambda: {b: BackendFault() for b in BACKENDS})
    dns_down: set[str] = field(default_factory=set)
    v3_down: set[str] = field(default_factory=set)
    ups: str = "online"
    hosts: set[str] = field(default_factory=set)  # host-level faults, e.g. "split-filesystems"
    hosts_down: set[str] = field(default_factory=set)  # hosts whose ssh refuses connections


class Faults:
    """The faults of one running lab."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _State()
        self.clears = 0  # counts `clear`: a simulator with state of its own (a battery) starts afresh

    def _backend(self, name: str) -> BackendFault:
        if name not in BACKENDS:
            raise ValueError(f"unknown backend '{name}' (backends: {', '.join(BACKENDS)})")
        return self._state.backends[name]

    # -- reading (by the simulators, on every call) -------------------------------------------

    def backend(self, name: str) -> BackendFault:
        with self._lock:
            fault = self._backend(name)
            return replace(fault)

    def take_error(self, name: str) -> bool:
        """True when this call must fail (and counts it)."""
        with self._lock:
            fault = self._backend(name)
            if fault.errors > 0:
                fault.errors -= 1
                return True
            return False

    def take_write_fault(self, name: str) -> str | None:
        """The fault this write must suffer ("error", "timeout", "down"), or None (and counts it)."""
        with self._lock:
            fault = self._backend(name)
            if fault.write_fault is None or fault.write_count <= 0:
                return None
            if fault.write_after > 0:
                fault.write_after -= 1
                return None
            fault.write_count -= 1
            return fault.write_fault

    def set_write_fault(self, backend: str, kind: str, count: int = 1, after: int = 0) -> None:
        if kind not in WRITE_FAULTS:
            raise ValueError(f"unknown write fault '{kind}' (write faults: {', '.join(WRITE_FAULTS)})")
        if count < 1 or after < 0:
            raise ValueError("a write fault needs a count of 1 or more and 0 or more good writes first")
        with self._lock:
            fault = self._backend(backend)
            fault.write_fault, fault.write_count, fault.write_after = kind, count, after

    def set_write_latency(self, backend: str, ms: int) -> None:
        if ms < 0:
            raise ValueError("latency must be 0 or more milliseconds")
        with self._lock:
            self._backend(backend).write_latency_ms = ms

    def dns_down(self, server: str) -> bool:
        with self._lock:
            return server in self._state.dns_down

    def v3_down(self, service: str) -> bool:
        with self._lock:
            return service in self._state.v3_down

    @property
    def ups(self) -> str:
        with self._lock:
            return self._state.ups

    # -- setting ------------------------------------------------------------------------------

    def set_latency(self, backend: str, ms: int) -> None:
        if ms < 0:
            raise ValueError("latency must be 0 or more milliseconds")
        with self._lock:
            self._backend(backend).latency_ms = ms

    def set_errors(self, backend: str, count: int) -> None:
        if count < 0:
            raise ValueError("the count of errors must be 0 or more")
        with self._lock:
            self._backend(backend).errors = count

    def set_down(self, backend: str, down: bool = True) -> None:
        with self._lock:
            self._backend(backend).down = down

    def set_dns_down(self, server: str, down: bool = True) -> None:
        if server not in DNS_SERVERS:
            raise ValueError(f"unknown DNS server '{server}' (servers: {', '.join(DNS_SERVERS)})")
        with self._lock:
            (self._state.dns_down.add if down else self._state.dns_down.discard)(server)

    def set_v3_down(self, service: str, down: bool = True) -> None:
        with self._lock:
            (self._state.v3_down.add if down else self._state.v3_down.discard)(service)

    def set_ups(self, state: str) -> None:
        if state not in UPS_STATES:
            raise ValueError(f"unknown UPS state '{state}' (states: {', '.join(UPS_STATES)})")
        with self._lock:
            self._state.ups = state

    def set_host_fault(self, fault: str, on: bool = True) -> None:
        if fault not in HOST_FAULTS:
            raise ValueError(f"unknown host fault '{fault}' (host faults: {', '.join(HOST_FAULTS)})")
        with self._lock:
            (self._state.hosts.add if on else self._state.hosts.discard)(fault)

    def set_host_down(self, host: str, down: bool = True) -> None:
        with self._lock:
            (self._state.hosts_down.add if down else self._state.hosts_down.discard)(host)

    def clear(self) -> None:
        with self._lock:
            self._state = _State()
            self.clears += 1

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "backends": {name: asdict(f) for name, f in self._state.backends.items()},
                "dns_down": sorted(self._state.dns_down),
                "v3_down": sorted(self._state.v3_down),
                "ups": self._state.ups,
                "hosts": sorted(self._state.hosts),
                "hosts_down": sorted(self._state.hosts_down),
            }
