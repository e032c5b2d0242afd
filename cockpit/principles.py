"""Provides the seed's principles, each with the seed's own words, so every phase item traces back.

The ids are what phase files write in `principle = "..."`; an unknown id is bad input.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principle:
    """One commitment of homelab-v3-design-principles.txt."""

    id: str
    title: str
    quote: str


PRINCIPLES: dict[str, Principle] = {
    p.id: p
    for p in (
        Principle(
            "bare-metal-nas",
            "Principle 1: Bare-metal NAS separation",
            "Unraid runs on dedicated bare-metal hardware (repurposed tower with i5-13400). The NAS is an "
            "independent infrastructure component, not a tenant of the compute layer.",
        ),
        Principle(
            "hypervisor-redundancy",
            "Principle 2: Proxmox OS redundancy",
            "Proxmox installed on 2x NVMe in ZFS RAID-1 mirror on the primary node (Minisforum MS-A2).",
        ),
        Principle(
            "vlan-segmentation",
            "Principle 3: Proper VLAN segmentation with firewall rules",
            "Four VLANs with explicit firewall rules enforced at the UniFi Dream Machine SE. "
            "Default policy: Deny all inter-VLAN traffic. Explicit allow rules only.",
        ),
        Principle(
            "ups-protection",
            "Principle 4: UPS protection",
            "UPS purchase and installation is Phase 0, Task 1\u2014before any new hardware is powered on. "
            "This is non-negotiable.",
        ),
        Principle(
            "kubernetes-ready",
            "Principle 5: Kubernetes-ready architecture",
            "Production services do not migrate to Kubernetes until the cluster is proven stable in an "
            "isolated sandbox environment.",
        ),
        Principle(
            "document-everything",
            "Document everything",
            "Every architectural decision has written rationale. Every service has runbook-style "
            "documentation. Every phase has entry criteria, exit criteria, and task lists.",
        ),
        Principle(
            "no-premature-optimization",
            "No premature optimization",
            "Don\u2019t buy hardware to solve problems you don\u2019t have.",
        ),
        Principle(
            "hardlinks",
            "No premature optimization: downloads and media",
            "Downloads and media must live on the same filesystem. Any architecture that breaks "
            "hardlinks is rejected.",
        ),
        Principle(
            "phased-build",
            "Build in phases, not big-bang",
            "Phases are sequential\u2014no skipping ahead. v2 stays running while v3 is built in "
            "parallel. Cutover per-service via DNS rewrites, not all-at-once.",
        ),
        Principle(
            "simplicity",
            "Favor simplicity over elegance",
            "Plex gets a direct port forward, not a reverse proxy. Single Docker VM instead of multiple.",
        ),
    )
}
