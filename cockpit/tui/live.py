"""Provides the live probes behind the status line: the UPS from NUT, each DNS server's reachability.

They ask the backends directly through the adapters, never the store, so they run beside any
operation. Each probe has a short timeout and reports what it could not ask as such: a dead NUT
server is shown as unreachable, never as a healthy UPS. Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cockpit.errors import CockpitError
from cockpit.secrets import REDACTOR

if TYPE_CHECKING:
    from cockpit.project import Project

PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class UpsReading:
    """What upsd said about the UPS, or why it could not be asked."""

    flags: list[str] = field(default_factory=list)
    charge: float | None = None
    runtime_s: float | None = None
    error: str | None = None

    @property
    def safe(self) -> bool:
        """On line power and not low: what the engine's power guard also requires."""
        return self.error is None and "OL" in self.flags and not {"OB", "LB", "FSD"} & set(self.flags)


@dataclass(frozen=True)
class LiveStatus:
    """One round of probes; `ups` is None when no [nut] is configured."""

    ups: UpsReading | None
    dns: dict[str, bool]


async def _ups(project: Project) -> UpsReading | None:
    nut = project.config.inventory.nut
    if nut is None:
        return None
    from cockpit.checks.nut import (
        client_for,  # the adapters load in the probe's worker, after the first frame
    )

    try:
        async with client_for(project) as client:
            status = await asyncio.wait_for(client.ups_status(nut.ups), PROBE_TIMEOUT_S)
    except (CockpitError, TimeoutError, OSError) as exc:
        return UpsReading(error=REDACTOR.redact(str(exc) or type(exc).__name__))
    return UpsReading(list(status.flags), status.battery_charge, status.battery_runtime)


async def _dns_up(address: str, name: str) -> bool:
    """A server that answers anything (even NXDOMAIN) is reachable; a timeout or refusal is not."""
    from cockpit.adapters import dns as dns_adapter

    try:
        await dns_adapter.query(address, name, timeout=PROBE_TIMEOUT_S)
    except CockpitError:
        return False
    return True


async def _probe(project: Project) -> LiveStatus:
    inventory = project.config.inventory
    name = inventory.services[0].hostname if inventory.services else "cockpit.home.arpa"
    servers = inventory.dns_servers
    ups = asyncio.ensure_future(_ups(project))  # asked at the same time as the DNS servers
    answers = await asyncio.gather(*(_dns_up(str(s.dns), name) for s in servers))
    return LiveStatus(ups=await ups, dns={s.name: up for s, up in zip(servers, answers, strict=True)})


def probe(project: Project) -> LiveStatus | None:
    """Ask every backend the status line shows (blocking: call it from a worker thread).

    The example inventory is never contacted (its addresses are someone else's network).
    """
    if project.config.inventory.example:
        return None
    return asyncio.run(_probe(project))
