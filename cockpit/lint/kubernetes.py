"""Provides the Kubernetes rules: sandbox first, the ARR stack stays in Docker, the IdP outside.

A service is on Kubernetes when its `platform` says so; a move that `follows` an earlier one is
the same application, so it inherits the earlier move's shares and its place (the IdP's VM). A
service whose platform is not stated is not guessed at: the rules say they could not check it.

Sandbox first is checked three ways: in the plan (a production service on Kubernetes owned by a
phase before 6), against the phases' states (a production move's phase open while an earlier
phase is not complete), and against the store's progress (a production move cut over while the
phase 6 sandbox, as its phase file defines it, is still open: see `cockpit.lint.sandbox`).
"""

from __future__ import annotations

from collections.abc import Iterator

from cockpit.lint.facts import KUBERNETES_PHASE, Facts
from cockpit.lint.finding import Hit, Rule
from cockpit.lint.words import counted, join, phases, verb
from cockpit.models.inventory import Service

OPEN = ("active", "complete")
# The cutover states in which a move has happened or is happening: the name answers the cluster.
MOVED = {
    "cutting_over": "being cut over",
    "verifying": "cut over (being verified)",
    "cut_over": "cut over",
    "finalized": "cut over and finalized",
}


def _production(facts: Facts) -> list[Service]:
    return [s for s in facts.on_kubernetes() if s.production]


def _moves(facts: Facts) -> list[Service]:
    """The production services on Kubernetes that phase 6 (or later) owns: the cluster moves."""
    return [s for s in _production(facts) if s.phase >= KUBERNETES_PHASE]


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


def _unfinished(facts: Facts) -> list[int]:
    states = facts.phase_states or {}
    return sorted(p for p, state in states.items() if p < KUBERNETES_PHASE and state != "complete")


def _opened_early(facts: Facts) -> Iterator[Hit]:
    """With the store's states: a production move is open while a phase before the sandbox is not complete."""
    states = facts.phase_states
    unfinished = _unfinished(facts)
    if states is None or not unfinished:
        return
    earlier = phases(unfinished)
    for service in _moves(facts):
        if states.get(service.phase) not in OPEN:
            continue
        yield Hit(
            subject=service.name,
            subject_kind="service",
            message=(
                f"Phase {service.phase} is open, so the production move {service.name} to Kubernetes may "
                f"start, but {earlier} {verb(len(unfinished), 'is', 'are')} not complete: the sandbox "
                "cannot have been proven on a base that is not yet stable."
            ),
            fix=(
                f"Complete {earlier} first, then run the sandbox and its learning drills; move "
                f"{service.name} only after them."
            ),
            phase=service.phase,
        )


def _open_sandbox(facts: Facts) -> tuple[list[str], list[str]] | None:
    """The sandbox's tasks not done and exit criteria not passed; None when that cannot be known."""
    progress, sandbox = facts.progress, facts.sandbox
    if progress is None or sandbox is None:
        return None
    done = progress.tasks_done.get(sandbox.phase, frozenset())
    passed = progress.criteria_passed.get(sandbox.phase, frozenset())
    return (
        [t for t in sandbox.tasks or () if t not in done],
        [c for c in sandbox.criteria or () if c not in passed],
    )


def _what_is_open(tasks: list[str], criteria: list[str]) -> str:
    parts = []
    if tasks:
        parts.append(f"{counted('task', tasks)} {verb(len(tasks), 'is', 'are')} not done")
    if criteria:
        parts.append(
            f"{counted('exit criterion', criteria, 'exit criteria')} "
            f"{verb(len(criteria), 'has', 'have')} not passed"
        )
    return join(parts)


def _how_to_close(phase: int, tasks: list[str], criteria: list[str], manual: frozenset[str]) -> str:
    steps = [f"cockpit task done {phase}.{t} --note '...'" for t in tasks]
    steps += [f"cockpit attest {phase}.{c} --evidence '...'" for c in criteria if c in manual]
    if any(c not in manual for c in criteria):
        steps.append(f"cockpit check {phase}")
    return "; ".join(steps)


def _moved_before_sandbox(facts: Facts, skip: set[str]) -> Iterator[Hit]:
    """With the store's progress: a production move cut over while the phase 6 sandbox is still open."""
    progress, sandbox, found = facts.progress, facts.sandbox, _open_sandbox(facts)
    if progress is None or sandbox is None or found is None:
        return
    if progress.phase_states.get(sandbox.phase) == "complete":
        return  # the gate closed on every required task done and every exit criterion passed
    tasks, criteria = found
    if not tasks and not criteria:
        return
    still_open = _what_is_open(tasks, criteria)
    steps = _how_to_close(sandbox.phase, tasks, criteria, sandbox.manual)
    for service in _moves(facts):
        state = progress.cutover_state(service.name)
        if service.name in skip or state not in MOVED:
            continue
        fix = (
            f"{service.name} is finalized and can no longer be rolled back: finish the sandbox work now "
            f"and record it ({steps}), and move nothing else to the cluster before it is proven."
            if state == "finalized"
            else f"Roll {service.name} back (cockpit rollback {service.name}), finish the sandbox work and "
            f"record it ({steps}), then cut it over again."
        )
        yield Hit(
            subject=service.name,
            subject_kind="service",
            message=(
                f"The production service {service.name} is {MOVED[state]} to Kubernetes, but the phase "
                f"{sandbox.phase} sandbox is not proven yet: {still_open}. Production moves wait until "
                "the cluster has proven stable in the sandbox."
            ),
            fix=fix,
            phase=service.phase,
        )


def _sandbox_first(facts: Facts) -> Iterator[Hit]:
    yield from _planned_before_sandbox(facts)
    early = list(_opened_early(facts))
    yield from early
    yield from _moved_before_sandbox(facts, {hit.subject for hit in early})  # one finding per move


def _platform_unknown(facts: Facts) -> str | None:
    unknown = [s.name for s in facts.inventory.services if s.platform is None]
    if not unknown:
        return None
    return (
        f"{counted('service', unknown)}: platform not stated (docker, kubernetes, vm, lxc or "
        f"bare-metal), so whether {verb(len(unknown), 'it runs', 'they run')} on Kubernetes was not checked"
    )


def _progress_unknown(facts: Facts) -> str | None:
    """What the sandbox-first rule could not check for want of the store's progress or the phases."""
    if not _moves(facts):
        return None
    if facts.progress is None:
        if facts.phase_states is None:
            return "phase states not given: production moves to Kubernetes were checked against the plan only"
        return (
            "the store's progress not given (tasks done, criteria passed, cutover states): whether a "
            f"production move to Kubernetes was cut over before the phase {KUBERNETES_PHASE} sandbox "
            "was proven was not checked"
        )
    if facts.progress.phase_states.get(KUBERNETES_PHASE) == "complete":
        return None
    after = "so whether a production move to Kubernetes was cut over before it was proven was not checked"
    sandbox = facts.sandbox
    if sandbox is None:
        if not facts.phases:
            return f"the phases not given: what makes up the phase {KUBERNETES_PHASE} sandbox is unknown, {after}"
        return f"the phases have no phase {KUBERNETES_PHASE}: its sandbox is unknown, {after}"
    if sandbox.tasks is None and sandbox.criteria is None:
        return (
            f"no task or exit criterion of phase {KUBERNETES_PHASE} names one of its moves, so its "
            f"sandbox cannot be told from its selective migration: {after}"
        )
    if sandbox.tasks is None:
        return (
            f"no task of phase {KUBERNETES_PHASE} names one of its moves, so its sandbox tasks cannot be "
            "told from its migration: only the sandbox's exit criteria were checked"
        )
    if sandbox.criteria is None:
        return (
            f"no exit criterion of phase {KUBERNETES_PHASE} observes one of its moves, so its sandbox "
            "criteria cannot be told from its migration: only the sandbox's tasks were checked"
        )
    return None


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
    gaps=(_platform_unknown, _progress_unknown),
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
                f"{service.name} is planned on Kubernetes but mounts the downloads in "
                f"{counted('share', downloads)}: in the cluster its volumes become separate mounts, and "
                "hardlinks and atomic moves fail across them."
            ),
            fix=(
                f"Keep {facts.chain(service)[-1].name} on the Docker VM with downloads and media in one "
                f"mount: drop the Kubernetes plan of {service.name} and write the non-migration in the "
                "decisions log."
            ),
            phase=service.phase,
        )


def _no_downloads_share(facts: Facts) -> str | None:
    if not facts.on_kubernetes() or any("downloads" in s.purpose for s in facts.inventory.shares):
        return None
    return "no [[shares]] holding downloads: whether a service on Kubernetes mounts them was not checked"


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
    gaps=(_platform_unknown, _no_downloads_share),
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
    gaps=(_platform_unknown,),
)

RULES = (PRODUCTION_BEFORE_SANDBOX, ARR_ON_KUBERNETES, IDP_IN_CLUSTER)
