"""`cockpit report`, `cockpit lint` and `cockpit decision` reached through the real entry point."""

from __future__ import annotations

import json

from cockpit.configsource import EXAMPLE_CONFIG
from cockpit.report import SCHEMA_VERSION


def test_report_lint_and_decision_are_subcommands(cli):
    for name in ("report", "lint", "decision"):
        assert cli(name, "--help").code == 0


def test_report_prints_the_json_report(cli):
    run = cli("report", "--format", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["schema_version"] == SCHEMA_VERSION


def test_decision_add_then_list(cli, lab):
    add = cli(
        "decision",
        "add",
        "--title",
        "One Docker VM",
        "--decision",
        "All containers on docker-01.",
        "--rationale",
        "Multi-VM Docker adds complexity without HA.",
        "--principle",
        "simplicity",
        "--revisit",
        "when k3s runs production",
    )
    assert add.code == 0, add.err
    listed = cli("decision", "list", "--json")
    assert listed.code == 0, listed.err
    assert "One Docker VM" in listed.out
    assert any((lab.config.parent / "decisions").glob("*.md"))


def test_lint_exits_1_on_the_seeds_v2_and_0_on_the_example(capsys):
    from cockpit.cli import main

    assert main(["--config", str(EXAMPLE_CONFIG.with_name("v2.toml")), "lint", "--json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert {f["rule"] for f in findings} >= {"no-ups", "nas-on-hypervisor", "primary-single-boot-disk"}
    assert main(["--config", str(EXAMPLE_CONFIG), "lint"]) == 0


def test_validate_names_a_malformed_decision_file(cli, lab):
    decisions = lab.config.parent / "decisions"
    decisions.mkdir()
    (decisions / "0001-broken.md").write_text("no header at all\n")
    run = cli("validate")
    assert run.code == 2
    assert "0001-broken.md:1" in run.err


def test_options_alone_skip_the_subcommands_parsers_and_mean_the_same():
    from cockpit.cli.parser import build_parser, names_no_subcommand

    for raw in (
        ["--config", "x.toml"],
        ["--state", "s", "--read-only", "--no-mouse"],
        ["--demo", "--fresh"],
        [],
    ):
        assert names_no_subcommand(raw)
        quick, full = build_parser(subcommands=False).parse_args(raw), build_parser().parse_args(raw)
        assert vars(quick) == vars(full)
    for raw in (["status"], ["--config", "x.toml", "check", "0"], ["--help"], ["--version"]):
        assert not names_no_subcommand(raw)
