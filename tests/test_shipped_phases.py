"""The shipped phases carry the design's commitments (homelab-v3-design-principles.txt)."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from cockpit.config import load_config
from cockpit.configsource import EXAMPLE_CONFIG, ConfigSource, default_phases_dir
from cockpit.models.checks import CHECK_TYPES
from cockpit.phases_loader import load_phases
from cockpit.project import load_project


@pytest.fixture(scope="module")
def phases():
    return [item.phase for item in load_phases(default_phases_dir())]


def checks(phase, type_):
    return [c.check for _, c in phase.criteria() if c.check.type == type_]


def test_seven_phases_in_the_seeds_order_of_build(phases):
    assert [p.id for p in phases] == list(range(7))
    words = ["power", "network", "storage", "compute", "services", "hardening", "kubernetes"]
    assert all(word in p.title.lower() for word, p in zip(words, phases, strict=True))


def test_phase_0_task_1_is_the_ups_before_any_new_hardware(phases):
    first = phases[0].tasks[0]
    assert first.principle == "ups-protection" and "ups" in first.id and first.required
    assert "before" in first.runbook.lower()
    assert checks(phases[0], "nut.ups_status"), "phase 0 exits with the UPS online via NUT"


def test_vlans_with_the_seeds_subnets_and_deny_all_with_the_explicit_allows(phases):
    vlans = {c.vlan: c.subnet for c in checks(phases[1], "unifi.vlan")}
    assert vlans == {v: IPv4Network(f"192.168.{v}.0/24") for v in (10, 20, 30, 40)}
    (policy,) = checks(phases[1], "unifi.default_deny")
    allows = {(f.source, f.destination, tuple(sorted(f.ports))) for f in policy.allow}
    assert (20, 30, ()) in allows
    assert (20, 10, (22, 443, 8006)) in allows
    assert (40, "internet", ()) in allows
    denies = {(f.source, f.destination) for f in policy.deny}
    assert {(30, 10), (40, "any")} <= denies
    assert not any(f.source == 40 and f.destination in (10, 20, 30) for f in policy.allow)


def test_management_never_on_vlan_1_in_the_example():
    inventory = load_config(ConfigSource(EXAMPLE_CONFIG, "example")).inventory
    assert all(h.vlan != 1 for h in inventory.hosts)
    assert {
        h.vlan for h in inventory.hosts if h.role in ("hypervisor-primary", "hypervisor-secondary", "gateway")
    } == {10}


def test_compute_tier_mirror_boot_nut_clients_and_quorum(phases):
    compute = phases[3]
    (mirror,) = checks(compute, "proxmox.zfs_mirror")
    assert mirror.node == "role:hypervisor-primary" and mirror.min_disks >= 2
    (clients,) = checks(compute, "nut.clients")
    assert clients.hosts == ["role:hypervisor-*"]
    assert checks(compute, "proxmox.cluster_quorate")
    assert any(c.manual and "shutdown" in c.id for _, c in compute.criteria())


def test_per_service_cutover_and_plex_by_port_forward(phases):
    services = phases[4]
    assert [c.phase for c in checks(services, "services.cut_over")] == [4]
    plex = [c for c in checks(services, "http.ok") if c.service == "plex"]
    assert plex and plex[0].target == "v3"
    inventory = load_config(ConfigSource(EXAMPLE_CONFIG, "example")).inventory
    by_name = {s.name: s for s in inventory.services}
    assert by_name["plex"].cutover == "manual"
    assert {"docker", "idp"} <= {h.role for h in inventory.hosts}
    assert sum(h.role == "docker" for h in inventory.hosts) == 1, "single Docker VM"


def test_kubernetes_sandbox_first_selective_migration_arr_stays(phases):
    k8s = phases[6]
    assert [c.check.phase for c in k8s.exit if c.check.type == "services.cut_over"] == [6]
    entry_cutover = [c.check.phase for c in k8s.entry if c.check.type == "services.cut_over"]
    assert entry_cutover == [4], "phase 6 starts only after the phase 4 services are cut over"
    inventory = load_config(ConfigSource(EXAMPLE_CONFIG, "example")).inventory
    moved = {s.follows for s in inventory.services if s.phase == 6}
    assert {"immich", "authentik", "grafana"} <= moved
    assert not moved & {"sonarr", "radarr", "prowlarr", "qbittorrent"}
    assert [t.id for t in k8s.tasks][0].startswith("sandbox")


def test_downloads_and_media_on_one_filesystem_is_checked(phases):
    commands = [c for p in phases for c in checks(p, "command")]
    assert any("downloads" in " ".join(c.argv) and "media" in " ".join(c.argv) for c in commands)


def test_automated_types_cover_what_backends_observe(phases):
    used = {c.check.type for p in phases for _, c in p.criteria()}
    assert used == set(CHECK_TYPES)


def test_every_manual_criterion_says_why_no_backend_can_observe_it(phases):
    manual = [c for p in phases for _, c in p.criteria() if c.manual]
    assert all(len(c.check.why_manual) > 40 for c in manual)


def test_the_example_and_the_shipped_phases_load_together():
    project = load_project(str(EXAMPLE_CONFIG))
    assert project.config.inventory.example
    assert len(project.phases) == 7
