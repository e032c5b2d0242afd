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
    ),
    LabService(
        "authentik", "Authentik", ("auth.home.arpa",), "127.20.0.10", "127.30.0.11", "/-/health/live/"
    ),
    LabService(
        "plex",
        "Plex (direct port forward)",
        ("plex.home.arpa",),
        "127.20.0.12",
        "127.30.0.20",
        "/identity",
        cutover="manual",
    ),
    LabService("sonarr", "Sonarr", ("sonarr.home.arpa",), "127.20.0.10", "127.30.0.10", "/ping"),
    LabService("radarr", "Radarr", ("radarr.home.arpa",), "127.20.0.10", "127.30.0.10", "/ping"),
    LabService("prowlarr", "Prowlarr", ("prowlarr.home.arpa",), "127.20.0.10", "127.30.0.10", "/ping"),
    LabService("bazarr", "Bazarr", ("bazarr.home.arpa",), "127.20.0.10", "127.30.0.10", "/"),
    LabService(
        "qbittorrent",
        "qBittorrent",
        ("qbit.home.arpa", "torrent.home.arpa"),
        "127.20.0.10",
        "127.30.0.10",
        "/",
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


VLANS = (
    LabVlan(10, "Management", "192.168.10.0/24", "192.168.10.1"),
    LabVlan(20, "Trusted", "192.168.20.0/24", "192.168.20.1"),
    LabVlan(30, "Services", "192.168.30.0/24", "192.168.30.1"),
    LabVlan(40, "IoT", "192.168.40.0/24", "192.168.40.1"),
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
