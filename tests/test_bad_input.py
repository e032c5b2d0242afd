"""Bad input of any kind stops with exit 2 and a message naming file, line and field; nothing is written."""

from __future__ import annotations

import pytest

from tests.conftest import PHASE0

PHASE_CASES = [
    # (replace this text in phase 0, with this, expected line and message)
    (
        'id = "ups-bought"',
        'id = "ups bought"',
        "0.toml:6: entry[0].id: string should match pattern '^[a-z0-9][a-z0-9-]*$'",
    ),
    (
        'type = "manual"\nprompt = "Receipt"',
        'type = "nut.smoke"\nprompt = "Receipt"',
        "0.toml:10: entry[0].check.type: unknown check type 'nut.smoke' (known: manual, nut.ups_status, nut.clients, "
        "proxmox.zfs_mirror, proxmox.node_online, proxmox.cluster_quorate, proxmox.guest_running, unifi.vlan, unifi.management_vlan, "
        "unifi.default_deny, dns.resolves, http.ok, command, services.cut_over)",
    ),
    (
        'id = "label-cables"',
        'id = "install-ups"',
        "0.toml:21: tasks[1].id: duplicate task id 'install-ups' (first at line 15)",
    ),
    (
        'id = "drill-observed"',
        'id = "ups-bought"',
        "0.toml:28: exit[0].id: duplicate criterion id 'ups-bought' (first at line 6)",
    ),
    (
        "required = false",
        'required = "sometimes"',
        "0.toml:24: tasks[1].required: input should be a valid boolean",
    ),
    (
        'principle = "document-everything"',
        'principle = "vibes"',
        "0.toml:23: tasks[1].principle: unknown principle 'vibes' (known: bare-metal-nas, hypervisor-redundancy, "
        "vlan-segmentation, ups-protection, kubernetes-ready, document-everything, no-premature-optimization, "
        "hardlinks, phased-build, simplicity)",
    ),
    (
        'runbook = "Label them."',
        'runbook = "Label them."\nrunbok = "typo"',
        "0.toml:26: tasks[1].runbok: unknown field",
    ),
    (
        'why_manual = "A purchase is not observable"\n',
        "",
        "0.toml:9: entry[0].check.why_manual: required field is missing",
    ),
    ('title = "Power"', 'title = "Power', "0.toml:2: invalid TOML: Illegal character '\\n'"),
    ("id = 0\n", "id = 1\n", "1.toml:1: id: duplicate phase id 1 (also in"),
    # Strict types: a value that merely looks right is still refused, never coerced.
    ("id = 0\n", 'id = "0"\n', "0.toml:1: id: input should be a valid integer"),
    ("required = false", 'required = "no"', "0.toml:24: tasks[1].required: input should be a valid boolean"),
    ("required = false", "required = 0", "0.toml:24: tasks[1].required: input should be a valid boolean"),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"), PHASE_CASES, ids=[c[2].split(": ")[1][:30] for c in PHASE_CASES]
)
def test_a_bad_phase_file_names_file_line_and_field(lab, cli, old, new, expected):
    assert old in PHASE0
    lab.write_phase("0.toml", PHASE0.replace(old, new, 1))
    result = cli("validate")
    assert result.code == 2
    assert expected in result.err, result.err
    assert not lab.state.exists(), "nothing written"
    assert cli("task", "done", "0.install-ups").code == 2


CONFIG_CASES = [
    ("vlan = 10\n", 'vlan = "10"\n', "cockpit.toml:7: hosts[0].vlan: input should be a valid integer"),
    ("phase = 1\n", "phase = 1.0\n", "cockpit.toml:29: services[0].phase: input should be a valid integer"),
    (
        'password = { env = "TEST_ADGUARD_PASSWORD" }',
        'password = "hunter2-plain"',
        'cockpit.toml:22: dns_servers[0].password: secrets never sit in the TOML: write { env = "VARIABLE" } or '
        '{ file = "/path/0600-file" }',
    ),
    (
        'address = "192.168.10.20"',
        'address = "192.168.10.300"',
        "cockpit.toml:6: hosts[0].address: '192.168.10.300' is not a valid IP address",
    ),
    (
        'name = "pve-prod-01"',
        'name = "nas-prod-01"',
        "cockpit.toml:10: hosts[1].name: duplicate name 'nas-prod-01' (first at line 4)",
    ),
    ('role = "hypervisor-primary"', 'role = "hypervisor"', "cockpit.toml:11: hosts[1].role: input should be"),
    (
        'dns = "127.0.0.1:5353"',
        'dns = "127.0.0.1"',
        "cockpit.toml:20: dns_servers[0].dns: expected host:port, got '127.0.0.1'",
    ),
    ("phase = 1\n", "phase = 7\n", "cockpit.toml:29: services[0].phase: no phase 7"),
    (
        "vlan = 10\n",
        'vlan = "ten"\n',
        "cockpit.toml:7: hosts[0].vlan: input should be a valid integer",
    ),
    (
        'phases_dir = "phases"',
        'phases_dir = "phases"\nsurprise = true',
        "cockpit.toml:2: surprise: unknown field",
    ),
    ('v2 = "192.168.20.10"\n', "", "cockpit.toml:24: services[0].v2: required field is missing"),
    ("[[services]]", "[[services]\n", "cockpit.toml:24: invalid TOML"),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"), CONFIG_CASES, ids=[c[2].split(": ")[1][:30] for c in CONFIG_CASES]
)
def test_a_bad_config_names_file_line_and_field(lab, cli, old, new, expected):
    text = lab.config.read_text()
    assert old in text
    lab.config.write_text(text.replace(old, new, 1))
    result = cli("status")
    assert result.code == 2
    assert expected in result.err, result.err
    assert not lab.state.exists(), "nothing written"


def test_a_phase_reference_to_a_missing_host_or_service_is_bad_input(lab, cli):
    from tests.conftest import PHASE1

    lab.write_phase(
        "1.toml", PHASE1.replace('node = "role:hypervisor-primary"', 'node = "role:hypervisor-secondary"')
    )
    result = cli("validate")
    assert result.code == 2
    assert (
        f"1.toml:24: exit[1].check.node: no host with role matching 'hypervisor-secondary' in the inventory ({lab.config})"
        in result.err
    )
    lab.write_phase(
        "1.toml",
        PHASE1.replace('type = "services.cut_over"', 'type = "services.cut_over"\nservices = ["jellyfin"]'),
    )
    result = cli("validate")
    assert (
        f"1.toml:17: exit[0].check.services: no service named 'jellyfin' in the inventory ({lab.config})"
        in result.err
    )


def test_phase_ids_must_run_without_gaps(lab, cli):
    (lab.phases / "1.toml").unlink()
    result = cli("validate")
    assert result.code == 2
    assert "2.toml:1: id: phase ids must run 0..1 without gaps; missing 1" in result.err


def test_errors_come_as_json_too(lab, cli):
    lab.write_phase("0.toml", PHASE0.replace('id = "ups-bought"', 'id = "UPS"'))
    result = cli("validate", "--json")
    assert result.code == 2
    problem = result.json["error"]["problems"][0]
    assert problem["line"] == 6 and problem["field"] == "entry[0].id" and problem["file"].endswith("0.toml")


def test_a_missing_config_named_by_option_is_bad_input(lab, capsys):
    from cockpit.cli import main

    assert main(["--config", str(lab.root / "nope.toml"), "status"]) == 2
    assert "nope.toml: config file named by --config does not exist" in capsys.readouterr().err


def test_a_command_placeholder_must_name_exactly_one_host(lab, cli):
    from tests.conftest import PHASE2

    command = '[exit.check]\ntype = "command"\nhost = "role:nas"\nargv = ["ping", "{address:role:nobody}"]\n'
    lab.write_phase(
        "2.toml",
        PHASE2.replace(
            '[exit.check]\ntype = "manual"\nprompt = "Evidence"\nwhy_manual = "Human judgement"\n', command
        ),
    )
    result = cli("validate")
    assert result.code == 2
    assert (
        "2.toml:18: exit[0].check.argv[1]: placeholder {...:role:nobody} must match exactly one host in the inventory; it matches 0"
        in result.err
    )
