"""Provides what the lab runs: its hosts and services on the loopback map of the design's VLANs.

127.10.0.x is management (gateway, NAS, hypervisors), 127.20.0.x trusted (where v2 serves),
127.30.0.x services (the v3 targets, the DNS pair, the k3s ingress). Names, roles and services
mirror the example inventory, so the shipped phases load against the lab unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LabHost:
    name: str
    role: str
    address: str
    vlan: int
    description: str


@dataclass(frozen=True)
class LabService:
    """One move of one service; `follows` names the move it continues (phase 6, Docker to k3s)."""

    name: str
    title: str
    hostnames: tuple[str, ...]
    v2: str
    v3: str
    health_path: str
    phase: int = 4
    cutover: str = "dns"
    follows: str | None = None
    platform: str = "docker"  # what runs it on v3 (the inventory's `platform`)
    shares: tuple[str, ...] = ()  # the NAS shares it mounts


ADGUARD_HOST = "127.30.0.53"
PIHOLE_HOST = "127.30.0.54"

HOSTS = (
    LabHost("udm-se", "gateway", "127.10.0.1", 10, "UniFi Dream Machine SE (simulated)"),
    LabHost("sw-core-01", "switch", "127.10.0.2", 10, "core switch"),
    LabHost("nas-prod-01", "nas", "127.10.0.10", 10, "Unraid on bare metal; NUT server"),
    LabHost("pve-prod-01", "hypervisor-primary", "127.10.0.11", 10, "Proxmox VE primary, ZFS mirror boot"),
    LabHost("pve-prod-02", "hypervisor-secondary", "127.10.0.12", 10, "Proxmox VE secondary"),
    LabHost("pbs-prod-01", "backup", "127.10.0.13", 10, "Proxmox Backup Server"),
    LabHost("ws-admin-01", "workstation", "127.20.0.50", 20, "admin workstation"),
    LabHost("dns-prod-01", "dns", ADGUARD_HOST, 30, "AdGuard Home (simulated), primary DNS"),
    LabHost("dns-prod-02", "dns", PIHOLE_HOST, 30, "Pi-hole v6 (simulated), secondary DNS"),
    LabHost("docker-prod-01", "docker", "127.30.0.10", 30, "the single Docker VM, Traefik in front"),
    LabHost("auth-prod-01", "idp", "127.30.0.11", 30, "dedicated Authentik VM"),
    LabHost("k3s-srv-01", "k3s-server", "127.30.0.61", 30, "k3s sandbox server"),
    LabHost("k3s-agt-01", "k3s-agent", "127.30.0.62", 30, "k3s sandbox agent"),
    LabHost("k3s-agt-02", "k3s-agent", "127.30.0.63", 30, "k3s sandbox agent"),
)

K3S_INGRESS = "127.30.0.60"

SERVICES = (
    LabService(
        "immich",
        "Immich",
        ("immich.home.arpa", "photos.home.arpa"),
        "127.20.0.11",
        "127.30.0.10",
        "/api/server/ping",
        shares=("photos",),
    ),
    LabService(
        "authentik",
        "Authentik",
        ("auth.home.arpa",),
        "127.20.0.10",
        "127.30.0.11",
        "/-/health/live/",
        platform="vm",
    ),
    LabService(
        "plex",
        "Plex (direct port forward)",
        ("plex.home.arpa",),
        "127.20.0.12",
        "127.30.0.20",
        "/identity",
        cutover="manual",
        platform="lxc",
        shares=("data",),
    ),
    LabService(
        "sonarr", "Sonarr", ("sonarr.home.arpa",), "127.20.0.10", "127.30.0.10", "/ping", shares=("data",)
    ),
    LabService(
        "radarr", "Radarr", ("radarr.home.arpa",), "127.20.0.10", "127.30.0.10", "/ping", shares=("data",)
    ),
    LabService("prowlarr", "Prowlarr", ("prowlarr.home.arpa",), "127.20.0.10", "127.30.0.10", "/ping"),
    LabService(
        "bazarr", "Bazarr", ("bazarr.home.arpa",), "127.20.0.10", "127.30.0.10", "/", shares=("data",)
    ),
    LabService(
        "qbittorrent",
        "qBittorrent",
        ("qbit.home.arpa", "torrent.home.arpa"),
        "127.20.0.10",
        "127.30.0.10",
        "/",
        shares=("data",),
    ),
    LabService(
        "overseerr", "Overseerr", ("requests.home.arpa",), "127.20.0.10", "127.30.0.10", "/api/v1/status"
    ),
    LabService(
        "grafana", "Grafana (monitoring)", ("grafana.home.arpa",), "127.20.0.10", "127.30.0.10", "/api/health"
    ),
    LabService("homepage", "Homepage", ("home.home.arpa",), "127.20.0.10", "127.30.0.10", "/"),
    LabService(
        "immich-k3s",
        "Immich on k3s",
        ("immich.home.arpa", "photos.home.arpa"),
        "127.30.0.10",
        K3S_INGRESS,
        "/api/server/ping",
        phase=6,
        follows="immich",
        platform="kubernetes",
    ),
    LabService(
        "authentik-k3s",
        "Authentik on k3s",
        ("auth.home.arpa",),
        "127.30.0.11",
        K3S_INGRESS,
        "/-/health/live/",
        phase=6,
        follows="authentik",
        platform="kubernetes",
    ),
    LabService(
        "grafana-k3s",
        "Grafana on k3s",
        ("grafana.home.arpa",),
        "127.30.0.10",
        K3S_INGRESS,
        "/api/health",
        phase=6,
        follows="grafana",
        platform="kubernetes",
    ),
)


# -- the infrastructure side (Proxmox VE, NUT, UniFi) ----------------------------------------------


@dataclass(frozen=True)
class LabNode:
    """A Proxmox VE node and the disks of its boot pool `rpool`."""

    name: str
    address: str
    model: str
    cpus: int
    memory_gb: int
    rpool_disks: tuple[str, ...]  # two: a mirror; one: a single disk


@dataclass(frozen=True)
class LabGuest:
    vmid: int
    name: str
    node: str
    kind: str  # "qemu" or "lxc"
    running: bool


NODES = (
    LabNode(
        "pve-prod-01",
        "127.10.0.11",
        "Minisforum MS-A2",
        16,
        64,
        (
            "/dev/disk/by-id/nvme-Samsung_SSD_990_PRO_2TB_S7KHNJ0W100001-part3",
            "/dev/disk/by-id/nvme-Samsung_SSD_990_PRO_2TB_S7KHNJ0W100002-part3",
        ),
    ),
    LabNode(
        "pve-prod-02",
        "127.10.0.12",
        "Dell OptiPlex 7090 Micro",
        8,
        32,
        ("/dev/disk/by-id/nvme-WD_Blue_SN580_1TB_24110A800003-part3",),
    ),
)

GUESTS = (
    LabGuest(101, "docker-prod-01", "pve-prod-01", "qemu", True),
    LabGuest(102, "auth-prod-01", "pve-prod-01", "qemu", True),
    LabGuest(103, "dns-prod-01", "pve-prod-01", "lxc", True),
    LabGuest(201, "pbs-prod-01", "pve-prod-02", "qemu", True),
    LabGuest(202, "dns-prod-02", "pve-prod-02", "lxc", True),
    # The k3s sandbox of phase 6: created, not started (the phase is ahead of the lab's story).
    LabGuest(301, "k3s-srv-01", "pve-prod-01", "qemu", False),
    LabGuest(302, "k3s-agt-01", "pve-prod-01", "qemu", False),
    LabGuest(303, "k3s-agt-02", "pve-prod-01", "qemu", False),
)

PROXMOX_TOKEN_ID = "cockpit@pve!cockpit"
CLUSTER_NAME = "homelab-v3"

NUT_HOST = "127.10.0.10"  # upsd runs on the NAS, the UPS on its USB port
UPS_NAME = "apc1500"
UPS_DESCRIPTION = "APC Back-UPS 1500VA"
NUT_CLIENTS = tuple(node.address for node in NODES)  # both Proxmox nodes, logged in as upsmon

UNIFI_HOST = "127.10.0.1"


@dataclass(frozen=True)
class LabVlan:
    vlan: int
    name: str
    subnet: str  # the design's subnets: data only, never contacted
    gateway: str
    purpose: str = "other"  # the inventory's VLAN purpose


VLANS = (
    LabVlan(10, "Management", "192.168.10.0/24", "192.168.10.1", "management"),
    LabVlan(20, "Trusted", "192.168.20.0/24", "192.168.20.1", "trusted"),
    LabVlan(30, "Services", "192.168.30.0/24", "192.168.30.1", "services"),
    LabVlan(40, "IoT", "192.168.40.0/24", "192.168.40.1", "iot"),
)


@dataclass(frozen=True)
class LabFlow:
    """One inter-VLAN rule of the design: allowed or denied, optionally on some ports."""

    source: int
    destination: int | str  # a VLAN id, "internet" or "any"
    allow: bool
    ports: tuple[int, ...] = ()


# The design's policy: deny all inter-VLAN traffic; explicit allows only; IoT internet-only.
FIREWALL = (
    LabFlow(20, 30, True),
    LabFlow(20, 10, True, (8006, 22, 443)),
    LabFlow(40, "internet", True),
    LabFlow(30, 10, False),
    LabFlow(40, "any", False),
)


# -- the facts the principles linter reads (`cockpit lint`) ----------------------------------------


@dataclass(frozen=True)
class LabShare:
    """A share of the NAS: the filesystem it lives on and what it holds."""

    name: str
    filesystem: str  # Unraid's parity "array", or the ZFS mirror pool "apps"
    purpose: tuple[str, ...]
    path: str
    host: str = "nas-prod-01"


SHARES = (
    # One data share: downloads and media on one filesystem, written straight to the parity array.
    LabShare("data", "array", ("downloads", "media"), "/mnt/user/data"),
    LabShare("photos", "array", ("photos",), "/mnt/user/photos"),
    LabShare("backups", "array", ("backups",), "/mnt/user/backups"),
    LabShare("apps", "apps", ("apps",), "/mnt/apps"),
)

# Guests stop with their node; the nodes stop before the NAS, which stops last.
SHUTDOWN_ORDER = ("pve-prod-02", "pve-prod-01", "nas-prod-01")

_DOCKER = "On docker-prod-01: docker compose -f /opt/stacks/{stack}/compose.yaml"
_PBS = "Proxmox Backup Server backs up docker-prod-01 nightly (pbs-prod-01)"
_K3S_ROLLBACK = (
    "cockpit rollback {name}: both DNS servers point the name back at {earlier}'s v3 address; keep "
    "that copy running with its jobs paused until you finalize."
)


def _docker_runbook(stack: str, backup: str, restore: str) -> dict[str, str]:
    """The runbook of a stack on the Docker VM: compose up and down, PBS plus the stack's own backup."""
    return {
        "start": f"{_DOCKER.format(stack=stack)} up -d",
        "stop": f"{_DOCKER.format(stack=stack)} down",
        "backup": f"{_PBS}; {backup}",
        "restore": restore,
        "rollback": "cockpit rollback {name}: both DNS servers answer the v2 address again; v2 keeps running.",
    }


def _arr_runbook(stack: str) -> dict[str, str]:
    return _docker_runbook(
        stack,
        f"the app's own scheduled backup zip lands in /opt/appdata/{stack}/Backups.",
        f"Stop the stack, restore /opt/appdata/{stack} from the backup zip (System > Backup), start it; "
        "the data share needs no restore.",
    )


def _k3s_runbook(app: str, backup: str, restore: str) -> dict[str, str]:
    return {
        "start": f"kubectl -n {app} scale deployment --all --replicas=1",
        "stop": f"kubectl -n {app} scale deployment --all --replicas=0",
        "backup": backup,
        "restore": restore,
        "rollback": _K3S_ROLLBACK,
    }


_RUNBOOKS: dict[str, dict[str, str]] = {
    "immich": _docker_runbook(
        "immich",
        "a nightly pg_dumpall of the immich database goes to /mnt/user/backups/immich; the library lives "
        "on the photos share.",
        "Recreate the stack, load the latest dump with psql into an empty database, then start the "
        "server; the photos share needs no restore.",
    ),
    "authentik": {
        "start": "On auth-prod-01 (its own VM): docker compose -f /opt/authentik/compose.yaml up -d",
        "stop": "On auth-prod-01: docker compose -f /opt/authentik/compose.yaml down; logins fail until it is back",
        "backup": "Proxmox Backup Server backs up auth-prod-01 nightly; a pg_dump of its database goes to "
        "/mnt/user/backups/authentik.",
        "restore": "Restore auth-prod-01 from Proxmox Backup Server; log in with the local break-glass "
        "accounts on Proxmox and the NAS while it is down.",
        "rollback": "Last to cut over. cockpit rollback authentik: both DNS servers answer the v2 address "
        "again; keep local break-glass accounts on Proxmox, the NAS and Authentik.",
    },
    "plex": {
        "start": "pct start for Plex's LXC (the one with the QuickSync iGPU passed through)",
        "stop": "pct shutdown for Plex's LXC; streams stop, the data share is untouched",
        "backup": "Proxmox Backup Server backs up the LXC, the Plex database and metadata included.",
        "restore": "Restore the LXC from Proxmox Backup Server and re-mount the data share read-only.",
        "rollback": "Point the UDM SE port forward WAN TCP 32400 back at Plex's v2 address (the move is "
        "by port forward, not DNS).",
    },
    "sonarr": _arr_runbook("sonarr"),
    "radarr": _arr_runbook("radarr"),
    "prowlarr": _arr_runbook("prowlarr"),
    "bazarr": _arr_runbook("bazarr"),
    "qbittorrent": _docker_runbook(
        "qbittorrent",
        "/opt/appdata/qbittorrent (settings and .fastresume files) is in the VM backup; downloads live on "
        "the data share.",
        "Restore /opt/appdata/qbittorrent from the VM backup and start it; torrents recheck and resume "
        "seeding from the data share.",
    ),
    "overseerr": _docker_runbook(
        "overseerr",
        "/opt/appdata/overseerr/db is in the VM backup.",
        "Restore /opt/appdata/overseerr from the VM backup and start it.",
    ),
    "grafana": _docker_runbook(
        "monitoring",
        "dashboards and alert rules are exported to git; /opt/appdata/grafana is in the VM backup.",
        "Restore /opt/appdata/grafana from the VM backup, or start fresh and import the exported "
        "dashboards and alert rules.",
    ),
    "homepage": _docker_runbook(
        "homepage",
        "its YAML config is in git.",
        "Recreate the stack from git and start it.",
    ),
    "immich-k3s": _k3s_runbook(
        "immich",
        "Longhorn snapshots of its volumes, backed up to the NAS's apps pool; the pg_dumpall job keeps "
        "running in the cluster.",
        "Restore the database volume from its Longhorn backup, or load the latest dump; the photos share "
        "needs no restore.",
    ),
    "authentik-k3s": _k3s_runbook(
        "authentik",
        "Longhorn backups of its database volume to the NAS's apps pool, and a nightly pg_dump.",
        "Restore the database volume from Longhorn; while it is down, use the local break-glass accounts.",
    ),
    "grafana-k3s": _k3s_runbook(
        "monitoring",
        "Dashboards and alert rules exported to git; Longhorn backups of its volume.",
        "Redeploy from git and restore the volume from Longhorn.",
    ),
}


def runbook(service: LabService) -> dict[str, str]:
    """The service's runbook: start, stop, backup, restore and rollback, with its names filled in."""
    earlier = service.follows or ""
    return {
        key: text.format(name=service.name, earlier=earlier) for key, text in _RUNBOOKS[service.name].items()
    }
