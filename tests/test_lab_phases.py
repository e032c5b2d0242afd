"""`cockpit check N --json` for every phase against the lab, healthy and faulted; tasks run against it."""

from __future__ import annotations

import json
import sys

import pytest

from cockpit import netguard
from cockpit.cli import main
from cockpit.lab.lab import Lab


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    netguard.allow_command(sys.executable)  # the lab's host simulator stands in for ssh
    running = Lab(tmp_path_factory.mktemp("lab"))
    info = running.start()
    yield running, info
    running.stop()


@pytest.fixture
def check(lab, capsys, tmp_path):
    running, info = lab
    running.faults.clear()
    running.proxmox.reset()
    running.unifi.reset()

    def run(phase: int) -> dict[str, dict]:
        netguard.allow_command(sys.executable)
        main(["--config", info["config"], "--state", str(tmp_path / "state"), "check", str(phase), "--json"])
        results = json.loads(capsys.readouterr().out)["results"]
        return {r["criterion"]: r for r in results}

    yield run
    running.faults.clear()
    running.proxmox.reset()
    running.unifi.reset()


@pytest.mark.parametrize("phase", [0, 1, 2, 3])
def test_the_automated_criteria_of_phases_0_to_3_pass_against_the_healthy_lab(check, phase):
    results = check(phase)
    automated = {k: r for k, r in results.items() if r["type"] != "manual"}
    assert automated
    failing = {k: (r["result"], r["detail"]) for k, r in automated.items() if r["result"] != "pass"}
    assert failing == {}


@pytest.mark.parametrize("phase", [4, 5, 6])
def test_every_check_type_of_the_later_phases_is_evaluated(check, phase):
    for key, r in check(phase).items():
        if r["type"] == "manual":
            continue
        assert r["result"] != "not_evaluated", (key, r)


FAULTS = [
    # (how to break the lab, phase, criteria that must now fail or error)
    (lambda lab: lab.faults.set_ups("on-battery"), 0, ["ups-online"]),
    (lambda lab: lab.faults.set_ups("low-battery"), 3, ["ups-runtime"]),
    (lambda lab: lab.faults.set_down("nut"), 1, ["ups-online"]),
    (lambda lab: lab.unifi.allow_between(40, 20), 1, ["inter-vlan-default-deny"]),
    (lambda lab: lab.unifi.move_management_to_default(), 1, ["management-not-on-vlan1"]),
    (lambda lab: lab.unifi.remove_vlan(30), 1, ["vlan-30-services"]),
    (lambda lab: lab.faults.set_down("unifi"), 1, ["vlan-10-management", "inter-vlan-default-deny"]),
    (lambda lab: lab.faults.set_host_fault("split-filesystems"), 2, ["downloads-media-same-filesystem"]),
    (lambda lab: lab.faults.set_host_down("nas-prod-01"), 2, ["nas-bare-metal", "array-started"]),
    (lambda lab: lab.proxmox.degrade_mirror("pve-prod-01"), 3, ["primary-boot-mirror"]),
    (
        lambda lab: lab.proxmox.set_node_online("pve-prod-02", False),
        3,
        ["secondary-online", "cluster-quorate"],
    ),
    (lambda lab: lab.faults.set_down("proxmox"), 3, ["primary-online", "primary-boot-mirror"]),
    (lambda lab: lab.faults.set_errors("proxmox", 50), 3, ["cluster-quorate"]),
    (lambda lab: lab.faults.set_v3_down("immich"), 4, ["immich-answers"]),
    (lambda lab: lab.faults.set_dns_down("adguard"), 4, ["immich-resolves-v3"]),
]


@pytest.mark.parametrize(
    ("breaker", "phase", "criteria"), FAULTS, ids=[f"phase{f[1]}-{f[2][0]}" for f in FAULTS]
)
def test_a_faulted_lab_fails_or_errors_the_matching_criteria_never_passes(
    lab, check, breaker, phase, criteria
):
    running, _ = lab
    breaker(running)
    results = check(phase)
    for criterion in criteria:
        assert results[criterion]["result"] in ("fail", "error"), (criterion, results[criterion])


def test_the_guest_shutdown_drill_and_the_snapshot_run_against_the_lab(lab, capsys, tmp_path):
    running, info = lab
    state = str(tmp_path / "state")

    def cockpit(*args):
        netguard.allow_command(sys.executable)
        code = main(["--config", info["config"], "--state", state, *args])
        return code, capsys.readouterr()

    assert cockpit("override", "3", "--reason", "drill rehearsal in the lab")[0] == 0
    code, out = cockpit("task", "run", "3.guest-shutdown-drill", "--json")
    assert code == 0, out.err
    steps = json.loads(out.out)["run"]["steps"]
    assert [(s["action"], s["target"]) for s in steps] == [
        ("proxmox.guest_shutdown", "docker-prod-01"),
        ("proxmox.guest_shutdown", "auth-prod-01"),
        ("proxmox.guest_start", "auth-prod-01"),
        ("proxmox.guest_start", "docker-prod-01"),
    ]
    assert all("OK" in s["output"] and s["output"].startswith("UPID:") for s in steps)
    assert cockpit("override", "4", "--reason", "snapshot rehearsal in the lab")[0] == 0
    code, out = cockpit("task", "run", "4.snapshot-docker-vm", "--json")
    assert code == 0, out.err
    from cockpit.checks.proxmox import client_for
    from cockpit.project import load_project

    with client_for(load_project(info["config"], state)) as client:
        names = [s.name for s in client.snapshots("docker-prod-01")]
    assert any(name.startswith("pre-cutover-") for name in names)
