"""Provides the evaluators that ask the network: dns.resolves and http.ok.

A mismatch seen on any server is a `fail` (something answered, and answered wrong); a server
that could not be asked makes the result an `error`, never a pass.
"""

from __future__ import annotations

import asyncio
from ipaddress import ip_address
from typing import Any

from cockpit.adapters import dns as dns_adapter
from cockpit.adapters import health
from cockpit.adapters.errors import AdapterError
from cockpit.checks.context import CheckContext, result
from cockpit.errors import CockpitError
from cockpit.models.checks import DnsResolves, HttpOk
from cockpit.models.inventory import DnsServer, Service
from cockpit.models.phases import Criterion
from cockpit.results import CheckResult, Outcome


def _service(ctx: CheckContext, name: str) -> Service:
    service = ctx.project.config.service(name)
    if service is None:  # the loader refuses such phases; this guards a hand-made context
        raise CockpitError(f"no service named '{name}' in the inventory")
    return service


def _dns_subject(ctx: CheckContext, check: DnsResolves) -> tuple[list[str], list[str]]:
    if check.service is not None:
        service = _service(ctx, check.service)
        address = service.v2 if check.target == "v2" else service.v3
        return list(service.hostnames), [str(address)]
    assert check.name is not None
    return [check.name], sorted(check.expect)


async def _ask(server: DnsServer, name: str, rdtype: str) -> tuple[DnsServer, str, list[str] | str]:
    try:
        answer = await dns_adapter.query(str(server.dns), name, rdtype)  # type: ignore[arg-type]
    except (AdapterError, CockpitError) as exc:
        return server, name, str(exc)
    if answer.nxdomain:
        return server, name, []
    return server, name, answer.addresses


async def evaluate_dns_resolves(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """Each DNS server, asked directly, answers each name with exactly the expected addresses."""
    check = criterion.check
    assert isinstance(check, DnsResolves)
    names, expected = _dns_subject(ctx, check)
    servers = [
        s for s in ctx.project.config.inventory.dns_servers if not check.servers or s.name in check.servers
    ]
    if not servers:
        return result(criterion, ctx, "error", expected=expected, detail="no DNS server is configured")
    types = sorted({"A" if ip_address(a).version == 4 else "AAAA" for a in expected})
    answers = await asyncio.gather(*(_ask(s, n, t) for s in servers for n in names for t in types))
    observed: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    for server, name, found in answers:
        current = observed.setdefault(server.name, {}).setdefault(
            name, [] if not isinstance(found, str) else found
        )
        if isinstance(found, str):
            failures.append(f"{server.name}: {found}")
        elif isinstance(current, list):
            current.extend(found)
    mismatched = [
        f"{server}: {name} -> {', '.join(got) or 'nothing'}"
        for server, by_name in observed.items()
        for name, got in by_name.items()
        if isinstance(got, list) and sorted(got) != expected
    ]
    outcome: Outcome = "fail" if mismatched else "error" if failures else "pass"
    detail = "; ".join(mismatched + failures)
    evidence = "; ".join(f"{s.name} ({s.dns})" for s in servers)
    return result(
        criterion,
        ctx,
        outcome,
        observed=observed,
        expected={"addresses": expected, "names": names},
        evidence=f"asked {evidence}",
        detail=detail,
    )


async def evaluate_http_ok(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """The endpoint answers with a status in the expected range (a service: by address, with its Host header)."""
    check = criterion.check
    assert isinstance(check, HttpOk) and ctx.http is not None
    if check.url is not None:
        from urllib.parse import urlsplit

        parts = urlsplit(check.url)
        seen = await health.check(
            ctx.http,
            scheme=parts.scheme,
            address=parts.hostname or "",
            port=parts.port or (443 if parts.scheme == "https" else 80),
            path=parts.path or "/",
            hostname=parts.hostname or "",
            expect=check.expect_status,
        )
        expect = check.expect_status
    else:
        service = _service(ctx, check.service or "")
        address = service.v2 if check.target == "v2" else service.v3
        expect = (
            check.expect_status if "expect_status" in check.model_fields_set else service.health.expect_status
        )
        seen = await health.check(
            ctx.http,
            scheme=service.health.scheme,
            address=str(address),
            port=service.health.effective_port,
            path=service.health.path,
            hostname=service.hostname,
            expect=expect,
        )
    outcome: Outcome = "pass" if seen.ok else ("error" if seen.status is None else "fail")
    observed = seen.status if seen.status is not None else seen.error
    return result(
        criterion,
        ctx,
        outcome,
        observed=observed,
        expected=f"status {expect[0]}-{expect[1]}",
        evidence=f"GET {seen.url} Host: {seen.host_header} -> {observed} in {seen.latency_ms:.0f} ms",
        detail=seen.error or "",
    )
