"""Provides the evaluators that ask Proxmox VE: boot mirror, node online, cluster quorum, guest running.

Each builds its own client (proxmoxer's session is not shared across threads) and runs the blocking
calls in `asyncio.to_thread`. What was seen is a `fail` when it contradicts the criterion; a call
that could not be made (node unreachable, token refused, TLS refused) is an `error`. Neither is a pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from cockpit.adapters.errors import AdapterError, NotFound
from cockpit.adapters.proxmox import ClusterStatus, Guest, Node, ProxmoxClient, ZfsPool
from cockpit.checks.context import CheckContext, Evaluator, result
from cockpit.errors import CockpitError
from cockpit.models.checks import (
    ProxmoxClusterQuorate,
    ProxmoxGuestRunning,
    ProxmoxNodeOnline,
    ProxmoxZfsMirror,
)
from cockpit.models.phases import Criterion
from cockpit.project import Project
from cockpit.results import CheckResult, Outcome
from cockpit.secrets import resolve_secret

T = TypeVar("T")


def client_for(project: Project) -> ProxmoxClient:
    """A client for the inventory's [proxmox] section (its secret resolved, relative paths from the config)."""
    config = project.config
    section = config.inventory.proxmox
    if section is None:
        raise CockpitError(f"no [proxmox] section in {config.source.path}")
    secret = resolve_secret(section.token_secret, config.base_dir)
    ca_file = section.tls.ca_file
    if ca_file is not None:
        ca_file = ca_file.expanduser()
        ca_file = ca_file if ca_file.is_absolute() else config.base_dir / ca_file
    return ProxmoxClient(
        section.api_url,
        section.token_id,
        secret,
        ca_file=ca_file,
        fingerprint=section.tls.pinned,
        insecure=section.tls.insecure,
    )


async def _ask(project: Project, question: Callable[[ProxmoxClient], T]) -> T:
    """Build a client, ask, close it: all in one worker thread."""

    def work() -> T:
        with client_for(project) as client:
            return question(client)

    return await asyncio.to_thread(work)


def _names(ctx: CheckContext, ref: str) -> list[str]:
    """The inventory hosts a reference names; their names are the Proxmox node and guest names."""
    return [host.name for host in ctx.project.config.hosts_matching(ref)]


def _evidence(ctx: CheckContext, asked: str) -> str:
    section = ctx.project.config.inventory.proxmox
    return f"{asked} at {section.api_url if section else 'Proxmox VE'}"


def _unasked(
    criterion: Criterion, ctx: CheckContext, exc: AdapterError, expected: Any, asked: str
) -> CheckResult:
    return result(criterion, ctx, "error", expected=expected, evidence=_evidence(ctx, asked), detail=str(exc))


# -- proxmox.zfs_mirror ------------------------------------------------------------------------


def _mirror_problem(pool: ZfsPool, min_disks: int) -> str | None:
    """Why the pool is no healthy mirror of `min_disks` disks, or None when it is one."""
    mirrors = [v for v in pool.vdevs if v.kind == "mirror"]
    if not mirrors:
        return f"{pool.name} is not a mirror ({pool.describe()})"
    unmirrored = [v.name for v in pool.vdevs if v.kind != "mirror"]
    if unmirrored:  # a disk striped beside the mirror: losing it loses the pool
        return f"{pool.name} also stripes data over {', '.join(unmirrored)} ({pool.describe()})"
    if pool.state != "ONLINE":
        return f"{pool.name} is {pool.state}: {pool.status or pool.describe()}"
    for vdev in mirrors:
        online = [d for d in vdev.disks if d.state == "ONLINE"]
        if vdev.state != "ONLINE" or len(online) < min_disks:
            return f"{vdev.name} has {len(online)} of {min_disks} disks ONLINE ({pool.describe()})"
    return None


async def evaluate_zfs_mirror(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """The node's pool is ONLINE and every mirror vdev has at least `min_disks` ONLINE disks."""
    check = criterion.check
    assert isinstance(check, ProxmoxZfsMirror)
    nodes = _names(ctx, check.node)
    expected = {"nodes": nodes, "pool": check.pool, "layout": f"mirror of >= {check.min_disks} ONLINE disks"}
    asked = f"GET /nodes/{'{' + ','.join(nodes) + '}' if len(nodes) > 1 else ''.join(nodes)}/disks/zfs/{check.pool}"

    def look(client: ProxmoxClient) -> dict[str, ZfsPool | None]:
        pools: dict[str, ZfsPool | None] = {}
        for node in nodes:
            try:
                pools[node] = client.zfs_pool(node, check.pool)
            except NotFound:
                pools[node] = None
        return pools

    try:
        pools = await _ask(ctx.project, look)
    except AdapterError as exc:
        return _unasked(criterion, ctx, exc, expected, asked)
    observed: dict[str, Any] = {}
    problems: list[str] = []
    for node, pool in pools.items():
        if pool is None:
            observed[node] = None
            problems.append(f"{node} has no pool '{check.pool}'")
            continue
        observed[node] = {"state": pool.state, "layout": pool.describe(), "errors": pool.errors}
        if (problem := _mirror_problem(pool, check.min_disks)) is not None:
            problems.append(f"{node}: {problem}")
    outcome: Outcome = "fail" if problems or not nodes else "pass"
    detail = "; ".join(problems) or ("no node matches" if not nodes else "")
    return result(
        criterion,
        ctx,
        outcome,
        observed=observed,
        expected=expected,
        evidence=_evidence(ctx, asked),
        detail=detail,
    )


# -- proxmox.node_online -----------------------------------------------------------------------


async def evaluate_node_online(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """Every node the reference names is listed by the cluster as online."""
    check = criterion.check
    assert isinstance(check, ProxmoxNodeOnline)
    wanted = _names(ctx, check.node)
    expected = {name: "online" for name in wanted}
    try:
        listed: list[Node] = await _ask(ctx.project, lambda client: client.nodes())
    except AdapterError as exc:
        return _unasked(criterion, ctx, exc, expected, "GET /nodes")
    status = {node.node: node.status for node in listed}
    observed = {name: status.get(name, "not a cluster member") for name in wanted}
    down = [f"{name} is {state}" for name, state in observed.items() if state != "online"]
    outcome: Outcome = "fail" if down or not wanted else "pass"
    return result(
        criterion,
        ctx,
        outcome,
        observed=observed,
        expected=expected,
        evidence=_evidence(ctx, "GET /nodes"),
        detail="; ".join(down) or ("no node matches" if not wanted else ""),
    )


# -- proxmox.cluster_quorate -------------------------------------------------------------------


async def evaluate_cluster_quorate(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """The cluster is quorate and has at least `min_nodes` nodes online."""
    check = criterion.check
    assert isinstance(check, ProxmoxClusterQuorate)
    expected: dict[str, Any] = {"quorate": True}
    if check.min_nodes is not None:
        expected["min_nodes_online"] = check.min_nodes
    try:
        status: ClusterStatus = await _ask(ctx.project, lambda client: client.cluster_status())
    except AdapterError as exc:
        return _unasked(criterion, ctx, exc, expected, "GET /cluster/status")
    observed = {
        "cluster": status.name,
        "quorate": status.quorate,
        "nodes_online": status.nodes_online,
        "nodes_total": status.nodes_total,
        "offline": [m.name for m in status.members if not m.online],
    }
    problems = []
    if not status.clustered:
        problems.append("a standalone node: no cluster has been created")
    elif not status.quorate:
        problems.append(
            f"{status.name} is not quorate ({status.nodes_online} of {status.nodes_total} nodes online)"
        )
    if check.min_nodes is not None and status.nodes_online < check.min_nodes:
        problems.append(f"{status.nodes_online} nodes online, {check.min_nodes} required")
    return result(
        criterion,
        ctx,
        "fail" if problems else "pass",
        observed=observed,
        expected=expected,
        evidence=_evidence(ctx, "GET /cluster/status"),
        detail="; ".join(problems),
    )


# -- proxmox.guest_running ---------------------------------------------------------------------


def _guest_problem(name: str, found: list[Guest], kind: str | None, nodes: list[str] | None) -> str | None:
    candidates = [g for g in found if (kind is None or g.kind == kind) and (nodes is None or g.node in nodes)]
    if not candidates:
        where = f" on {', '.join(nodes)}" if nodes is not None else ""
        return f"{name}: no {kind or 'guest'} of that name{where}"
    stopped = [g for g in candidates if not g.running]
    if stopped and len(stopped) == len(candidates):
        return f"{name}: {stopped[0].label} is {stopped[0].status}"
    return None


async def evaluate_guest_running(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """Every guest the reference names exists (of the kind, on the node, when given) and is running."""
    check = criterion.check
    assert isinstance(check, ProxmoxGuestRunning)
    names = _names(ctx, check.guest)
    nodes = _names(ctx, check.node) if check.node is not None else None
    expected: dict[str, Any] = {"guests": names, "status": "running"}
    expected.update({k: v for k, v in (("kind", check.kind), ("nodes", nodes)) if v is not None})

    def look(client: ProxmoxClient) -> tuple[list[Guest], list[str]]:
        listed = client.nodes()
        return client.guests(), [n.node for n in listed if not n.online]

    try:
        guests, offline = await _ask(ctx.project, look)
    except AdapterError as exc:
        return _unasked(criterion, ctx, exc, expected, "GET /nodes/{node}/qemu and /lxc")
    by_name = {name: [g for g in guests if g.name == name] for name in names}
    observed: dict[str, Any] = {
        name: [{"vmid": g.vmid, "kind": g.kind, "node": g.node, "status": g.status} for g in found]
        for name, found in by_name.items()
    }
    problems = [p for name, found in by_name.items() if (p := _guest_problem(name, found, check.kind, nodes))]
    if problems and offline:
        problems.append(f"not asked: {', '.join(offline)} offline")
    outcome: Outcome = "fail" if problems or not names else "pass"
    return result(
        criterion,
        ctx,
        outcome,
        observed=observed,
        expected=expected,
        evidence=_evidence(ctx, "GET /nodes/{node}/qemu and /lxc on the online nodes"),
        detail="; ".join(problems) or ("no guest matches" if not names else ""),
    )


EVALUATORS: dict[str, Evaluator] = {
    "proxmox.zfs_mirror": evaluate_zfs_mirror,
    "proxmox.node_online": evaluate_node_online,
    "proxmox.cluster_quorate": evaluate_cluster_quorate,
    "proxmox.guest_running": evaluate_guest_running,
}
