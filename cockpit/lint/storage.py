"""Provides the storage rules: the NAS on bare metal, downloads and media on one filesystem."""

from __future__ import annotations

from collections.abc import Iterator

from cockpit.lint.facts import STORAGE_PHASE, Facts
from cockpit.lint.finding import Hit, Rule
from cockpit.lint.words import counted


def _nas_guests(facts: Facts) -> Iterator[Hit]:
    for nas in facts.hosts_with_role("nas"):
        if not nas.is_guest:
            continue
        where = f" on {nas.hypervisor}" if nas.hypervisor else ""
        guest = "VM" if nas.kind == "vm" else "LXC container"
        yield Hit(
            subject=nas.name,
            subject_kind="host",
            message=(
                f"The NAS {nas.name} is a {guest}{where}: "
                "the hypervisor's storage then depends on a guest of that same hypervisor."
            ),
            fix=(
                f'Run {nas.name} on its own machine: kind = "bare-metal" and no hypervisor, with the '
                "drives on an HBA of that machine; let the hypervisor mount its storage from it."
            ),
        )


def _nas_kind_unknown(facts: Facts) -> str | None:
    unknown = [h.name for h in facts.hosts_with_role("nas") if h.kind is None]
    return f"{counted('NAS', unknown, 'NASes')}: kind not stated (bare-metal, vm or lxc)" if unknown else None


NAS_ON_HYPERVISOR = Rule(
    id="nas-on-hypervisor",
    severity="error",
    principle="bare-metal-nas",
    quotes=(
        "Rejected. Creates circular dependency between hypervisor and storage. v3 uses bare-metal NAS.",
        "The NAS is an independent infrastructure component, not a tenant of the compute layer.",
    ),
    phase=STORAGE_PHASE,
    summary="the NAS runs as a guest (VM or LXC) of a hypervisor",
    check=_nas_guests,
    gaps=(_nas_kind_unknown,),
)


def _split_filesystems(facts: Facts) -> Iterator[Hit]:
    """Every share holding downloads or media sits on the filesystem of the first media share."""
    holding = [s for s in facts.inventory.shares if {"downloads", "media"} & set(s.purpose)]
    media = next((s for s in holding if "media" in s.purpose), None)
    if media is None:
        return
    home = (media.host, media.filesystem)
    for share in holding:
        if (share.host, share.filesystem) == home:
            continue
        what = " and ".join(p for p in ("downloads", "media") if p in share.purpose)
        yield Hit(
            subject=share.name,
            subject_kind="share",
            message=(
                f"Share {share.name} holds {what} on {share.host}:{share.filesystem}, but the media of "
                f"share {media.name} live on {media.host}:{media.filesystem}: hardlinks and atomic moves "
                "cannot cross filesystems, so every import becomes a copy."
            ),
            fix=(
                f"Put downloads and media in one share on one filesystem ({media.host}:{media.filesystem}), "
                "for example data/downloads and data/media, with downloads written straight to it."
            ),
        )


def _no_shares(facts: Facts) -> str | None:
    held = {purpose for share in facts.inventory.shares for purpose in share.purpose}
    missing = [p for p in ("downloads", "media") if p not in held]
    if not missing:
        return None
    if len(missing) == 2:
        return "no [[shares]] holding downloads or media: where they live was not checked"
    return (
        f"no [[shares]] holding {missing[0]}: whether downloads and media share a filesystem was not checked"
    )


DOWNLOADS_MEDIA_SPLIT = Rule(
    id="downloads-media-split",
    severity="error",
    principle="hardlinks",
    quotes=(
        "Downloads and media must live on the same filesystem",
        "Rejected. Breaks hardlinks between downloads and media. v3 writes downloads direct to parity array.",
    ),
    phase=STORAGE_PHASE,
    summary="downloads and media live on different filesystems",
    check=_split_filesystems,
    gaps=(_no_shares,),
)

RULES = (NAS_ON_HYPERVISOR, DOWNLOADS_MEDIA_SPLIT)
