"""Provides the compute rules: the primary hypervisor boots from a mirror; one Docker VM."""

from __future__ import annotations

from collections.abc import Iterator

from cockpit.lint.facts import COMPUTE_PHASE, SERVICES_PHASE, Facts
from cockpit.lint.finding import Hit, Rule
from cockpit.lint.words import counted, join


def _single_boot_disk(facts: Facts) -> Iterator[Hit]:
    for host in facts.hosts_with_role("hypervisor-primary"):
        if host.boot_redundant is not False:
            continue
        disks = join(host.boot_disks) or "its boot disk"
        yield Hit(
            subject=host.name,
            subject_kind="host",
            message=(
                f"The primary hypervisor {host.name} boots from {disks} without a mirror: one failed "
                "drive takes down every guest it runs."
            ),
            fix=(
                f"Install {host.name} on two disks in a ZFS RAID-1 mirror and write both in boot_disks "
                "(boot_mirror = true)."
            ),
        )


def _boot_unknown(facts: Facts) -> str | None:
    unknown = [h.name for h in facts.hosts_with_role("hypervisor-primary") if h.boot_redundant is None]
    return f"{counted('primary hypervisor', unknown)}: boot_disks not stated" if unknown else None


PRIMARY_SINGLE_BOOT_DISK = Rule(
    id="primary-single-boot-disk",
    severity="error",
    principle="hypervisor-redundancy",
    quotes=(
        "Rejected. Single point of failure for all services. v3 uses ZFS RAID-1 mirrored NVMe.",
        "The primary node requires redundancy.",
    ),
    phase=COMPUTE_PHASE,
    summary="the primary hypervisor boots from a single disk",
    check=_single_boot_disk,
    gaps=(_boot_unknown,),
)


def _extra_docker_hosts(facts: Facts) -> Iterator[Hit]:
    # The host with role docker is the Docker VM; any other host running Docker is one too many.
    hosts = sorted((h for h in facts.inventory.hosts if h.runs_docker), key=lambda h: h.role != "docker")
    if len(hosts) < 2:
        return
    first = hosts[0]
    for host in hosts[1:]:
        yield Hit(
            subject=host.name,
            subject_kind="host",
            message=(
                f"{host.name} is a second Docker host beside {first.name}: several Docker VMs "
                "without an orchestrator add moving parts but no real high availability."
            ),
            fix=(
                f"Run {host.name}'s containers on {first.name} and retire {host.name} (or drop "
                "docker = true); high availability comes later with k3s."
            ),
        )


MULTIPLE_DOCKER_VMS = Rule(
    id="multiple-docker-vms",
    severity="error",
    principle="simplicity",
    quotes=(
        "Single Docker VM instead of multiple (multi-VM Docker doesn\u2019t solve HA and adds complexity)",
        "Rejected. Multi-VM Docker without k8s doesn\u2019t provide real HA, just added complexity. "
        "v3 uses single Docker VM until k3s.",
    ),
    phase=SERVICES_PHASE,
    summary="more than one Docker VM",
    check=_extra_docker_hosts,
)

RULES = (PRIMARY_SINGLE_BOOT_DISK, MULTIPLE_DOCKER_VMS)
