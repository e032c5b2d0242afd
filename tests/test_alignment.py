"""The lab, the example inventory and the shipped phases speak of the same homelab: names, roles, VLANs."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from cockpit.config import load_config
from cockpit.configsource import EXAMPLE_CONFIG, ConfigSource, default_phases_dir
from cockpit.lab import catalog
from cockpit.phases_loader import load_phases


@pytest.fixture(scope="module")
def example():
    return load_config(ConfigSource(EXAMPLE_CONFIG, "example")).inventory


@pytest.fixture(scope="module")
def phases():
    return [item.phase for item in load_phases(default_phases_dir())]


def test_hosts_have_the_same_names_roles_and_vlans(example):
    lab = {(h.name, h.role, h.vlan) for h in catalog.HOSTS}
    assert lab == {(h.name, h.role, h.vlan) for h in example.hosts}


def test_lab_addresses_follow_the_loopback_map_of_their_vlan():
    for host in catalog.HOSTS:
        assert host.address.startswith(f"127.{host.vlan}.0."), host


def test_services_are_the_same_moves(example):
    def key(s):
        return (s.name, s.phase, s.cutover, s.follows)

    assert {key(s) for s in catalog.SERVICES} == {key(s) for s in example.services}
    by_name = {s.name: s for s in example.services}
    for service in catalog.SERVICES:
        assert tuple(by_name[service.name].hostnames) == service.hostnames


def test_guests_and_nodes_are_inventory_hosts(example):
    roles = {h.name: h.role for h in example.hosts}
    assert {n.name for n in catalog.NODES} == {
        h.name for h in example.hosts if h.role.startswith("hypervisor")
    }
    for guest in catalog.GUESTS:
        assert guest.name in roles, guest
    primary = next(n for n in catalog.NODES if roles[n.name] == "hypervisor-primary")
    assert len(primary.rpool_disks) == 2, "the primary node boots from a mirror"


def test_the_ups_is_the_one_the_example_watches(example):
    assert example.nut is not None and example.nut.ups == catalog.UPS_NAME


def test_vlans_are_the_ones_the_phases_check(phases):
    checked = {
        c.check.vlan: c.check.subnet for p in phases for _, c in p.criteria() if c.check.type == "unifi.vlan"
    }
    assert {v.vlan: IPv4Network(v.subnet) for v in catalog.VLANS} == checked


def test_the_firewall_is_the_policy_the_phases_check(phases):
    (policy,) = [c.check for p in phases for _, c in p.criteria() if c.check.type == "unifi.default_deny"]
    allows = {(f.source, f.destination, tuple(sorted(f.ports))) for f in policy.allow}
    denies = {(f.source, f.destination) for f in policy.deny}
    assert {(f.source, f.destination, tuple(sorted(f.ports))) for f in catalog.FIREWALL if f.allow} == allows
    assert {(f.source, f.destination) for f in catalog.FIREWALL if not f.allow} == denies
