"""Provides the lab's decisions log: a few of the seed's own decisions, written beside the lab's config.

Each one is taken from homelab-v3-design-principles.txt (its tables, its "Favor simplicity"
and "No premature optimization" lists, its "When to revisit" triggers), so the demo's Decisions
screen and reports show the log an operator following the seed would keep. The dates are fixed:
the lab's screens are snapshot-tested and must not change from one day to the next.
"""

from __future__ import annotations

from pathlib import Path

from cockpit.decisions import add_decision, list_decisions

SEED_DECISIONS: tuple[dict[str, str], ...] = (
    {
        "date": "2026-08-29",
        "title": "UPS before any new hardware is powered on",
        "principle": "ups-protection",
        "decision": "An APC Back-UPS 1500VA with NUT is Phase 0, Task 1. The NUT server runs on the NAS; "
        "both Proxmox nodes are clients; the NAS shuts down last.",
        "rationale": "v2 had no UPS: power cuts halted VMs mid-write and interrupted Unraid parity "
        "writes, with a risk of silent corruption. The seed calls this non-negotiable.",
        "revisit": "Never for the requirement. The UPS model when the load grows past a runtime "
        "that covers the whole shutdown sequence.",
    },
    {
        "date": "2026-09-02",
        "title": "Unraid on a dedicated bare-metal NAS",
        "principle": "bare-metal-nas",
        "decision": "Unraid runs on the repurposed i5-13400 tower, with the LSI HBA passing the drives "
        "to it directly. The NAS is not a guest of Proxmox.",
        "rationale": "TrueNAS as a VM on Proxmox made the hypervisor depend on storage served by one "
        "of its own guests: fragile boot order, I/O competing with compute, and a recovery that "
        "needed the storage VM running first.",
        "revisit": "TrueNAS SCALE reaches feature parity with Unraid: reevaluate the NAS platform "
        "(the separation stays).",
    },
    {
        "date": "2026-09-12",
        "title": "Traefik as the reverse proxy",
        "principle": "kubernetes-ready",
        "decision": "Traefik fronts the v3 services on the Docker VM.",
        "rationale": "Traefik is the default k3s ingress controller: the same tool and the same mental "
        "model when services move to the cluster in phase 6.",
        "revisit": "Phase 6 is dropped, or k3s stops shipping Traefik as its ingress.",
    },
    {
        "date": "2026-09-12",
        "title": "One Docker VM, not several",
        "principle": "simplicity",
        "decision": "Every Docker workload runs on a single Docker VM until k3s takes over.",
        "rationale": "Several Docker VMs without an orchestrator give no real high availability, only "
        "more to patch and more ways to fail.",
        "revisit": "The k3s cluster is proven in its sandbox and services move to it (phase 6).",
    },
    {
        "date": "2026-09-20",
        "title": "Downloads written straight to the parity array",
        "principle": "hardlinks",
        "decision": "qBittorrent and the ARR stack write to the same filesystem as the media library; no "
        "cache pool in between, and they stay in Docker when the rest moves to k3s.",
        "rationale": "Atomic moves and hardlinks need one filesystem. Breaking them duplicates files "
        "silently and stops seeding.",
        "revisit": "A workload justifies a cache pool, and it can be set up without splitting "
        "downloads and media across filesystems.",
    },
    {
        "date": "2026-10-03",
        "title": "Intel QuickSync for transcoding, no GPU",
        "principle": "no-premature-optimization",
        "decision": "Plex transcodes with the CPU's QuickSync; no discrete GPU is bought.",
        "rationale": "QuickSync handles the current load. Do not buy hardware to solve problems you do "
        "not have.",
        "revisit": "Transcoding demand exceeds QuickSync capacity: consider a discrete GPU.",
    },
)


def seed_decisions(base_dir: Path) -> None:
    """Write the seed's decisions into `base_dir`/decisions, skipping those already there by title.

    Idempotent, so a lab started again in the same directory (`cockpit lab --dir DIR`) does not
    grow a second copy of its log.
    """
    present = {decision.title for decision in list_decisions(base_dir)}
    for fields in SEED_DECISIONS:
        if fields["title"] not in present:
            add_decision(base_dir, **fields)
