"""Provides the evaluators that ask the UniFi console: unifi.vlan, unifi.management_vlan, unifi.default_deny.

Each evaluation logs in with the inventory's read-only local account, reads what it needs in a worker
thread (the adapter is synchronous), and logs out. A console that answers with something other than
the design is a `fail`, with each difference named; a console that cannot be asked is an `error`,
never a pass. Subnets are compared as networks: UniFi writes `192.168.10.1/24` (gateway/prefix) for
the network 192.168.10.0/24.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from itertools import permutations
from pathlib import Path
from typing import Any, TypeVar

from cockpit.adapters.errors import AdapterError
from cockpit.adapters.unifi import Endpoint, FirewallPolicy, FlowVerdict, Network, UnifiClient
from cockpit.checks.context import CheckContext, Evaluator, result
from cockpit.errors import CockpitError
from cockpit.models.checks import Flow, UnifiDefaultDeny, UnifiManagementVlan, UnifiVlan
from cockpit.models.phases import Criterion
from cockpit.project import Project
from cockpit.results import CheckResult
from cockpit.secrets import resolve_secret

T = TypeVar("T")


def client_for(project: Project) -> UnifiClient:
    """A client for the inventory's [unifi] console, secrets and CA file resolved beside the config."""
    unifi = project.config.inventory.unifi
    if unifi is None:
        raise CockpitError(
            f"{project.config.source.path} has no [unifi] section: the unifi checks need the console's "
            "api_url, username and password"
        )
    base = project.config.base_dir
    ca_file: Path | None = None
    if unifi.tls.ca_file is not None:
        ca_file = unifi.tls.ca_file.expanduser()
        ca_file = ca_file if ca_file.is_absolute() else base / ca_file
    return UnifiClient(
        unifi.api_url,
        unifi.username,
        resolve_secret(unifi.password, base),
        site=unifi.site,
        ca_file=ca_file,
        fingerprint=unifi.tls.fingerprint,
        insecure=unifi.tls.insecure,
    )


async def _read(client: UnifiClient, read: Callable[[UnifiClient], T]) -> T:
    def work() -> T:
        with client:
            return read(client)

    return await asyncio.to_thread(work)


def _label(network: Network) -> str:
    return f"VLAN {network.vlan} ({network.name})"


def _describe(network: Network) -> dict[str, Any]:
    return {
        "name": network.name,
        "vlan": network.vlan,
        "subnet": str(network.subnet) if network.subnet else None,
        "untagged": network.untagged,
        "purpose": network.purpose,
    }


def _lans(networks: list[Network]) -> list[Network]:
    return [n for n in networks if n.vlan is not None]


# -- unifi.vlan ---------------------------------------------------------------------------------------


def _vlan_findings(check: UnifiVlan, carrying: list[Network], lans: list[Network]) -> list[str]:
    if not carrying:
        seen = ", ".join(f"{n.vlan} {n.name}" for n in lans) or "none"
        return [f"no network carries VLAN {check.vlan} (the console has: {seen})"]
    findings = []
    for network in carrying:
        if network.subnet != check.subnet:
            findings.append(f"{_label(network)} is {network.subnet}, not {check.subnet}")
        if check.name is not None and network.name.strip().casefold() != check.name.strip().casefold():
            findings.append(f"VLAN {network.vlan} is named '{network.name}', not '{check.name}'")
    return findings


async def evaluate_vlan(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """A network carries VLAN `vlan` with exactly subnet `subnet` (and name `name` when given)."""
    check = criterion.check
    assert isinstance(check, UnifiVlan)
    expected = {
        "vlan": check.vlan,
        "subnet": str(check.subnet),
        **({"name": check.name} if check.name else {}),
    }
    client = client_for(ctx.project)
    evidence = f"GET {client.base_url}{client.path('rest/networkconf')}"
    try:
        networks = await _read(client, lambda c: c.networks())
    except AdapterError as exc:
        return result(criterion, ctx, "error", expected=expected, evidence=evidence, detail=str(exc))
    lans = _lans(networks)
    carrying = [n for n in lans if n.vlan == check.vlan]
    findings = _vlan_findings(check, carrying, lans)
    return result(
        criterion,
        ctx,
        "fail" if findings else "pass",
        observed=[_describe(n) for n in carrying] or {"vlans": [_describe(n) for n in lans]},
        expected=expected,
        evidence=f"{evidence}: {len(lans)} networks",
        detail="; ".join(findings),
    )


# -- unifi.management_vlan ----------------------------------------------------------------------------


def _management_findings(check: UnifiManagementVlan, lans: list[Network]) -> list[str]:
    subnet = check.subnet
    findings = []
    for network in lans:
        if network.subnet is None or not network.subnet.overlaps(subnet):
            continue
        if network.untagged:
            findings.append(
                f"{network.subnet} on the untagged {network.name} network (VLAN 1) holds the management "
                f"subnet {subnet}: management must be on tagged VLAN {check.vlan}"
            )
        elif network.vlan != check.vlan:
            findings.append(f"{subnet} is on {_label(network)}, not on VLAN {check.vlan}")
        elif network.subnet != subnet:
            findings.append(f"{_label(network)} is {network.subnet}, not {subnet}")
    if not findings and not any(n.subnet == subnet and n.vlan == check.vlan for n in lans):
        findings.append(f"no network holds the management subnet {subnet}")
    return findings


async def evaluate_management_vlan(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """The management subnet lives on its tagged VLAN, and no untagged (VLAN 1) network holds any of it."""
    check = criterion.check
    assert isinstance(check, UnifiManagementVlan)
    expected = {"vlan": check.vlan, "subnet": str(check.subnet), "untagged": False}
    client = client_for(ctx.project)
    evidence = f"GET {client.base_url}{client.path('rest/networkconf')}"
    try:
        networks = await _read(client, lambda c: c.networks())
    except AdapterError as exc:
        return result(criterion, ctx, "error", expected=expected, evidence=evidence, detail=str(exc))
    lans = _lans(networks)
    holding = [n for n in lans if n.subnet is not None and n.subnet.overlaps(check.subnet)]
    findings = _management_findings(check, lans)
    return result(
        criterion,
        ctx,
        "fail" if findings else "pass",
        observed=[_describe(n) for n in holding],
        expected=expected,
        evidence=f"{evidence}: {len(lans)} networks",
        detail="; ".join(findings),
    )


# -- unifi.default_deny -------------------------------------------------------------------------------


def _ports(ports: tuple[int, ...] | list[int] | None) -> str:
    return "every port" if ports is None else ", ".join(map(str, sorted(ports)))


def _targets(flow: Flow, internal: list[int]) -> list[Endpoint]:
    """A flow's destinations: one VLAN, the internet, or (`any`) every other internal network."""
    if isinstance(flow.destination, int):
        return [flow.destination]
    if flow.destination == "internet":
        return ["internet"]
    return [v for v in internal if v != flow.source]


def _allow_findings(flow: Flow, verdict: FlowVerdict) -> list[str]:
    pair = f"allow {verdict.source} -> {verdict.destination}"
    if not verdict.allowed:
        return [f"{pair}: blocked"]
    if not flow.ports:
        return []
    if verdict.ports is None:
        return [f"{pair}: open on every port, not only {_ports(flow.ports)}"]
    findings = []
    missing, extra = set(flow.ports) - set(verdict.ports), set(verdict.ports) - set(flow.ports)
    if missing:
        findings.append(f"{pair}: not open on {_ports(sorted(missing))}")
    if extra:
        findings.append(f"{pair}: also open on {_ports(sorted(extra))}")
    return findings


class _Review:
    """The findings of one default_deny check, each pair reported once."""

    def __init__(self, check: UnifiDefaultDeny, policy: FirewallPolicy) -> None:
        self.check = check
        self.policy = policy
        self.internal = sorted({f.source for f in policy.flows})
        self.present = [v for v in check.vlans if v in self.internal]
        self.findings: list[str] = []
        self.reported: set[tuple[int, Endpoint]] = set()

    def run(self) -> list[str]:
        missing = [v for v in self.check.vlans if v not in self.internal]
        self.findings += [f"VLAN {v} is not a routed network on the console" for v in missing]
        self.default()
        for flow in self.check.allow:
            for target in _targets(flow, self.internal):
                verdict = self.policy.verdict(flow.source, target)
                if verdict is not None:
                    self.findings += _allow_findings(flow, verdict)
                    self.reported.add((flow.source, target))
        for flow in self.check.deny:
            for target in _targets(flow, self.internal):
                self.deny(flow.source, target)
        self.extras()
        return self.findings

    def default(self) -> None:
        open_pairs = [
            f"{a} -> {b}"
            for a, b in permutations(self.present, 2)
            if (v := self.policy.verdict(a, b)) is not None and v.fallback != "deny"
        ]
        if open_pairs:
            self.findings.append(f"not denied by default (no block covers them): {', '.join(open_pairs)}")

    def deny(self, source: int, target: Endpoint) -> None:
        verdict = self.policy.verdict(source, target)
        if verdict is not None and verdict.allowed:
            rules = ", ".join(verdict.rules)
            self.findings.append(f"deny {source} -> {target}: allowed on {_ports(verdict.ports)} by {rules}")
        self.reported.add((source, target))

    def extras(self) -> None:
        for a, b in permutations(self.present, 2):
            verdict = self.policy.verdict(a, b)
            if verdict is not None and verdict.allowed and (a, b) not in self.reported:
                rules = ", ".join(verdict.rules)
                self.findings.append(f"extra allow {a} -> {b} on {_ports(verdict.ports)} by {rules}")


def _observed(check: UnifiDefaultDeny, policy: FirewallPolicy) -> dict[str, Any]:
    wanted = set(check.vlans) | {f.source for f in [*check.allow, *check.deny]}
    flows = [
        {
            "from": f.source,
            "to": f.destination,
            "allowed": f.allowed,
            "ports": "all" if f.ports is None else list(f.ports),
            "default": f.fallback,
            "rules": list(f.rules),
        }
        for f in policy.flows
        if f.source in wanted and (f.destination in wanted or f.destination == "internet")
    ]
    return {"api": policy.api, "default": policy.default, "flows": flows}


async def evaluate_default_deny(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """Inter-VLAN traffic among `vlans` is denied by default; exactly the listed flows are allowed."""
    check = criterion.check
    assert isinstance(check, UnifiDefaultDeny)
    expected = check.model_dump(mode="json", by_alias=True, exclude={"type"})
    client = client_for(ctx.project)
    evidence = f"GET {client.base_url}{client.path('rest/networkconf')} and the firewall"
    try:
        policy = await _read(client, lambda c: c.firewall())
    except AdapterError as exc:
        return result(criterion, ctx, "error", expected=expected, evidence=evidence, detail=str(exc))
    findings = _Review(check, policy).run()
    source = (
        f"{policy.rule_count} zone-based policies ({client.path('firewall-policies', v2=True)})"
        if policy.api == "zone"
        else f"{policy.rule_count} legacy rules ({client.path('rest/firewallrule')})"
    )
    return result(
        criterion,
        ctx,
        "fail" if findings else "pass",
        observed=_observed(check, policy),
        expected=expected,
        evidence=f"read {source} from {client.base_url}",
        detail="; ".join(findings),
    )


EVALUATORS: dict[str, Evaluator] = {
    "unifi.vlan": evaluate_vlan,
    "unifi.management_vlan": evaluate_management_vlan,
    "unifi.default_deny": evaluate_default_deny,
}
