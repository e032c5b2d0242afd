"""Provides the evaluators that ask the NUT server: nut.ups_status and nut.clients.

Both ask upsd at the inventory's `[nut]` address over one short connection. Something that
answered wrong is a `fail`; a upsd that could not be asked (down, refusing, driver gone) is an
`error`; neither is ever a pass.
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any

from cockpit.adapters.nut import NutClient, UpsStatus
from cockpit.checks.context import CheckContext, Evaluator, result
from cockpit.errors import CockpitError
from cockpit.models.checks import NutClients, NutUpsStatus
from cockpit.models.inventory import Host, Nut
from cockpit.models.phases import Criterion
from cockpit.project import Project
from cockpit.results import CheckResult, Outcome
from cockpit.secrets import resolve_secret


def _nut(project: Project) -> Nut:
    nut = project.config.inventory.nut
    if nut is None:
        raise CockpitError(
            f"no [nut] section in {project.config.source.path}: nut checks need upsd's address and UPS name"
        )
    return nut


def client_for(project: Project) -> NutClient:
    """A client for the inventory's upsd, its password resolved beside the config (never logged)."""
    nut = _nut(project)
    password = resolve_secret(nut.password, project.config.base_dir) if nut.password is not None else None
    return NutClient(str(nut.address), username=nut.username, password=password)


def _observed(status: UpsStatus) -> dict[str, Any]:
    return {
        "ups": status.ups,
        "status": status.raw,
        "flags": status.flags,
        "battery.charge": status.battery_charge,
        "battery.runtime": status.battery_runtime,
    }


def _judge(check: NutUpsStatus, status: UpsStatus) -> tuple[Outcome, list[str]]:
    """Every expected flag present, no forbidden one, and enough runtime when a minimum is asked."""
    problems = [f"{flag} missing" for flag in check.expect if flag not in status.flags]
    problems += [f"{flag} present" for flag in check.forbid if flag in status.flags]
    if check.min_runtime_s is not None:
        runtime = status.battery_runtime
        if runtime is None:
            outcome: Outcome = "fail" if problems else "inconclusive"
            return outcome, [*problems, "the UPS reports no battery.runtime"]
        if runtime < check.min_runtime_s:
            problems.append(f"runtime {runtime:g} s under {check.min_runtime_s} s")
    return ("fail" if problems else "pass"), problems


async def evaluate_ups_status(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """The UPS reports the expected flags (OL), none of the forbidden ones, and enough runtime."""
    check = criterion.check
    assert isinstance(check, NutUpsStatus)
    nut = _nut(ctx.project)
    ups = check.ups or nut.ups
    expected = check.model_dump(mode="json", exclude={"type", "ups"}, exclude_none=True)
    evidence = f"LIST VAR {ups} at upsd {nut.address}"
    try:
        async with client_for(ctx.project) as client:
            status = await client.ups_status(ups)
    except CockpitError as exc:  # an adapter error, the loopback guard, an unreadable secret
        return result(criterion, ctx, "error", expected=expected, evidence=evidence, detail=str(exc))
    outcome, problems = _judge(check, status)
    evidence += f': ups.status "{status.raw}"'
    if status.battery_runtime is not None:
        evidence += f", battery.runtime {status.battery_runtime:g} s"
    return result(
        criterion,
        ctx,
        outcome,
        observed=_observed(status),
        expected=expected,
        evidence=evidence,
        detail="; ".join(problems),
    )


def _hosts(ctx: CheckContext, refs: list[str]) -> list[Host]:
    hosts: dict[str, Host] = {}
    for ref in refs:
        matched = ctx.project.config.hosts_matching(ref)
        if not matched:  # the loader refuses such phases; this guards a hand-made context
            raise CockpitError(f"no host matches '{ref}' in the inventory")
        hosts.update((host.name, host) for host in matched)
    return list(hosts.values())


def _same_address(listed: str) -> str:
    """upsd prints a client as inet_ntop saw it; an IPv4 client of a dual-stack upsd is ::ffff:a.b.c.d."""
    try:
        address = ip_address(listed)
    except ValueError:
        return listed
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


async def evaluate_clients(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """Every listed host is logged in to upsd as a client of the UPS (its upsmon did LOGIN)."""
    check = criterion.check
    assert isinstance(check, NutClients)
    nut = _nut(ctx.project)
    ups = check.ups or nut.ups
    hosts = _hosts(ctx, check.hosts)
    expected = {host.name: str(host.address) for host in hosts}
    evidence = f"LIST CLIENT {ups} at upsd {nut.address}"
    try:
        async with client_for(ctx.project) as client:
            listed = await client.list_clients(ups)
    except CockpitError as exc:  # an adapter error, the loopback guard, an unreadable secret
        return result(criterion, ctx, "error", expected=expected, evidence=evidence, detail=str(exc))
    seen = {_same_address(address) for address in listed}
    missing = [f"{name} ({address})" for name, address in expected.items() if address not in seen]
    return result(
        criterion,
        ctx,
        "fail" if missing else "pass",
        observed=listed,
        expected=expected,
        evidence=f"{evidence}: {', '.join(listed) or 'no clients'}",
        detail=f"not logged in: {', '.join(missing)}" if missing else "",
    )


EVALUATORS: dict[str, Evaluator] = {
    "nut.ups_status": evaluate_ups_status,
    "nut.clients": evaluate_clients,
}
