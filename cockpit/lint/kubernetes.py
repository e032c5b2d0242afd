"""Provides the Kubernetes rules: sandbox first, the ARR stack stays in Docker, the IdP outside.

A service is on Kubernetes when its `platform` says so; a move that `follows` an earlier one is
the same application, so it inherits the earlier move's shares and its place (the IdP's VM).
"""

from __future__ import annotations

from collections.abc import Iterator

from cockpit.lint.facts import KUBERNETES_PHASE, Facts
from cockpit.lint.finding import Hit, Rule
from cockpit.models.inventory import Service

OPEN = ("active", "complete")


def _production(facts: Facts) -> list[Service]:
    return [s for s in facts.on_kubernetes() if s.production]


def _planned_before_sandbox(facts: Facts) -> Iterator[Hit]:
    for service in _production(facts):
        if service.phase >= KUBERNETES_PHASE:
            continue
        yield Hit(
            subject=service.name,
            subject_kind="service",
            message=(
                f"{service.name} is a production service planned on Kubernetes in phase {service.phase}, "
                f"before the phase {KUBERNETES_PHASE} sandbox has proven the cluster."
            ),
            fix=(
                f"Plan {service.name} on Docker or its own VM now, and add a separate move to Kubernetes "
                f'(follows = "{service.name}") in phase {KUBERNETES_PHASE}, after the sandbox and '
                "learning drills."
            ),
            phase=service.phase,
        )


def _opened_early(facts: Facts) -> Iterator[Hit]:
    """With the store's states: a production move is open while a phase before the sandbox is not complete."""
    states = facts.phase_states
    if states is None:
        return
    unfinished = sorted(p for p, state in states.items() if p < KUBERNETES_PHASE and state != "complete")
    if not unfinished:
        return
    for service in _production(facts):
        if service.phase < KUBERNETES_PHASE or states.get(service.phase) not in OPEN:
            continue
        yield Hit(
            subject=service.name,
            subject_kind="service",
            message=(
                f"Phase {service.phase} is open, so the production move {service.name} to Kubernetes may "
                f"start, but phase {', '.join(map(str, unfinished))} is not complete: the sandbox cannot "
                f"have been proven on a base that is not yet stable."
            ),
            fix=(
                f"Complete phase {', '.join(map(str, unfinished))} first, then run the sandbox and its "
                f"learning drills; move {service.name} only after them."
            ),
            phase=service.phase,
        )


def _sandbox_first(facts: Facts) -> Iterator[Hit]:
    yield from _planned_before_sandbox(facts)
    yield from _opened_early(facts)


def _no_states(facts: Facts) -> str | None:
    if facts.phase_states is not None or not _production(facts):
        return None
    return "phase states not given: production moves to Kubernetes were checked against the plan only"


PRODUCTION_BEFORE_SANDBOX = Rule(
    id="k8s-production-before-sandbox",
    severity="error",
    principle="kubernetes-ready",
    quotes=(
        "Production services do not migrate to Kubernetes until the cluster is proven stable in an "
        "isolated sandbox environment.",
        "Rejected. Production-first k8s migration has high blast radius. v3 requires sandbox-first approach.",
    ),
    phase=KUBERNETES_PHASE,
    summary="Kubernetes production workloads before the sandbox phase is done",
    check=_sandbox_first,
    gap=_no_states,
)


def _hardlink_users(facts: Facts) -> Iterator[Hit]:
    for service in facts.on_kubernetes():
        downloads = [s.name for s in facts.shares_of(service) if "downloads" in s.purpose]
        if not downloads:
            continue
        yield Hit(
            subject=service.name,
            subject_kind="service",
            message=(
                f"{service.name} is planned on Kubernetes but mounts the downloads in share "
                f"{', '.join(downloads)}: in the cluster its volumes become separate mounts, and hardlinks "
                "and atomic moves fail across them."
            ),
            fix=(
                f"Keep {facts.chain(service)[-1].name} on the Docker VM with downloads and media in one "
                f"mount: drop the Kubernetes plan of {service.name} and write the non-migration in the "
                "decisions log."
            ),
            phase=service.phase,
        )


ARR_ON_KUBERNETES = Rule(
    id="arr-on-kubernetes",
    severity="error",
    principle="hardlinks",
    quotes=(
        "Intentional non-migration \u2014 ARR stack and torrent services stay in Docker "
        "(hardlinks don\u2019t translate well to k8s)",
        "ARR stack and qBittorrent depend on atomic moves and hardlinks",
    ),
    phase=KUBERNETES_PHASE,
    summary="a service the seed keeps in Docker (the ARR stack, torrents) planned for Kubernetes",
    check=_hardlink_users,
)


def _idp_moves_in(facts: Facts) -> Iterator[Hit]:
    for service in facts.on_kubernetes():
        earlier = facts.chain(service)[1:]
        places = [service.v2, *(move.v3 for move in earlier)]
        idp = next((h for a in places for h in facts.hosts_at(a) if h.role == "idp"), None)
        if idp is None:
            continue
        yield Hit(
            subject=service.name,
            subject_kind="service",
            message=(
                f"{service.name} moves the identity provider from {idp.name} into the cluster. The seed "
                "lists Authentik for the selective migration but also keeps the IdP outside the "
                "cluster: if the cluster needs it to start or to be repaired, the loop locks you out."
            ),
            fix=(
                f"Move it last, and first prove that k3s, kubectl, Proxmox and the NAS all work with local "
                f"break-glass accounts while it is down; keep {idp.name} as the rollback until you finalize, "
                "and write the decision in the decisions log."
            ),
            phase=service.phase,
        )


IDP_IN_CLUSTER = Rule(
    id="idp-in-cluster",
    severity="warning",
    principle="kubernetes-ready",
    quotes=(
        "IdP runs outside the cluster, avoiding bootstrapping circular dependencies",
        "Selective migration \u2014 Move services that benefit from k8s (Immich, Authentik, monitoring)",
    ),
    phase=KUBERNETES_PHASE,
    summary="the identity provider (Authentik) moves into the cluster",
    check=_idp_moves_in,
)

RULES = (PRODUCTION_BEFORE_SANDBOX, ARR_ON_KUBERNETES, IDP_IN_CLUSTER)
