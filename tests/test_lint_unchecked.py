"""Optional facts: a rule whose facts the inventory does not state says so, and never fails for it.

Older inventories predate the linter's facts. Each case here starts from an inventory that breaks
a rule and removes the facts that rule reads: the finding must go, and an `unchecked` note must
say what was not checked. A fact that is stated and wrong stays a finding (tests/test_lint.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cockpit.lint import RULES, LintProgress, lint, unchecked
from tests.test_lint import (
    Data,
    authentik_moves_to_the_cluster,
    build,
    changed,
    downloads_on_a_cache_pool,
    host,
    ids,
    iot_allowed_into_services,
    kubernetes_in_phase_4,
    named,
    nas_as_vm,
    nas_shuts_down_first,
    node_left_out_of_shutdown,
    single_boot_disk,
    sonarr_moves_to_the_cluster,
    sound,
    torrents_planned_on_kubernetes,
    two_disks_not_mirrored,
    with_phases,
)

READY = {p: "ready" for p in range(7)}


def then(*changes: Callable[[Data], None]) -> Callable[[Data], None]:
    def apply(data: Data) -> None:
        for change in changes:
            change(data)

    return apply


def drop(table: str, name: str, *fields: str) -> Callable[[Data], None]:
    def apply(data: Data) -> None:
        for field in fields:
            named(data, table, name).pop(field, None)

    return apply


def drop_firewall(data: Data) -> None:
    del data["firewall"]


def drop_shutdown_order(data: Data) -> None:
    del data["nut"]["shutdown_order"]


def drop_vlans(data: Data) -> None:
    del data["vlans"]
    data["firewall"] = {"default": "allow"}  # a policy with no VLANs described has nothing to police


def drop_shares(data: Data) -> None:
    data["shares"] = []
    for item in data["services"]:
        item.pop("shares", None)


def drop_nas_from_order(data: Data) -> None:
    data["nut"]["shutdown_order"].remove("nas")


def drop_downloads_share(data: Data) -> None:
    data["shares"].pop()  # downloads_on_a_cache_pool appended it last


def pi_outside_the_order(data: Data) -> None:
    data["hosts"].append(host("pi", "dns", "10.0.30.54", 30, kind="bare-metal"))


def data_holds_media_only(data: Data) -> None:
    data["shares"][0]["purpose"] = ["media"]


NOT_IN_ORDER = "kind not stated (bare-metal, vm or lxc), so whether it belongs in the NUT shutdown order"

# (the anti-pattern, then the facts it reads removed), the rule, and what its note says
OMITTED = [
    (
        then(nas_as_vm, drop("hosts", "nas", "kind", "hypervisor")),
        "nas-on-hypervisor",
        "NAS nas: kind not stated",
    ),
    (
        then(single_boot_disk, drop("hosts", "pve1", "boot_disks")),
        "primary-single-boot-disk",
        "primary hypervisor pve1: boot_disks not stated",
    ),
    (
        then(two_disks_not_mirrored, drop("hosts", "pve1", "boot_disks", "boot_mirror")),
        "primary-single-boot-disk",
        "primary hypervisor pve1: boot_disks not stated",
    ),
    (drop_firewall, "vlans-without-rules", "no [firewall]: whether traffic between the VLANs"),
    (drop_vlans, "vlans-without-rules", "no [[vlans]]"),
    (then(iot_allowed_into_services, drop_firewall), "iot-reaches-internal", "no [firewall]"),
    (drop_vlans, "iot-reaches-internal", "no [[vlans]]"),
    (
        then(node_left_out_of_shutdown, drop_shutdown_order),
        "host-outside-shutdown",
        "[nut] shutdown_order not stated",
    ),
    (then(pi_outside_the_order, drop("hosts", "pi", "kind")), "host-outside-shutdown", f"pi: {NOT_IN_ORDER}"),
    (
        then(drop_nas_from_order, drop("hosts", "nas", "kind")),
        "host-outside-shutdown",
        f"nas: {NOT_IN_ORDER}",
    ),
    (then(nas_shuts_down_first, drop_shutdown_order), "nas-not-last", "[nut] shutdown_order not stated"),
    (
        then(kubernetes_in_phase_4, drop("services", "immich", "platform")),
        "k8s-production-before-sandbox",
        "service immich: platform not stated",
    ),
    (
        then(downloads_on_a_cache_pool, drop_shares),
        "downloads-media-split",
        "no [[shares]] holding downloads or media",
    ),
    (
        then(downloads_on_a_cache_pool, drop_downloads_share),
        "downloads-media-split",
        "no [[shares]] holding downloads: whether downloads and media share a filesystem",
    ),
    (
        then(sonarr_moves_to_the_cluster, drop("services", "sonarr-k3s", "platform")),
        "arr-on-kubernetes",
        "service sonarr-k3s: platform not stated",
    ),
    (
        then(torrents_planned_on_kubernetes, data_holds_media_only),
        "arr-on-kubernetes",
        "no [[shares]] holding downloads: whether a service on Kubernetes mounts them",
    ),
    (
        then(authentik_moves_to_the_cluster, drop("services", "authentik-k3s", "platform")),
        "idp-in-cluster",
        "service authentik-k3s: platform not stated",
    ),
]

# Rules with no optional fact to omit, and why.
NOTHING_OPTIONAL = {
    # [nut] is the UPS as cockpit knows it (phase 0's checks read it): an inventory without it
    # describes a lab without a UPS, which is the anti-pattern itself.
    "no-ups",
    # Reads each host's `vlan` and each VLAN's `purpose`, both required where they are written.
    "management-on-vlan-1",
    # Counts the hosts known to run Docker (role docker, or docker = true); a host not marked is
    # not counted, so an unstated flag never makes a finding.
    "multiple-docker-vms",
}


@pytest.mark.parametrize(
    ("change", "rule", "note"), OMITTED, ids=[f"{rule}-{i}" for i, (_, rule, _) in enumerate(OMITTED)]
)
def test_a_rule_whose_facts_are_absent_gives_no_finding_and_says_what_it_did_not_check(change, rule, note):
    inventory = changed(change)
    assert lint(inventory, READY) == []
    notes = unchecked(inventory, READY)
    assert any(note in n for n in notes), notes


def test_every_rule_either_notes_its_absent_facts_or_has_none_to_omit():
    noted = {rule for _, rule, _ in OMITTED}
    assert noted | NOTHING_OPTIONAL == {r.id for r in RULES}
    assert not noted & NOTHING_OPTIONAL


def test_the_reviewers_case_nut_without_a_shutdown_order_is_a_note_not_three_errors():
    inventory = changed(drop_shutdown_order)
    assert lint(inventory) == []
    assert any(n.startswith("[nut] shutdown_order not stated") for n in unchecked(inventory))


def test_an_older_inventory_with_none_of_the_facts_passes_what_it_can_and_names_the_rest():
    data = {
        "hosts": [
            host("nas", "nas", "10.0.10.10", 10),
            host("pve1", "hypervisor-primary", "10.0.10.11", 10),
            host("docker", "docker", "10.0.30.10", 30),
        ],
        "nut": {"address": "10.0.10.10:3493", "ups": "ups"},
        "services": [
            {
                "name": "sonarr",
                "hostnames": ["sonarr.home.arpa"],
                "v2": "10.0.20.5",
                "v3": "10.0.30.10",
                "phase": 4,
            }
        ],
    }
    inventory = build(data)
    assert lint(inventory, READY) == []
    notes = unchecked(inventory, READY)
    for expected in (
        "NAS nas: kind not stated",
        "primary hypervisor pve1: boot_disks not stated",
        "no [[vlans]]",
        "[nut] shutdown_order not stated",
        "no [[shares]] holding downloads or media",
        "service sonarr: platform not stated",
    ):
        assert any(n.startswith(expected) for n in notes), (expected, notes)


def test_a_stated_but_wrong_fact_is_still_a_finding_beside_the_notes():
    inventory = changed(then(drop_firewall, node_left_out_of_shutdown))
    assert ids(lint(inventory, READY)) == [("host-outside-shutdown", "pve2")]
    assert any(n.startswith("no [firewall]") for n in unchecked(inventory, READY))


def test_a_server_of_unknown_kind_that_is_in_the_order_needs_no_note():
    inventory = changed(drop("hosts", "nas", "kind"))
    assert ids(lint(inventory)) == []
    assert not any("belongs in the NUT shutdown order" in n for n in unchecked(inventory))


def test_a_second_vm_not_marked_as_a_docker_host_is_not_counted():
    def unmarked(data: Data) -> None:
        data["hosts"].append(host("misc", "other", "10.0.30.13", 30, kind="vm", hypervisor="pve2"))

    assert lint(changed(unmarked)) == []


def test_notes_are_listed_once_even_when_several_rules_miss_the_same_fact():
    inventory = changed(then(drop_firewall, drop("services", "immich-k3s", "platform")))
    notes = unchecked(with_phases(inventory), progress=LintProgress(phase_states=READY))
    assert len(notes) == len(set(notes))
    assert sum(n.startswith("no [firewall]") for n in notes) == 1
    assert sum(n.startswith("service immich-k3s: platform not stated") for n in notes) == 1


def test_the_sound_homelab_states_every_fact_so_nothing_is_unchecked():
    assert unchecked(with_phases(build(sound())), progress=LintProgress(phase_states=READY)) == []
