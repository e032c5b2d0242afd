"""The embedded lab as an operator meets it: `cockpit lab`, `cockpit lab fault`, `cockpit --demo`, doctor, checks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cockpit.cli import main
from cockpit.lab.lab import Lab
from tests.conftest import cockpit_env


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    running = Lab(tmp_path_factory.mktemp("lab"))
    info = running.start()
    yield running, info
    running.stop()


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cockpit_lab_prints_one_json_line_and_stops_cleanly_on_sigterm_and_sigint(tmp_path):
    for number, sig in enumerate((signal.SIGTERM, signal.SIGINT)):
        directory = tmp_path / f"lab{number}"
        process = subprocess.Popen(
            [sys.executable, "-m", "cockpit", "lab", "--dir", str(directory)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cockpit_env(COCKPIT_LOOPBACK_ONLY="1"),
        )
        line = process.stdout.readline()
        info = json.loads(line)
        assert info["config"] == str(directory / "cockpit.toml")
        for key in ("adguard", "pihole", "proxmox", "nut", "unifi", "services"):
            assert key in info
        assert set(info["adguard"]) >= {"url", "username", "password", "dns"}
        assert set(info["pihole"]) >= {"url", "password", "dns"}
        assert {"name", "hostname", "v2", "v3", "port"} <= set(info["services"][0])
        assert set(info["proxmox"]) >= {"url", "token_id", "token_secret", "fingerprint"}
        assert set(info["nut"]) >= {"address", "ups"} and info["nut"]["ups"] == "apc1500"
        assert set(info["unifi"]) >= {"url", "username", "password", "api_key", "fingerprint"}
        assert all(s["v2"].startswith("127.") and s["v3"].startswith("127.") for s in info["services"])
        process.send_signal(sig)
        rest, errors = process.communicate(timeout=15)
        assert process.returncode in (0, 128 + signal.SIGTERM, 130), errors
        assert rest == "", "exactly one line on stdout"
        assert "Traceback" not in errors


def test_the_config_the_lab_writes_is_loopback_only_and_holds_no_secret(lab):
    running, info = lab
    text = Path(info["config"]).read_text()
    config = tomllib.loads(text)
    for secret in (info["adguard"]["password"], info["pihole"]["password"], info["control"]["token"]):
        assert secret not in text
    for host in config["hosts"]:
        assert host["address"].startswith("127.")
    for server in config["dns_servers"]:
        assert "127." in server["api_url"] and server["dns"].startswith("127.")
        secret = Path(info["config"]).parent / server["password"]["file"]
        assert secret.stat().st_mode & 0o077 == 0


def test_the_lab_starts_with_every_name_on_v2_at_both_dns_servers(lab, capsys):
    running, info = lab
    from cockpit.adapters import dns as dns_adapter

    for service in info["services"]:
        if service["phase"] != 4:
            continue
        for server in (info["adguard"]["dns"], info["pihole"]["dns"]):
            answer = dns_adapter.query_sync(server, service["hostname"])
            assert answer.addresses == [service["v2"]], (server, service)
    assert dns_adapter.query_sync(info["adguard"]["dns"], "nothing.home.arpa").nxdomain
    assert dns_adapter.query_sync(info["pihole"]["dns"], "nothing.home.arpa").nxdomain


def test_the_shipped_phases_check_for_real_against_the_lab(lab, capsys, tmp_path):
    running, info = lab
    code, out, _ = run(
        capsys, "--config", info["config"], "--state", str(tmp_path / "s"), "check", "4", "--json"
    )
    results = {r["criterion"]: r for r in json.loads(out)["results"]}
    assert results["v2-still-serving"]["result"] == "pass"
    assert results["immich-answers"]["result"] == "pass"  # v3 is up, by address with its Host header
    assert results["immich-resolves-v3"]["result"] == "fail"  # not cut over: both servers still answer v2
    assert "127.20.0.11" in json.dumps(results["immich-resolves-v3"]["observed"])
    assert results["plex-answers-v3"]["result"] == "pass"
    assert code == 1


def test_a_faulted_lab_makes_checks_fail_or_error_never_pass(lab, capsys, tmp_path):
    running, info = lab
    config = info["config"]
    assert run(capsys, "--config", config, "lab", "fault", "v3-down", "immich")[0] == 0
    assert run(capsys, "--config", config, "lab", "fault", "dns-down", "pihole")[0] == 0
    try:
        code, out, _ = run(capsys, "--config", config, "--state", str(tmp_path / "s"), "check", "4", "--json")
        results = {r["criterion"]: r for r in json.loads(out)["results"]}
        assert results["immich-answers"]["result"] == "fail"
        assert results["immich-answers"]["observed"] == 503
        assert results["immich-resolves-v3"]["result"] in ("fail", "error")
        code, out, _ = run(capsys, "--config", config, "--state", str(tmp_path / "s"), "check", "0", "--json")
        v2 = {r["criterion"]: r for r in json.loads(out)["results"]}["v2-still-serving"]
        assert v2["result"] == "pass"  # v2 is untouched by a v3 fault
    finally:
        assert run(capsys, "--config", config, "lab", "fault", "clear")[0] == 0


def test_lab_fault_refuses_bad_faults_and_configs_without_a_lab(lab, capsys, tmp_path):
    running, info = lab
    code, _, err = run(capsys, "--config", info["config"], "lab", "fault", "ups", "melting")
    assert code == 2 and "unknown UPS state 'melting'" in err
    plain = tmp_path / "plain.toml"
    plain.write_text("")
    code, _, err = run(capsys, "--config", str(plain), "lab", "fault", "clear")
    assert code == 2 and "was not written by `cockpit lab`" in err


def test_doctor_reports_each_dns_server(lab, capsys):
    running, info = lab
    code, out, _ = run(capsys, "--config", info["config"], "doctor", "--json")
    backends = {b["name"]: b for b in json.loads(out)["backends"]}
    assert code == 0
    assert backends["adguard"]["version"] == "v0.107.79" and backends["adguard"]["healthy"]
    assert backends["pihole"]["authenticated"] and backends["pihole"]["dns_answers"]
    assert backends["proxmox"]["healthy"] and backends["proxmox"]["tls"].startswith("pinned SHA-256")
    assert set(backends["proxmox"]["clock_skew_s"]) == {"pve-prod-01", "pve-prod-02"}
    assert all(abs(s) < 5 for s in backends["proxmox"]["clock_skew_s"].values())
    assert backends["unifi"]["healthy"] and backends["unifi"]["version"]
    assert backends["nut"]["healthy"] and backends["nut"]["version"]


def test_doctor_names_what_an_old_adguard_lacks_and_a_down_backend(tmp_path, capsys):
    old = Lab(tmp_path / "old", adguard_version="v0.107.32")
    info = old.start()
    try:
        old.faults.set_down("pihole")
        old.proxmox.set_clock_offset("pve-prod-02", 120)
        code, out, _ = run(capsys, "--config", info["config"], "doctor", "--json")
        backends = {b["name"]: b for b in json.loads(out)["backends"]}
        assert code == 1
        assert "atomic rewrite update" in backends["adguard"]["lacks"][0]
        assert backends["pihole"]["reachable"] is False
        assert any("pve-prod-02 is off by +1" in lack for lack in backends["proxmox"]["lacks"])
        assert 118 <= backends["proxmox"]["clock_skew_s"]["pve-prod-02"] <= 122
    finally:
        old.stop()


def test_the_demo_runs_the_main_job_against_an_embedded_lab(capsys):
    code, out, err = run(capsys, "--demo", "--fresh")
    assert code == 0, err
    assert "cockpit demo: the embedded lab is running" in out
    assert "v2-still-serving" in out and "PASS" in out
    assert "Phase 6" in out
    assert os.environ.get("COCKPIT_LOOPBACK_ONLY") == "1"


def test_lab_fault_names_only_what_the_lab_has(lab, capsys):
    running, info = lab
    code, _, err = run(capsys, "--config", info["config"], "lab", "fault", "v3-down", "Immich")
    assert code == 2 and "no service named 'Immich' in this lab" in err
    code, _, err = run(capsys, "--config", info["config"], "lab", "fault", "host-down", "nas")
    assert code == 2 and "no host named 'nas'" in err


def test_the_demo_starts_mid_migration_recorded_by_really_running_cockpit(capsys):
    code, out, err = run(capsys, "--demo", "status", "--json")
    assert code == 0, err
    status = json.loads(out)
    states = {p["id"]: p["state"] for p in status["phases"]}
    assert [states[i] for i in range(7)] == ["complete"] * 4 + ["active", "locked", "locked"]
    assert not any(p["overridden"] for p in status["phases"]), "reached by checks and tasks, not overrides"
    services = {s["name"]: s for s in status["services"]}
    assert {n for n, s in services.items() if s["state"] == "cut_over"} == {"immich", "sonarr", "radarr"}
    assert services["grafana"]["state"] == "rolled_back"
    assert services["prowlarr"]["drift"], "a drifted service to look at"
    assert "demo: working through phase 3" in err
