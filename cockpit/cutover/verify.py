"""Provides verification: every DNS server answers the expected address, then the target is healthy.

Each DNS server is asked directly (a bounded wait: the rewrite TTL plus a margin, polled), then
the address the servers answered is checked over HTTP with the service's Host header until it
has been healthy a configured number of times in a row, or has failed too often. An answer that
could not be had is not a pass.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pydantic import BaseModel

from cockpit.adapters import dns as dns_adapter
from cockpit.adapters import health
from cockpit.adapters.httpbase import async_client
from cockpit.errors import CockpitError
from cockpit.models.inventory import CutoverSettings, DnsServer, Service


class Verification(BaseModel):
    """What verification saw: each server's answer per name, and the HTTP checks."""

    ok: bool
    stage: str  # "dns", "http" or "done"
    answers: dict[str, dict[str, Any]] = {}
    http: list[dict[str, Any]] = []
    reason: str = ""


async def _answers(servers: list[DnsServer], hostnames: list[str], address: str, timeout: float) -> dict:
    rdtype = "AAAA" if ":" in address else "A"

    async def one(server: DnsServer, name: str) -> tuple[str, str, Any]:
        try:
            result = await dns_adapter.query(str(server.dns), name, rdtype, timeout=timeout)  # type: ignore[arg-type]
        except CockpitError as exc:
            return server.name, name, f"error: {exc}"
        return server.name, name, ("NXDOMAIN" if result.nxdomain else result.addresses)

    found: dict[str, dict[str, Any]] = {}
    for server, name, answer in await asyncio.gather(*(one(s, n) for s in servers for n in hostnames)):
        found.setdefault(server, {})[name] = answer
    return found


async def wait_for_dns(
    servers: list[DnsServer], hostnames: list[str], address: str, settings: CutoverSettings
) -> tuple[bool, dict]:
    """Poll every server until each answers every name with exactly `address`, or the wait is over."""
    deadline = time.monotonic() + settings.dns_wait_s
    while True:
        answers = await _answers(servers, hostnames, address, settings.dns_timeout_s)
        if all(answer == [address] for by_name in answers.values() for answer in by_name.values()):
            return True, answers
        if time.monotonic() >= deadline:
            return False, answers
        await asyncio.sleep(settings.dns_poll_s)


async def check_http(
    service: Service, address: str, settings: CutoverSettings
) -> tuple[bool, list[dict], str]:
    """Consecutive healthy answers from `address` with the service's Host header; too many failures fail."""
    successes = failures = 0
    seen: list[dict] = []
    async with async_client("verification") as http:
        while successes < settings.http_successes:
            result = await health.check(
                http,
                scheme=service.health.scheme,
                address=address,
                port=service.health.effective_port,
                path=service.health.path,
                hostname=service.hostname,
                expect=service.health.expect_status,
                timeout=settings.http_timeout_s,
            )
            seen.append(
                {
                    "url": result.url,
                    "status": result.status,
                    "ok": result.ok,
                    "error": result.error,
                    "latency_ms": result.latency_ms,
                }
            )
            if result.ok:
                successes += 1
            else:
                successes, failures = 0, failures + 1
                if failures >= settings.http_failures:
                    why = result.error or f"status {result.status}"
                    return False, seen, f"{service.hostname} at {address} failed {failures} time(s): {why}"
            if successes < settings.http_successes and settings.http_interval_s:
                await asyncio.sleep(settings.http_interval_s)
    return True, seen, ""


async def verify(
    service: Service, servers: list[DnsServer], address: str, settings: CutoverSettings, *, http: bool = True
) -> Verification:
    ok, answers = await wait_for_dns(servers, list(service.hostnames), address, settings)
    if not ok:
        wrong = [f"{s}: {n} -> {a}" for s, by in answers.items() for n, a in by.items() if a != [address]]
        return Verification(
            ok=False,
            stage="dns",
            answers=answers,
            reason=f"DNS did not answer {address} within {settings.dns_wait_s:g} s: " + "; ".join(wrong),
        )
    if not http:
        return Verification(ok=True, stage="done", answers=answers)
    healthy, seen, why = await check_http(service, address, settings)
    return Verification(
        ok=healthy, stage="done" if healthy else "http", answers=answers, http=seen, reason=why
    )
