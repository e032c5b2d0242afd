"""The linter's English: lists read "a, b and c", and the noun and verb agree with what is listed."""

from __future__ import annotations

import pytest

from cockpit.lint import lint, unchecked
from cockpit.lint.words import counted, join, phases
from tests.test_lint import Data, changed, host, named, service

HARDENING_OPEN = {**{p: "complete" for p in range(5)}, 5: "active", 6: "active"}


@pytest.mark.parametrize(
    ("numbers", "words"),
    [
        ([5], "phase 5"),
        ([4, 5], "phases 4 and 5"),
        ([1, 2, 3, 4, 5], "phases 1-5"),
        ([5, 1, 3], "phases 1, 3 and 5"),
        ([1, 2, 3, 5, 6], "phases 1-3, 5 and 6"),
    ],
)
def test_phases_read_as_a_phrase(numbers, words):
    assert phases(numbers) == words


def test_lists_join_with_and_and_nouns_agree():
    assert [join([]), join(["a"]), join(["a", "b"]), join(["a", "b", "c"])] == [
        "",
        "a",
        "a and b",
        "a, b and c",
    ]
    assert counted("share", ["x"]) == "share x"
    assert counted("share", ["x", "y"]) == "shares x and y"
    assert counted("NAS", ["a", "b"], "NASes") == "NASes a and b"


def test_the_reviewers_sentence_now_reads_phases_1_5_are_not_complete():
    states = {0: "complete", **{p: "active" for p in range(1, 7)}}
    (finding,) = [
        f for f in lint(changed(lambda d: None), states) if f.rule == "k8s-production-before-sandbox"
    ]
    assert "but phases 1-5 are not complete" in finding.message
    assert "Complete phases 1-5 first" in finding.fix
    assert "phase 1, 2" not in finding.message + finding.fix


def test_one_unfinished_phase_is_singular():
    (finding,) = lint(changed(lambda d: None), HARDENING_OPEN)
    assert "but phase 5 is not complete" in finding.message


def test_the_shutdown_order_names_one_host_or_several():
    def nas_before_one(data: Data) -> None:
        data["nut"]["shutdown_order"] = ["pve2", "nas", "pve1"]

    (one,) = lint(changed(nas_before_one))
    assert "stops the NAS nas before pve1: it loses its storage" in one.message

    def nas_first(data: Data) -> None:
        data["nut"]["shutdown_order"] = ["nas", "pve2", "pve1"]

    (two,) = lint(changed(nas_first))
    assert "stops the NAS nas before pve2 and pve1: they lose their storage" in two.message


def test_two_unmirrored_boot_disks_read_as_a_list():
    (finding,) = lint(changed(lambda d: named(d, "hosts", "pve1").update(boot_mirror=False)))
    assert "boots from nvme0 and nvme1 without a mirror" in finding.message


def test_the_networks_iot_reaches_read_as_a_list():
    def open_firewall(data: Data) -> None:
        data["firewall"] = {"default": "allow"}

    (finding,) = [f for f in lint(changed(open_firewall)) if f.rule == "iot-reaches-internal"]
    assert "can reach VLAN 10 (Management), VLAN 20 (Trusted) and VLAN 30 (Services):" in finding.message


def test_a_service_mounting_two_download_shares_names_them_in_the_plural():
    def two_download_shares(data: Data) -> None:
        data["shares"].append({"name": "dl2", "host": "nas", "filesystem": "array", "purpose": "downloads"})
        data["services"].append(
            service("qbit", "10.0.30.60", phase=6, platform="kubernetes", shares=["data", "dl2"])
        )

    (finding,) = lint(changed(two_download_shares))
    assert "mounts the downloads in shares data and dl2:" in finding.message


def test_notes_about_several_hosts_or_services_are_plural():
    def unknowns(data: Data) -> None:
        data["hosts"].append(host("pve3", "hypervisor-primary", "10.0.10.13", 10, kind="bare-metal"))
        named(data, "hosts", "pve1").pop("boot_disks")
        data["nut"]["shutdown_order"].insert(0, "pve3")
        for name in ("immich", "sonarr"):
            named(data, "services", name).pop("platform")

    notes = unchecked(changed(unknowns))
    assert "primary hypervisors pve1 and pve3: boot_disks not stated" in notes
    assert any(
        n.startswith("services sonarr and immich: platform not stated") and "whether they run" in n
        for n in notes
    )
