"""The principles linter, rule by rule: a well-built homelab passes, and each anti-pattern fails it.

Every inventory here is built in code from one that follows the design, changed in one place.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cockpit.configsource import EXAMPLE_CONFIG
from cockpit.lint import RULES, Finding, LintProgress, for_phase, has_errors, lint, unchecked
from cockpit.models.inventory import Inventory
from cockpit.principles import PRINCIPLES
from cockpit.project import Project, load_project

SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "homelab-v3-design-principles.txt"

Data = dict[str, Any]


def host(name: str, role: str, address: str, vlan: int, **facts: Any) -> Data:
    return {"name": name, "role": role, "address": address, "vlan": vlan, **facts}


def service(name: str, v3: str, phase: int = 4, **facts: Any) -> Data:
    return {
        "name": name,
        "hostnames": [f"{name}.home.arpa"],
        "v2": "10.0.20.5",
        "v3": v3,
        "phase": phase,
        **facts,
    }


def sound() -> Data:
    """A small homelab built the way the design asks."""
    return {
        "hosts": [
            host("gw", "gateway", "10.0.10.1", 10, kind="bare-metal"),
            host("nas", "nas", "10.0.10.10", 10, kind="bare-metal"),
            host(
                "pve1",
                "hypervisor-primary",
                "10.0.10.11",
                10,
                kind="bare-metal",
                boot_disks=["nvme0", "nvme1"],
            ),
            host("pve2", "hypervisor-secondary", "10.0.10.12", 10, kind="bare-metal", boot_disks=["nvme0"]),
            host("docker", "docker", "10.0.30.10", 30, kind="vm", hypervisor="pve1"),
            host("auth", "idp", "10.0.30.11", 30, kind="vm", hypervisor="pve1"),
            host("dns", "dns", "10.0.30.53", 30, kind="lxc", hypervisor="pve2"),
        ],
        "nut": {"address": "10.0.10.10:3493", "ups": "ups", "shutdown_order": ["pve2", "pve1", "nas"]},
        "vlans": [
            {"id": 10, "name": "Management", "purpose": "management"},
            {"id": 20, "name": "Trusted", "purpose": "trusted"},
            {"id": 30, "name": "Services", "purpose": "services"},
            {"id": 40, "name": "IoT", "purpose": "iot"},
        ],
        "firewall": {
            "default": "deny",
            "rules": [
                {"from": 20, "to": 30, "action": "allow"},
                {"from": 20, "to": 10, "action": "allow", "ports": [22, 443, 8006]},
                {"from": 40, "to": "internet", "action": "allow"},
                {"from": 40, "to": "any", "action": "deny"},
            ],
        },
        "shares": [
            {"name": "data", "host": "nas", "filesystem": "array", "purpose": ["downloads", "media"]},
            {"name": "photos", "host": "nas", "filesystem": "array", "purpose": "photos"},
        ],
        "services": [
            service("sonarr", "10.0.30.10", platform="docker", shares=["data"]),
            service("plex", "10.0.30.20", platform="lxc", shares=["data"]),
            service("immich", "10.0.30.10", platform="docker", shares=["photos"]),
            service("authentik", "10.0.30.11", platform="vm"),
            service("immich-k3s", "10.0.30.60", phase=6, follows="immich", platform="kubernetes"),
            service("whoami", "10.0.30.60", phase=6, platform="kubernetes", production=False),
        ],
    }


def build(data: Data) -> Inventory:
    return Inventory.model_validate(data)


@functools.cache
def _shipped() -> Project:
    return load_project(str(EXAMPLE_CONFIG), str(Path(tempfile.gettempdir()) / "cockpit-lint-never-opened"))


def with_phases(inventory: Inventory) -> Project:
    """The inventory as a Project with the shipped phases, so the rules see phase 6's file."""
    project = _shipped()
    return dataclasses.replace(project, config=dataclasses.replace(project.config, inventory=inventory))


def changed(change: Callable[[Data], None]) -> Inventory:
    data = copy.deepcopy(sound())
    change(data)
    return build(data)


def named(data: Data, table: str, name: str) -> Data:
    return next(item for item in data[table] if item["name"] == name)


def ids(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.rule, f.subject) for f in findings]


# -- the rules' words --------------------------------------------------------------------------


@pytest.mark.skipif(not SEED.is_file(), reason="the design document is not beside the repository")
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_quotes_the_design_word_for_word(rule):
    seed = SEED.read_text(encoding="utf-8")
    for quote in rule.quotes:
        assert quote in seed, f"{rule.id}: not in the design: {quote!r}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_names_a_principle_of_the_design(rule):
    assert rule.principle in PRINCIPLES
    assert rule.quotes and rule.severity in ("error", "warning")
    assert 0 <= rule.phase <= 6


def test_rule_ids_are_unique():
    assert len({rule.id for rule in RULES}) == len(RULES)


# -- passing -----------------------------------------------------------------------------------


def test_a_homelab_built_as_designed_has_no_findings_and_nothing_unchecked():
    project = with_phases(build(sound()))
    progress = LintProgress(phase_states={p: "ready" for p in range(7)})
    assert lint(project, progress=progress) == []
    assert unchecked(project, progress=progress) == []


# -- failing: one anti-pattern at a time -------------------------------------------------------


def nas_as_vm(data: Data) -> None:
    named(data, "hosts", "nas").update(kind="vm", hypervisor="pve1")
    data["nut"]["shutdown_order"].remove("nas")  # a guest stops with its node


def nas_as_lxc(data: Data) -> None:
    named(data, "hosts", "nas").update(kind="lxc", hypervisor="pve1")
    data["nut"]["shutdown_order"].remove("nas")


def single_boot_disk(data: Data) -> None:
    named(data, "hosts", "pve1")["boot_disks"] = ["nvme0"]


def two_disks_not_mirrored(data: Data) -> None:
    named(data, "hosts", "pve1")["boot_mirror"] = False


def no_rules_at_all(data: Data) -> None:
    data["firewall"] = {"default": "allow"}  # v2: the VLANs exist, nothing stops traffic between them


def firewall_allows_by_default(data: Data) -> None:
    data["firewall"]["default"] = "allow"


def any_to_any_allowed(data: Data) -> None:
    data["firewall"]["rules"].insert(0, {"from": "any", "to": "any", "action": "allow"})


def management_vlan_is_1(data: Data) -> None:
    data["vlans"][0]["id"] = 1
    for item in data["hosts"]:
        if item["vlan"] == 10:
            item["vlan"] = 1
    for rule in data["firewall"]["rules"]:
        if rule["to"] == 10:
            rule["to"] = 1


def switch_on_vlan_1(data: Data) -> None:
    data["vlans"].append({"id": 1, "name": "Default", "purpose": "other"})
    data["hosts"].append(host("sw", "switch", "10.0.1.2", 1, kind="bare-metal"))


def iot_allowed_into_services(data: Data) -> None:
    data["firewall"]["rules"].insert(0, {"from": 40, "to": 30, "action": "allow", "ports": [1883]})


def no_ups(data: Data) -> None:
    del data["nut"]


def node_left_out_of_shutdown(data: Data) -> None:
    data["nut"]["shutdown_order"].remove("pve2")


def nas_shuts_down_first(data: Data) -> None:
    data["nut"]["shutdown_order"] = ["nas", "pve2", "pve1"]


def kubernetes_in_phase_4(data: Data) -> None:
    named(data, "services", "immich").update(platform="kubernetes", v3="10.0.30.60")


def downloads_on_a_cache_pool(data: Data) -> None:
    data["shares"][0]["purpose"] = ["media"]
    data["shares"].append({"name": "downloads", "host": "nas", "filesystem": "cache", "purpose": "downloads"})


def media_on_another_host(data: Data) -> None:
    data["hosts"].append(host("nas2", "other", "10.0.10.20", 10, kind="bare-metal"))
    data["shares"][0]["purpose"] = ["downloads"]
    data["shares"].insert(0, {"name": "media", "host": "nas2", "filesystem": "array", "purpose": "media"})


def second_docker_vm(data: Data) -> None:
    data["hosts"].append(host("docker2", "docker", "10.0.30.12", 30, kind="vm", hypervisor="pve1"))


def docker_on_another_vm(data: Data) -> None:
    data["hosts"].append(host("misc", "other", "10.0.30.13", 30, kind="vm", hypervisor="pve2", docker=True))


def sonarr_moves_to_the_cluster(data: Data) -> None:
    data["services"].append(
        service("sonarr-k3s", "10.0.30.60", phase=6, follows="sonarr", platform="kubernetes")
    )


def torrents_planned_on_kubernetes(data: Data) -> None:
    data["services"].append(service("qbit", "10.0.30.60", phase=6, platform="kubernetes", shares=["data"]))


def authentik_moves_to_the_cluster(data: Data) -> None:
    data["services"].append(
        service("authentik-k3s", "10.0.30.60", phase=6, follows="authentik", platform="kubernetes")
    )


FAILING = [
    (nas_as_vm, "nas-on-hypervisor", "nas"),
    (nas_as_lxc, "nas-on-hypervisor", "nas"),
    (single_boot_disk, "primary-single-boot-disk", "pve1"),
    (two_disks_not_mirrored, "primary-single-boot-disk", "pve1"),
    (no_rules_at_all, "vlans-without-rules", "firewall"),
    (firewall_allows_by_default, "vlans-without-rules", "firewall"),
    (any_to_any_allowed, "vlans-without-rules", "firewall"),
    (management_vlan_is_1, "management-on-vlan-1", "Management"),
    (switch_on_vlan_1, "management-on-vlan-1", "sw"),
    (iot_allowed_into_services, "iot-reaches-internal", "IoT"),
    (no_ups, "no-ups", "ups"),
    (node_left_out_of_shutdown, "host-outside-shutdown", "pve2"),
    (nas_shuts_down_first, "nas-not-last", "nas"),
    (kubernetes_in_phase_4, "k8s-production-before-sandbox", "immich"),
    (downloads_on_a_cache_pool, "downloads-media-split", "downloads"),
    (media_on_another_host, "downloads-media-split", "data"),
    (second_docker_vm, "multiple-docker-vms", "docker2"),
    (docker_on_another_vm, "multiple-docker-vms", "misc"),
    (sonarr_moves_to_the_cluster, "arr-on-kubernetes", "sonarr-k3s"),
    (torrents_planned_on_kubernetes, "arr-on-kubernetes", "qbit"),
    (authentik_moves_to_the_cluster, "idp-in-cluster", "authentik-k3s"),
]


@pytest.mark.parametrize(("change", "rule", "subject"), FAILING, ids=lambda v: getattr(v, "__name__", None))
def test_each_anti_pattern_gives_its_finding_and_only_it(change, rule, subject):
    extra: list[tuple[str, str]] = []
    if change in (no_rules_at_all, any_to_any_allowed):
        extra = [("iot-reaches-internal", "IoT")]  # with nothing enforced, IoT reaches everything too
    findings = lint(changed(change), {p: "ready" for p in range(7)})
    assert sorted(ids(findings)) == sorted([(rule, subject), *extra])
    found = next(f for f in findings if f.rule == rule)
    assert found.message and found.fix and found.quotes


def test_every_rule_has_a_failing_inventory_here():
    assert {rule for _, rule, _ in FAILING} == {r.id for r in RULES}


# -- what each rule reads, more closely --------------------------------------------------------


def test_a_guest_stops_with_its_node_so_only_physical_servers_belong_in_the_shutdown_order():
    inventory = changed(
        lambda d: d["hosts"].append(host("ws", "workstation", "10.0.20.50", 20, kind="bare-metal"))
    )
    assert lint(inventory) == []  # neither the VMs, the LXC, the gateway nor the workstation
    with_pi = changed(lambda d: d["hosts"].append(host("pi", "dns", "10.0.30.54", 30, kind="bare-metal")))
    assert ids(lint(with_pi)) == [("host-outside-shutdown", "pi")]


def test_a_nas_missing_from_the_shutdown_order_is_reported_once_with_a_fix_for_the_nut_server():
    findings = lint(changed(lambda d: d["nut"]["shutdown_order"].remove("nas")))
    assert ids(findings) == [("host-outside-shutdown", "nas")]
    assert "last" in findings[0].fix


def test_a_default_allow_still_keeps_iot_out_when_a_rule_denies_it():
    findings = lint(changed(firewall_allows_by_default))
    assert ids(findings) == [("vlans-without-rules", "firewall")]
    assert 'default is "allow"' in findings[0].message


def test_a_port_limited_deny_leaves_later_rules_to_decide_and_the_first_match_wins():
    def deny_some_then_allow(data: Data) -> None:
        rules = data["firewall"]["rules"]
        rules.insert(0, {"from": 40, "to": 10, "action": "deny", "ports": [22]})
        rules.insert(1, {"from": 40, "to": 10, "action": "allow"})

    assert ids(lint(changed(deny_some_then_allow))) == [("iot-reaches-internal", "IoT")]

    def deny_all_first(data: Data) -> None:
        data["firewall"]["rules"].insert(0, {"from": 40, "to": "any", "action": "deny"})
        data["firewall"]["rules"].insert(1, {"from": 40, "to": 10, "action": "allow"})

    assert lint(changed(deny_all_first)) == []


def test_the_iot_finding_names_every_internal_network_it_reaches():
    (finding,) = [f for f in lint(changed(no_rules_at_all)) if f.rule == "iot-reaches-internal"]
    for label in ("VLAN 10 (Management)", "VLAN 20 (Trusted)", "VLAN 30 (Services)"):
        assert label in finding.message


def test_a_management_vlan_on_1_is_one_finding_not_one_per_host():
    findings = lint(changed(management_vlan_is_1))
    assert ids(findings) == [("management-on-vlan-1", "Management")]
    assert findings[0].subject_kind == "vlan"


def test_management_hosts_on_vlan_1_are_found_without_any_vlan_table():
    data = {
        "hosts": [host("pve1", "hypervisor-primary", "10.0.1.11", 1)],
        "nut": sound()["nut"] | {"shutdown_order": ["pve1"]},
    }
    assert ids(lint(build(data))) == [("management-on-vlan-1", "pve1")]


def test_the_secondary_node_may_boot_from_a_single_disk():
    inventory = build(sound())
    assert named(sound(), "hosts", "pve2")["boot_disks"] == ["nvme0"]
    assert lint(inventory) == []


def test_media_only_services_on_kubernetes_are_not_the_arr_stack():
    def plex_on_k3s(data: Data) -> None:
        data["shares"].append({"name": "media", "host": "nas", "filesystem": "array", "purpose": "media"})
        data["services"].append(
            service("jellyfin", "10.0.30.60", phase=6, platform="kubernetes", shares=["media"])
        )

    assert lint(changed(plex_on_k3s)) == []


def test_a_sandbox_test_workload_is_not_a_production_service():
    def test_workload_in_phase_4(data: Data) -> None:
        data["services"].append(
            service("hello", "10.0.30.60", phase=4, platform="kubernetes", production=False)
        )

    assert lint(changed(test_workload_in_phase_4)) == []


def test_moving_authentik_into_the_cluster_is_a_warning_quoting_both_lines_of_the_design():
    (finding,) = lint(changed(authentik_moves_to_the_cluster))
    assert finding.severity == "warning" and not has_errors([finding])
    assert any("IdP runs outside the cluster" in quote for quote in finding.quotes)
    assert any("(Immich, Authentik, monitoring)" in quote for quote in finding.quotes)
    assert finding.phase == 6 and finding.subject_kind == "service"


# -- the sandbox and the phases' states --------------------------------------------------------

HARDENING_OPEN = {
    0: "complete",
    1: "complete",
    2: "complete",
    3: "complete",
    4: "complete",
    5: "active",
    6: "active",
}


def test_a_cluster_move_opened_before_hardening_is_complete_is_an_error_for_its_phase():
    findings = lint(build(sound()), HARDENING_OPEN)
    assert ids(findings) == [("k8s-production-before-sandbox", "immich-k3s")]
    assert findings[0].phase == 6 and "phase 5" in findings[0].message


def test_a_cluster_move_after_every_earlier_phase_is_complete_passes():
    states = HARDENING_OPEN | {5: "complete"}
    assert lint(build(sound()), states) == []


def test_without_phase_states_the_plan_is_checked_and_the_rest_is_said_to_be_unchecked():
    inventory = build(sound())
    assert lint(inventory) == []
    assert unchecked(inventory) == [
        "phase states not given: production moves to Kubernetes were checked against the plan only"
    ]
    assert ids(lint(changed(kubernetes_in_phase_4))) == [("k8s-production-before-sandbox", "immich")]


def test_an_inventory_without_the_facts_says_what_it_could_not_check():
    data = {
        "hosts": [host("nas", "nas", "10.0.10.10", 10), host("pve1", "hypervisor-primary", "10.0.10.11", 10)]
    }
    notes = unchecked(build(data), {})
    assert any("NAS nas: kind not stated" in note for note in notes)
    assert any("pve1: boot_disks not stated" in note for note in notes)
    assert any("[[vlans]]" in note for note in notes)
    assert any("[[shares]]" in note for note in notes)
    assert ids(lint(build(data))) == [("no-ups", "ups")]


# -- findings for a phase ----------------------------------------------------------------------


def test_findings_are_sorted_errors_first_then_by_phase_and_filter_by_phase():
    def many(data: Data) -> None:
        authentik_moves_to_the_cluster(data)
        single_boot_disk(data)
        nas_as_vm(data)
        no_ups(data)

    findings = lint(changed(many))
    assert [f.rule for f in findings] == [
        "no-ups",
        "nas-on-hypervisor",
        "primary-single-boot-disk",
        "idp-in-cluster",
    ]
    assert [f.rule for f in for_phase(findings, 3)] == ["primary-single-boot-disk"]
    assert for_phase(findings, 5) == []


def test_a_finding_as_json_carries_the_principle_and_the_seeds_words():
    (finding,) = lint(changed(single_boot_disk))
    data = finding.as_dict()
    assert set(data) == {
        "rule",
        "severity",
        "principle",
        "principle_title",
        "quotes",
        "subject",
        "subject_kind",
        "message",
        "fix",
        "phase",
    }
    assert data["principle"] == "hypervisor-redundancy"
    assert data["principle_title"] == PRINCIPLES["hypervisor-redundancy"].title
    assert data["quotes"] == list(finding.quotes)


def test_lint_takes_an_inventory_a_loaded_config_or_a_project_and_nothing_else():
    with pytest.raises(TypeError):
        lint("cockpit.toml")  # type: ignore[arg-type]
