"""The shipped inventories under the linter: the example and the lab pass, the v2 example fails once per anti-pattern."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cockpit.config import load_config
from cockpit.configsource import EXAMPLE_CONFIG, ConfigSource
from cockpit.lab import catalog
from cockpit.lab.lab import Lab
from cockpit.lint import RULES, has_errors, lint
from cockpit.project import load_project

V2_EXAMPLE = EXAMPLE_CONFIG.with_name("v2.toml")
RUNBOOK_PARTS = ("start", "stop", "backup", "restore", "rollback")

# Without a UPS there is no shutdown order to get wrong: those two rules have nothing to read.
NEED_A_UPS = {"host-outside-shutdown", "nas-not-last"}


# v2 had VLANs and no inter-VLAN rules: stated as a firewall that allows everything. Without a
# [firewall] the linter cannot tell "no rules" from "not written down", and only notes it.
def v2_config(directory: Path) -> Path:
    """The seed's v2 as an inventory (its firewall allows everything: `[firewall] default = "allow"`)."""
    return V2_EXAMPLE


def inventory(path: Path):
    return load_config(ConfigSource(path, "example")).inventory


@pytest.fixture(scope="module")
def lab_inventory(tmp_path_factory):
    lab = Lab(tmp_path_factory.mktemp("lint-lab"))
    info = lab.start()
    try:
        yield inventory(Path(info["config"]))
    finally:
        lab.stop()


def test_the_v2_example_fails_with_exactly_one_finding_per_anti_pattern(tmp_path):
    findings = lint(inventory(v2_config(tmp_path)))
    counts = Counter(f.rule for f in findings)
    assert set(counts) == {rule.id for rule in RULES} - NEED_A_UPS
    assert set(counts.values()) == {1}
    assert has_errors(findings)
    subjects = {f.rule: f.subject for f in findings}
    assert subjects["nas-on-hypervisor"] == "truenas-01"
    assert subjects["primary-single-boot-disk"] == "pve-01"
    assert subjects["multiple-docker-vms"] == "docker-02"
    assert subjects["arr-on-kubernetes"] == "sonarr-k3s"
    assert subjects["idp-in-cluster"] == "authentik-k3s"


def test_the_v2_example_is_an_example_and_loads_with_the_shipped_phases(tmp_path):
    project = load_project(str(V2_EXAMPLE), str(tmp_path / "state"))
    assert project.config.inventory.example is True
    assert project.config.inventory.nut is None


@pytest.mark.parametrize("path", [EXAMPLE_CONFIG, V2_EXAMPLE], ids=["cockpit.toml", "v2.toml"])
def test_every_example_service_has_a_runbook_with_all_five_parts(path):
    for service in inventory(path).services:
        assert service.runbook is not None, service.name
        for part in RUNBOOK_PARTS:
            assert getattr(service.runbook, part), f"{service.name}: no {part}"


def test_the_example_passes_with_only_the_explained_authentik_warning():
    findings = lint(inventory(EXAMPLE_CONFIG), {p: "ready" for p in range(7)})
    assert [(f.rule, f.severity, f.subject) for f in findings] == [
        ("idp-in-cluster", "warning", "authentik-k3s")
    ]
    assert "idp-in-cluster" in EXAMPLE_CONFIG.read_text()  # the file says why the warning is there


def test_the_demo_lab_passes_with_only_the_explained_authentik_warning(lab_inventory):
    findings = lint(lab_inventory)
    assert [(f.rule, f.severity, f.subject) for f in findings] == [
        ("idp-in-cluster", "warning", "authentik-k3s")
    ]


def test_the_lab_writes_the_same_facts_and_runbooks_as_the_example(lab_inventory):
    example = inventory(EXAMPLE_CONFIG)

    def hosts(inv):
        return {(h.name, h.kind, h.hypervisor, h.boot_redundant, h.runs_docker) for h in inv.hosts}

    def services(inv):
        return {(s.name, s.platform, s.production, tuple(s.shares), s.runbook) for s in inv.services}

    def shares(inv):
        return {(s.name, s.host, s.filesystem, tuple(s.purpose)) for s in inv.shares}

    assert hosts(lab_inventory) == hosts(example)
    assert services(lab_inventory) == services(example)
    assert shares(lab_inventory) == shares(example)
    assert [(v.id, v.purpose, v.subnet) for v in lab_inventory.vlans] == [
        (v.id, v.purpose, v.subnet) for v in example.vlans
    ]
    assert lab_inventory.firewall is not None and example.firewall is not None
    flows = [(r.source, r.destination, r.action, r.ports) for r in lab_inventory.firewall.rules]
    assert flows == [(r.source, r.destination, r.action, r.ports) for r in example.firewall.rules]
    assert lab_inventory.nut is not None and example.nut is not None
    assert lab_inventory.nut.shutdown_order == example.nut.shutdown_order == list(catalog.SHUTDOWN_ORDER)
