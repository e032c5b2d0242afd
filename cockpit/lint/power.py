"""Provides the power rules: a UPS with NUT, every server in the shutdown order, the NAS last.

`[nut]` is where cockpit knows the UPS from (the phase 0 checks read it), so an inventory without
it describes a lab without a UPS: that is the v2 anti-pattern itself, and a finding. The shutdown
order and the hosts' kinds are optional facts: without them the order rules say what they could
not check.
"""

from __future__ import annotations

from collections.abc import Iterator

from cockpit.lint.facts import COMPUTE_PHASE, HYPERVISOR_ROLES, POWER_PHASE, SERVER_ROLES, Facts
from cockpit.lint.finding import Hit, Rule
from cockpit.lint.words import join, verb
from cockpit.models.inventory import Host


def _no_ups(facts: Facts) -> Iterator[Hit]:
    if facts.inventory.nut is not None:
        return
    yield Hit(
        subject="ups",
        subject_kind="ups",
        message="The inventory has no UPS: no [nut] section, so a power cut stops every machine mid-write.",
        fix=(
            "Install a UPS before any new hardware is powered on, connect it to the NAS by USB, run the "
            "NUT server there and describe it in [nut] (address, ups, shutdown_order)."
        ),
    )


NO_UPS = Rule(
    id="no-ups",
    severity="error",
    principle="ups-protection",
    quotes=(
        "Rejected. Unclean shutdowns risk silent data corruption. v3 requires UPS before power-on.",
        "UPS purchase and installation is Phase 0, Task 1\u2014before any new hardware is powered on.",
    ),
    phase=POWER_PHASE,
    summary="no UPS",
    check=_no_ups,
)


def needs_shutdown(host: Host) -> bool | None:
    """A machine that must be shut down by NUT: a physical server (guests stop with their hypervisor).

    None when the inventory does not say: a NAS, Docker or DNS host without `kind` may be a guest
    (the seed's v2 ran TrueNAS as a VM) or a machine of its own. A hypervisor is a machine by role.
    """
    if host.is_guest or host.role not in SERVER_ROLES:
        return False
    if host.kind == "bare-metal" or host.role in HYPERVISOR_ROLES:
        return True
    return None


def _outside_shutdown(facts: Facts) -> Iterator[Hit]:
    nut = facts.inventory.nut
    if nut is None or not nut.shutdown_order:
        return  # no UPS is its own finding; an order not stated is a note, not every server missing
    for host in facts.inventory.hosts:
        if needs_shutdown(host) and host.name not in nut.shutdown_order:
            yield Hit(
                subject=host.name,
                subject_kind="host",
                message=(
                    f"{host.name} ({host.role}) is not in the NUT shutdown order: on battery it keeps "
                    "running until the power dies under it."
                ),
                fix=(
                    f"Add {host.name} to [nut] shutdown_order, last: it runs the NUT server."
                    if host.role == "nas"
                    else f"Make {host.name} a NUT client of the NAS and add it to [nut] shutdown_order, "
                    "before the NAS."
                ),
            )


def _no_shutdown_order(facts: Facts) -> str | None:
    nut = facts.inventory.nut
    if nut is None or nut.shutdown_order:
        return None
    return (
        "[nut] shutdown_order not stated: which servers NUT shuts down, and that the NAS goes last, "
        "was not checked"
    )


def _kind_unknown(facts: Facts) -> str | None:
    nut = facts.inventory.nut
    if nut is None or not nut.shutdown_order:
        return None
    unknown = [
        h.name
        for h in facts.inventory.hosts
        if needs_shutdown(h) is None and h.name not in nut.shutdown_order
    ]
    if not unknown:
        return None
    return (
        f"{join(unknown)}: kind not stated (bare-metal, vm or lxc), so whether "
        f"{verb(len(unknown), 'it belongs', 'they belong')} in the NUT shutdown order was not checked"
    )


HOST_OUTSIDE_SHUTDOWN = Rule(
    id="host-outside-shutdown",
    severity="error",
    principle="ups-protection",
    quotes=("NUT server signals all clients", "Proxmox nodes shut down all VMs/LXCs gracefully"),
    phase=COMPUTE_PHASE,
    summary="a server that is not in the NUT shutdown sequence",
    check=_outside_shutdown,
    gaps=(_no_shutdown_order, _kind_unknown),
)


def _nas_not_last(facts: Facts) -> Iterator[Hit]:
    nut = facts.inventory.nut
    if nut is None:
        return
    order = [host for name in nut.shutdown_order if (host := facts.host(name)) is not None]
    first_nas = next((i for i, host in enumerate(order) if host.role == "nas"), None)
    if first_nas is None:
        return
    after = [host.name for host in order[first_nas + 1 :] if host.role != "nas"]
    if not after:
        return
    nas = order[first_nas].name
    yield Hit(
        subject=nas,
        subject_kind="host",
        message=(
            f"The shutdown order stops the NAS {nas} before {join(after)}: "
            f"{verb(len(after), 'it loses its', 'they lose their')} storage while still running."
        ),
        fix=f"Reorder [nut] shutdown_order so that {nas} comes last.",
    )


NAS_NOT_LAST = Rule(
    id="nas-not-last",
    severity="error",
    principle="ups-protection",
    quotes=("Unraid confirms all nodes are offline, then shuts itself down last",),
    phase=COMPUTE_PHASE,
    summary="a shutdown order that does not end with the NAS",
    check=_nas_not_last,
    gaps=(_no_shutdown_order,),
)

RULES = (NO_UPS, HOST_OUTSIDE_SHUTDOWN, NAS_NOT_LAST)
