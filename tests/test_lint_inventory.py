"""The inventory's new facts: optional, checked where they point, and refused with file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cockpit.config import load_config
from cockpit.configsource import ConfigSource
from cockpit.errors import InputError
from cockpit.models.inventory import Inventory, Runbook

BASE = """\
[[hosts]]
name = "nas"
role = "nas"
address = "10.0.10.10"
vlan = 10

[[hosts]]
name = "pve1"
role = "hypervisor-primary"
address = "10.0.10.11"
vlan = 10

[[services]]
name = "sonarr"
hostnames = ["sonarr.home.arpa"]
v2 = "10.0.20.10"
v3 = "10.0.30.10"
phase = 4
"""


def load(tmp_path: Path, extra: str = "", base: str = BASE):
    path = tmp_path / "cockpit.toml"
    path.write_text(base + textwrap.dedent(extra))
    return load_config(ConfigSource(path, "option")).inventory


def problems(tmp_path: Path, extra: str, base: str = BASE) -> list[str]:
    with pytest.raises(InputError) as caught:
        load(tmp_path, extra, base)
    assert caught.value.exit_code == 2
    return [f"{p.line}: {p.field}: {p.message}" for p in caught.value.problems]


def test_an_inventory_without_any_new_fact_still_loads_with_the_defaults(tmp_path):
    inventory = load(tmp_path)
    nas = inventory.hosts[0]
    assert (nas.kind, nas.hypervisor, nas.boot_disks, nas.boot_mirror, nas.docker) == (
        None,
        None,
        [],
        None,
        False,
    )
    assert nas.boot_redundant is None and not nas.is_guest and not nas.runs_docker
    sonarr = inventory.services[0]
    assert (sonarr.platform, sonarr.production, sonarr.shares, sonarr.runbook) == (None, True, [], None)
    assert (inventory.shares, inventory.vlans, inventory.firewall) == ([], [], None)


def test_the_facts_load_as_written(tmp_path):
    inventory = load(
        tmp_path,
        """
        [nut]
        address = "10.0.10.10:3493"
        ups = "apc1500"
        shutdown_order = ["pve1", "nas"]

        [[vlans]]
        id = 10
        name = "Management"
        purpose = "management"
        subnet = "10.0.10.0/24"

        [[vlans]]
        id = 40
        name = "IoT"
        purpose = "iot"

        [firewall]
        default = "deny"
        rules = [{ from = 40, to = "internet", action = "allow" }, { from = "any", to = 10, action = "deny", ports = [22] }]

        [[shares]]
        name = "data"
        host = "nas"
        filesystem = "array"
        purpose = ["downloads", "media"]
        path = "/mnt/user/data"
        """,
    )
    assert inventory.nut is not None and inventory.nut.shutdown_order == ["pve1", "nas"]
    assert [v.id for v in inventory.vlans] == [10, 40] and str(inventory.vlans[0].subnet) == "10.0.10.0/24"
    assert inventory.firewall is not None
    first, second = inventory.firewall.rules
    assert (first.source, first.destination, first.action) == (40, "internet", "allow")
    assert (second.source, second.destination, second.ports) == ("any", 10, [22])
    assert inventory.shares[0].purpose == ["downloads", "media"]


def test_a_host_is_bare_metal_or_a_guest_of_a_named_hypervisor(tmp_path):
    guest = BASE.replace("vlan = 10\n", 'vlan = 10\nkind = "vm"\nhypervisor = "pve1"\n', 1)
    nas = load(tmp_path, base=guest).hosts[0]
    assert nas.is_guest and nas.hypervisor == "pve1"
    unknown = BASE.replace("vlan = 10\n", 'vlan = 10\nkind = "vm"\nhypervisor = "pve9"\n', 1)
    assert problems(tmp_path, "", unknown) == ["7: hosts[0].hypervisor: no host with this name"]
    no_kind = BASE.replace("vlan = 10\n", 'vlan = 10\nhypervisor = "pve1"\n', 1)
    (problem,) = problems(tmp_path, "", no_kind)
    assert "hypervisor is only for a guest" in problem
    wrong = BASE.replace("vlan = 10\n", 'vlan = 10\nkind = "container"\n', 1)
    (problem,) = problems(tmp_path, "", wrong)
    assert problem.startswith("6: hosts[0].kind:")


@pytest.mark.parametrize(
    ("facts", "redundant"),
    [
        ('boot_disks = ["nvme0n1", "nvme1n1"]', True),
        ('boot_disks = ["nvme0n1", "nvme1n1"]\nboot_mirror = false', False),
        ('boot_disks = ["nvme0n1"]', False),
        ("boot_mirror = true", True),
    ],
)
def test_boot_redundancy_reads_the_disks_and_the_mirror_flag(tmp_path, facts, redundant):
    text = BASE.replace(
        'address = "10.0.10.11"\nvlan = 10\n', f'address = "10.0.10.11"\nvlan = 10\n{facts}\n'
    )
    assert load(tmp_path, base=text).hosts[1].boot_redundant is redundant


def test_a_mirror_of_one_disk_is_refused(tmp_path):
    text = BASE.replace(
        'address = "10.0.10.11"\nvlan = 10\n',
        'address = "10.0.10.11"\nvlan = 10\nboot_disks = ["a"]\nboot_mirror = true\n',
    )
    (problem,) = problems(tmp_path, "", text)
    assert "boot_mirror = true needs at least two boot_disks" in problem


def test_every_reference_of_the_facts_is_checked_with_its_line(tmp_path):
    found = problems(
        tmp_path,
        """
        [nut]
        address = "10.0.10.10:3493"
        ups = "apc1500"
        shutdown_order = ["pve1", "pve9", "pve1"]

        [[vlans]]
        id = 10
        name = "Management"
        purpose = "management"

        [firewall]
        default = "deny"
        rules = [{ from = 40, to = "any", action = "deny" }]

        [[shares]]
        name = "data"
        host = "nas9"
        filesystem = "array"
        purpose = "media"
        """,
    )
    assert found == [
        "23: nut.shutdown_order[1]: no host with this name",
        "23: nut.shutdown_order[2]: this host is already in the shutdown order",
        "32: firewall.rules[0].from: no [[vlans]] entry with this id",
        "36: shares[0].host: no host with this name",
    ]


def test_hosts_sit_on_declared_vlans_and_services_mount_declared_shares(tmp_path):
    found = problems(
        tmp_path,
        """
        shares = ["media"]

        [[vlans]]
        id = 20
        name = "Trusted"
        purpose = "trusted"
        """,
    )
    assert found == [
        "5: hosts[0].vlan: no [[vlans]] entry with this id",
        "11: hosts[1].vlan: no [[vlans]] entry with this id",
        "20: services[0].shares[0]: no share with this name",
    ]


def test_the_firewall_must_say_its_default(tmp_path):
    (problem,) = problems(tmp_path, "\n[firewall]\nrules = []\n")
    assert problem.endswith("firewall.default: required field is missing")


def test_a_service_runbook_has_five_named_parts_and_an_old_plain_runbook_becomes_its_notes(tmp_path):
    table = load(
        tmp_path,
        """
        [services.runbook]
        start = "docker compose up -d"
        rollback = "cockpit rollback sonarr"
        """,
    ).services[0]
    assert table.runbook == Runbook(start="docker compose up -d", rollback="cockpit rollback sonarr")
    assert table.runbook is not None and table.runbook.stop is None
    plain = Inventory.model_validate(
        {"services": [{"name": "a", "v3": "10.0.0.1", "phase": 1, "runbook": "Restart it."}]}
    )
    assert plain.services[0].runbook == Runbook(notes="Restart it.")
    with pytest.raises(ValueError, match="runbok"):
        Inventory.model_validate(
            {"services": [{"name": "a", "v3": "10.0.0.1", "phase": 1, "runbook": {"runbok": "typo"}}]}
        )
