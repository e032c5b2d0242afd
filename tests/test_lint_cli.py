"""`cockpit lint`: what the operator reads, the JSON other tools read, and the exit codes."""

from __future__ import annotations

import argparse
import json

import pytest

from cockpit.cli.lintcmd import add_parser, cmd_lint
from cockpit.configsource import EXAMPLE_CONFIG
from cockpit.errors import InputError
from cockpit.project import load_project
from cockpit.store.state import STATE_FILE
from tests.conftest import CONFIG
from tests.test_lint_examples import v2_config

SOUND = (
    CONFIG.replace("vlan = 10\n", 'vlan = 10\nkind = "bare-metal"\n', 1).replace(
        'address = "192.168.10.11"\nvlan = 10\n',
        'address = "192.168.10.11"\nvlan = 10\nkind = "bare-metal"\nboot_disks = ["nvme0n1", "nvme1n1"]\n',
    )
    + """
[nut]
address = "192.168.10.20:3493"
ups = "apc1500"
shutdown_order = ["pve-prod-01", "nas-prod-01"]
"""
)


def run(project, capsys, *, as_json: bool):
    code = cmd_lint(project, argparse.Namespace(json=as_json))
    return code, capsys.readouterr().out


def test_the_v2_example_exits_1_and_prints_each_finding_with_the_seeds_words_and_a_fix(tmp_path, capsys):
    v2 = v2_config(tmp_path)
    project = load_project(str(v2), str(tmp_path / "state"))
    code, out = run(project, capsys, as_json=False)
    assert code == 1
    assert "ERROR   nas-on-hypervisor  truenas-01  (phase 2)" in out
    assert "Principle 1: Bare-metal NAS separation: \u201cRejected. Creates circular dependency" in out
    assert "Fix: Run truenas-01 on its own machine" in out
    assert "WARNING idp-in-cluster  authentik-k3s  (phase 6)" in out
    assert out.rstrip().endswith(f"10 errors, 1 warning in {v2}")


def test_the_json_lists_the_findings_the_counts_and_the_phase_states(tmp_path, capsys):
    v2 = v2_config(tmp_path)
    project = load_project(str(v2), str(tmp_path / "state"))
    code, out = run(project, capsys, as_json=True)
    report = json.loads(out)
    assert code == 1
    assert set(report) == {"config", "ok", "errors", "warnings", "findings", "unchecked", "phase_states"}
    assert (report["ok"], report["errors"], report["warnings"]) == (False, 10, 1)
    assert report["config"] == str(v2)
    assert report["phase_states"] == {"0": "ready", **{str(p): "locked" for p in range(1, 7)}}
    assert report["unchecked"] == []
    finding = next(f for f in report["findings"] if f["rule"] == "no-ups")
    assert finding == {
        "rule": "no-ups",
        "severity": "error",
        "principle": "ups-protection",
        "principle_title": "Principle 4: UPS protection",
        "quotes": [
            "Rejected. Unclean shutdowns risk silent data corruption. v3 requires UPS before power-on.",
            "UPS purchase and installation is Phase 0, Task 1\u2014before any new hardware is powered on.",
        ],
        "subject": "ups",
        "subject_kind": "ups",
        "message": finding["message"],
        "fix": finding["fix"],
        "phase": 0,
    }


def test_warnings_alone_exit_0(tmp_path, capsys):
    project = load_project(str(EXAMPLE_CONFIG), str(tmp_path / "state"))
    code, out = run(project, capsys, as_json=False)
    assert code == 0
    assert "WARNING idp-in-cluster  authentik-k3s" in out
    assert "0 errors, 1 warning in" in out


def test_a_sound_inventory_has_no_findings(lab, capsys):
    lab.config.write_text(SOUND)
    code, out = run(load_project(str(lab.config), str(lab.state)), capsys, as_json=False)
    assert code == 0
    assert f"No findings: {lab.config} follows the design's principles." in out
    assert "Not checked: no [[vlans]]" in out  # what the inventory did not say is named, not passed


def test_an_inventory_without_a_ups_exits_1_and_says_what_it_could_not_check(lab, capsys):
    code, out = run(load_project(str(lab.config), str(lab.state)), capsys, as_json=False)
    assert code == 1
    assert "ERROR   no-ups  ups  (phase 0)" in out
    assert "Not checked: NAS nas-prod-01: kind not stated (bare-metal, vm or lxc)" in out


def test_an_unreadable_store_leaves_the_phase_states_unchecked_and_says_so(lab, capsys):
    lab.config.write_text(SOUND)
    lab.state.mkdir()
    (lab.state / STATE_FILE).write_text("{ torn")
    code, out = run(load_project(str(lab.config), str(lab.state)), capsys, as_json=True)
    report = json.loads(out)
    assert code == 0 and report["phase_states"] is None
    assert any(note.startswith("the store could not be read") for note in report["unchecked"])


def test_bad_facts_are_bad_input_before_lint_runs(lab):
    lab.config.write_text(SOUND.replace('["pve-prod-01", "nas-prod-01"]', '["pve-prod-09", "nas-prod-01"]'))
    with pytest.raises(InputError) as caught:
        load_project(str(lab.config), str(lab.state))
    assert caught.value.exit_code == 2
    assert "nut.shutdown_order[0]: no host with this name" in str(caught.value)


def test_the_parser_takes_lint_with_the_common_options():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    add_parser(sub)
    args = parser.parse_args(["lint", "--json", "--config", "x.toml"])
    assert (args.command, args.json, args.config) == ("lint", True, "x.toml")
