"""Provides the rows of the cutover board and the live look-ups that fill them in.

A row starts from the store (state, reason) and is completed by what the world says now: what
each DNS server answers for the service's name, whether v3 answers its health check, and the
drift findings. Each live value is None until it has been asked, so the board draws at once and
fills in; an answer that could not be had reads as unknown, never as fine. Nothing here imports
Textual.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cockpit.errors import CockpitError

if TYPE_CHECKING:
    from cockpit.models.inventory import Service
    from cockpit.project import Project

ATTENTION_STATES = frozenset({"needs_attention"})
LOOKUP_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class ServiceRow:
    """One line of the board."""

    name: str
    hostname: str
    state: str
    v2: str
    v3: str
    reason: str = ""
    answers: dict[str, str] | None = None  # server -> "v2", "v3", "old", "NX", "?" or the addresses
    v3_healthy: bool | None = None
    drift: list[str] | None = field(default=None)  # None: not asked yet, or a server could not be read
    busy: str = ""  # what a running operation is doing to this service

    @property
    def needs_attention(self) -> bool:
        return self.state in ATTENTION_STATES

    @property
    def drifted(self) -> bool:
        return bool(self.drift)


def rows_from_store(project: Project, services: list[dict[str, Any]]) -> list[ServiceRow]:
    """The board as the store knows it: DNS cutovers only (a manual move is a task of its phase)."""
    by_name = {s["name"]: s for s in services}
    rows = []
    for service in project.config.inventory.services:
        if service.cutover != "dns":
            continue
        record = by_name.get(service.name, {})
        rows.append(
            ServiceRow(
                name=service.name,
                hostname=service.hostname,
                state=str(record.get("state", "planned")),
                v2=str(service.v2),
                v3=str(service.v3),
                reason=str(record.get("reason") or ""),
            )
        )
    return rows


def _label(project: Project, service: Service, addresses: list[str]) -> str:
    """ "v2", "v3", "old" (a move this one follows has not happened yet), or the addresses."""
    if addresses == [str(service.v2)]:
        return "v2"
    if addresses == [str(service.v3)]:
        return "v3"
    earlier = project.config.service(service.follows) if service.follows else None
    if earlier is not None and addresses == [str(earlier.v2)]:
        return "old"
    return ",".join(addresses) or "-"


async def _answer(project: Project, server: str, service: Service) -> str:
    from cockpit.adapters import dns as dns_adapter  # loaded by the board's worker, not at startup

    try:
        result = await dns_adapter.query(server, service.hostname, timeout=LOOKUP_TIMEOUT_S)
    except CockpitError:
        return "?"
    return "NX" if result.nxdomain else _label(project, service, result.addresses)


async def _answers(project: Project, services: list[Service]) -> dict[str, dict[str, str]]:
    servers = project.config.inventory.dns_servers
    found = await asyncio.gather(*(_answer(project, str(d.dns), s) for s in services for d in servers))
    out: dict[str, dict[str, str]] = {}
    pairs = [(s.name, d.name) for s in services for d in servers]
    for (service, server), answer in zip(pairs, found, strict=True):
        out.setdefault(service, {})[server] = answer
    return out


async def _healthy(services: list[Service]) -> dict[str, bool]:
    from cockpit.adapters import health
    from cockpit.adapters.httpbase import async_client

    targets = [
        health.Target(
            s.health.scheme,
            str(s.v3),
            s.health.effective_port,
            s.health.path,
            s.hostname,
            s.health.expect_status,
        )
        for s in services
    ]
    async with async_client("board health") as client:
        results = await health.check_many(client, targets, timeout=LOOKUP_TIMEOUT_S)
    return {s.name: r.ok for s, r in zip(services, results, strict=True)}


def live(project: Project, rows: list[ServiceRow], drift: dict[str, list[str] | None]) -> list[ServiceRow]:
    """The rows completed with DNS answers, v3 health and drift (blocking: call it from a worker)."""
    if project.config.inventory.example:
        return rows
    services = [s for s in project.config.inventory.services if s.cutover == "dns"]

    async def both() -> tuple[dict[str, dict[str, str]], dict[str, bool]]:
        return await asyncio.gather(_answers(project, services), _healthy(services))

    answers, healthy = asyncio.run(both())
    return [
        replace(r, answers=answers.get(r.name), v3_healthy=healthy.get(r.name), drift=drift.get(r.name))
        for r in rows
    ]
