"""The cutover engine against the lab: every path of plan, cutover, verification, rollback and recovery."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from cockpit import netguard
from cockpit.adapters import dns as dns_adapter
from cockpit.cli import main
from cockpit.lab.lab import Lab
from tests.tui.conftest import FAST as TUI_FAST

FAST = {**TUI_FAST, "grace_period_s": 3.0}  # a grace period long enough to refuse finalizing


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    running = Lab(tmp_path_factory.mktemp("lab"), cutover=FAST)
    info = running.start()
    yield running, info
    running.stop()


class Run:
    """`cockpit ...` in-process against the lab, with a fresh store per test."""

    def __init__(self, lab, info, state: Path, capsys):
        self.lab, self.info, self.state, self.capsys = lab, info, state, capsys

    def __call__(self, *args: str):
        netguard.allow_command(sys.executable)
        code = main(["--config", self.info["config"], "--state", str(self.state), *args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def json(self, *args: str):
        code, out, err = self(*args, "--json")
        return code, json.loads(out) if out.strip() else {}, err

    def answers(self, hostname: str) -> dict[str, list[str]]:
        return {
            name: dns_adapter.query_sync(self.info[name]["dns"], hostname).addresses
            for name in ("adguard", "pihole")
        }

    def service(self, name: str) -> dict:
        return next(s for s in self.info["services"] if s["name"] == name)


@pytest.fixture
def run(lab, tmp_path, capsys):
    running, info = lab
    running.reset()
    cockpit = Run(running, info, tmp_path / "state", capsys)
    assert cockpit("override", "4", "--reason", "the engine's tests open phase 4")[0] == 0
    yield cockpit
    running.reset()


def test_a_cutover_moves_every_name_on_every_server_and_verifies(run):
    code, result, _ = run.json("cutover", "immich", "--yes")
    assert code == 0
    (service,) = result["services"]
    assert service["state"] == "cut_over"
    for name in ("immich.home.arpa", "photos.home.arpa"):
        assert run.answers(name) == {"adguard": ["127.30.0.10"], "pihole": ["127.30.0.10"]}
        assert service["verified"]["answers"]["adguard"][name] == ["127.30.0.10"]
        before = service["servers"]["pihole"][name]["before"]
        assert [e["item"] for e in before] == [f"127.20.0.11 {name}"]
    assert run.answers("sonarr.home.arpa")["adguard"] == ["127.20.0.10"], "only the named service moved"


def test_rollback_restores_v2_everywhere_is_idempotent_and_works_for_all(run):
    run("cutover", "immich", "--yes")
    run("cutover", "sonarr", "--yes")
    code, result, _ = run.json("rollback", "immich")
    assert code == 0 and result["services"][0]["state"] == "rolled_back"
    assert run.answers("photos.home.arpa") == {"adguard": ["127.20.0.11"], "pihole": ["127.20.0.11"]}
    code, result, _ = run.json("rollback", "immich")
    assert code == 0 and "nothing to roll back" in result["services"][0]["reason"]
    code, result, _ = run.json("rollback", "--all")
    assert code == 0
    assert run.answers("sonarr.home.arpa") == {"adguard": ["127.20.0.10"], "pihole": ["127.20.0.10"]}
    assert run.json("cutover", "immich", "--yes")[1]["services"][0]["state"] == "cut_over", (
        "a rolled-back service can go again"
    )


FAILURES = [
    ("adguard", "write-errors", 0),
    ("adguard", "write-errors", 1),
    ("pihole", "write-errors", 0),
    ("pihole", "write-errors", 1),
    ("pihole", "write-errors", 2),
    ("adguard", "write-down", 1),
    ("pihole", "write-down", 0),
    ("pihole", "write-down", 3),
    ("adguard", "write-timeout", 0),
    ("pihole", "write-timeout", 1),
]


@pytest.mark.parametrize(
    ("backend", "fault", "after"), FAILURES, ids=[f"{b}-{f}-after{a}" for b, f, a in FAILURES]
)
def test_a_server_failing_on_a_write_leaves_every_server_as_it_was(run, backend, fault, after):
    run("lab", "fault", fault, backend, "--count", "1", "--after", str(after))
    code, result, _ = run.json("cutover", "immich", "--yes")
    assert code == 1
    assert result["services"][0]["state"] == "rolled_back"
    for name in ("immich.home.arpa", "photos.home.arpa"):
        assert run.answers(name) == {"adguard": ["127.20.0.11"], "pihole": ["127.20.0.11"]}
    assert sorted(r.answer for r in run.lab.adguard.rewrites() if r.domain == "immich.home.arpa") == [
        "127.20.0.11"
    ]
    assert [h for h in run.lab.pihole.hosts() if "immich.home.arpa" in h] == ["127.20.0.11 immich.home.arpa"]
    pending = run.json("status")[1]["pending_operations"]
    assert pending == []


def test_when_restoring_fails_too_the_service_needs_attention_with_the_diff(run):
    run("lab", "fault", "write-errors", "adguard", "--count", "10", "--after", "2")  # the cutover writes pass
    run("lab", "fault", "write-errors", "pihole", "--count", "1")
    code, result, _ = run.json("cutover", "immich", "--yes")
    assert code == 1
    assert result["services"][0]["state"] == "needs_attention"
    status = run.json("status")[1]
    assert next(s for s in status["services"] if s["name"] == "immich")["state"] == "needs_attention"
    run("lab", "fault", "clear")
    code, result, _ = run.json("resolve", "immich", "--restore", "--reason", "pihole came back, restore v2")
    assert code == 0 and result["services"][0]["state"] == "rolled_back"
    assert run.answers("immich.home.arpa") == {"adguard": ["127.20.0.11"], "pihole": ["127.20.0.11"]}


def test_resolve_by_adopting_what_the_servers_answer(run):
    run("lab", "fault", "write-errors", "adguard", "--count", "10", "--after", "2")
    run(
        "lab", "fault", "write-errors", "pihole", "--count", "1", "--after", "3"
    )  # pihole fails on its last write
    assert run.json("cutover", "immich", "--yes")[1]["services"][0]["state"] == "needs_attention"
    run("lab", "fault", "clear")
    assert run("resolve", "immich", "--adopt-live", "--reason", "x")[0] == 2, "a reason is required"
    # Make the servers agree on v3 by hand, as an operator fixing it in the web UI would.
    for item in list(run.lab.pihole.hosts()):
        if item.endswith(("immich.home.arpa", "photos.home.arpa")) and item.startswith("127.20.0.11"):
            run.lab.pihole._hosts.remove(item)
    for name in ("immich.home.arpa", "photos.home.arpa"):
        if f"127.30.0.10 {name}" not in run.lab.pihole.hosts():
            run.lab.pihole.add_host("127.30.0.10", name)
    code, result, _ = run.json("resolve", "immich", "--adopt-live", "--reason", "fixed pihole by hand")
    assert code == 0 and result["services"][0]["state"] == "cut_over"


def test_verification_failing_rolls_back_automatically(run):
    run("lab", "fault", "v3-down", "immich")
    code, _, err = run("cutover", "immich", "--yes")
    assert code == 3 and "does not answer its health check" in err, "refused up front"
    code, result, _ = run.json("cutover", "immich", "--yes", "--force")
    assert code == 1
    assert result["services"][0]["state"] == "rolled_back"
    assert "verification failed" in result["services"][0]["reason"]
    assert run.answers("immich.home.arpa")["adguard"] == ["127.20.0.11"]
    forced = run.json("audit", "--action", "cutover.forced")[1]["events"]
    assert forced and forced[0]["subject"] == "immich"


def test_dns_not_answering_fails_verification(run):
    run("lab", "fault", "dns-down", "pihole")
    code, result, _ = run.json("cutover", "immich", "--yes")
    assert code == 1
    assert (
        "DNS did not answer" in result["services"][0]["reason"] or "rolled" in result["services"][0]["state"]
    )
    assert result["services"][0]["state"] == "rolled_back"


def test_policy_manual_stops_in_needs_attention(run):
    config = Path(run.info["config"])
    original = config.read_text()
    config.write_text(re.sub(r'(name = "immich"\n)', r'\1rollback = "manual"\n', original, count=1))
    try:
        run("lab", "fault", "v3-down", "immich")
        code, result, _ = run.json("cutover", "immich", "--yes", "--force")
        assert code == 1 and result["services"][0]["state"] == "needs_attention"
        assert run.answers("immich.home.arpa")["adguard"] == ["127.30.0.10"], "left for the operator"
        code, result, _ = run.json("rollback", "immich")
        assert code == 0 and result["services"][0]["state"] == "rolled_back"
    finally:
        config.write_text(original)


def test_drift_is_shown_and_never_overwritten_without_force(run):
    # Someone edits the rewrite in the AdGuard web UI mid-migration.
    run.lab.adguard._rewrites[:] = [r for r in run.lab.adguard._rewrites if r.domain != "immich.home.arpa"]
    run.lab.adguard.add_rewrite("immich.home.arpa", "127.99.0.1")
    code, result, _ = run.json("plan", "immich")
    assert code == 1
    assert any("drift: adguard: immich.home.arpa" in b for b in result["services"][0]["blockers"])
    status = run.json("status")[1]
    drift = next(s for s in status["services"] if s["name"] == "immich")["drift"]
    assert drift and "adguard: immich.home.arpa is immich.home.arpa -> 127.99.0.1" in drift[0]
    assert next(s for s in status["services"] if s["name"] == "sonarr")["drift"] == []
    assert run("cutover", "immich", "--yes")[0] == 3, "--yes never confirms overwriting drift"
    code, result, _ = run.json("cutover", "immich", "--yes", "--force")
    assert code == 0 and result["services"][0]["state"] == "cut_over"
    code, result, _ = run.json("rollback", "immich")
    assert run.answers("immich.home.arpa")["adguard"] == ["127.99.0.1"], (
        "rollback restores exactly what was there"
    )


def test_duplicate_rewrites_block_the_plan(run):
    run.lab.adguard.add_rewrite("immich.home.arpa", "127.20.0.11")  # AdGuard accepts the duplicate
    code, result, _ = run.json("plan", "immich")
    assert code == 1 and any("duplicate rewrites" in b for b in result["services"][0]["blockers"])
    assert run("cutover", "immich", "--yes", "--force")[0] == 3


def test_a_name_a_wildcard_answered_gets_its_exact_rewrite_removed_on_rollback(run):
    run.lab.adguard._rewrites[:] = [r for r in run.lab.adguard._rewrites if r.domain != "grafana.home.arpa"]
    run.lab.adguard.add_rewrite("*.home.arpa", "127.20.0.10")
    code, result, _ = run.json("plan", "grafana")
    assert code == 0, result
    now = result["services"][0]["servers"]["adguard"]["grafana.home.arpa"]["now"]
    assert now == [
        {
            "server": "adguard",
            "kind": "wildcard",
            "domain": "*.home.arpa",
            "answer": "127.20.0.10",
            "enabled": True,
        }
    ]
    assert run.json("cutover", "grafana", "--yes")[1]["services"][0]["state"] == "cut_over"
    assert run.answers("grafana.home.arpa")["adguard"] == ["127.30.0.10"]
    run("rollback", "grafana")
    domains = [r.domain for r in run.lab.adguard.rewrites()]
    assert "grafana.home.arpa" not in domains and "*.home.arpa" in domains
    assert run.answers("grafana.home.arpa")["adguard"] == ["127.20.0.10"]


@pytest.mark.parametrize("ups", ["on-battery", "low-battery"])
def test_the_power_guard_refuses_a_cutover_not_a_rollback(run, ups):
    run("cutover", "sonarr", "--yes")
    run("lab", "fault", "ups", ups)
    code, _, err = run("cutover", "immich", "--yes")
    assert code == 3 and "power guard: the UPS reports OB" in err
    assert run("rollback", "sonarr")[0] == 0
    run("lab", "fault", "ups", "online")
    run("lab", "fault", "down", "nut")
    code, _, err = run("cutover", "immich", "--yes")
    assert code == 3 and "NUT cannot be reached" in err


def test_read_only_and_the_gate_refuse(run, tmp_path):
    assert run("--read-only", "cutover", "immich", "--yes")[0] == 3
    assert run("--read-only", "rollback", "immich")[0] == 3
    fresh = Run(run.lab, run.info, tmp_path / "fresh", run.capsys)
    code, _, err = fresh("cutover", "immich", "--yes")
    assert code == 3 and "gate: phase 4" in err
    code, _, err = fresh("cutover", "immich-k3s", "--yes")
    assert code == 3 and "gate: phase 6" in err


def test_the_batch_brake(run):
    many = ["sonarr", "radarr", "prowlarr", "bazarr", "overseerr", "homepage", "grafana"]  # 7 of 13
    code, _, err = run("cutover", *many, "--yes")
    assert code == 3 and "batch brake" in err
    code, result, _ = run.json("cutover", *many[:6], "--yes")
    assert code == 0 and {s["state"] for s in result["services"]} == {"cut_over"}


def test_finalize_after_the_grace_period_and_never_roll_back_a_finalized_service(run):
    import time

    run("cutover", "immich", "--yes")
    code, _, err = run("finalize", "immich")
    if code == 3:
        assert "grace period" in err
        time.sleep(3.1)
    code, result, _ = run.json("finalize", "immich")
    assert code == 0 and result["services"][0]["state"] == "finalized"
    run("cutover", "sonarr", "--yes")
    code, result, _ = run.json("rollback", "--all")
    by_name = {s["service"]: s for s in result["services"]}
    assert (
        code == 1
        and by_name["immich"]["state"] == "finalized"
        and "not rolled back" in by_name["immich"]["reason"]
    )
    assert by_name["sonarr"]["state"] == "rolled_back", "a finalized service never stops the others' rollback"
    assert run.answers("immich.home.arpa")["adguard"] == ["127.30.0.10"], "finalize never removes the rewrite"


def test_verify_on_demand_and_the_grace_period_policy(run):
    run("cutover", "immich", "--yes")
    assert run.json("verify", "immich")[1]["services"][0]["state"] == "cut_over"
    run("lab", "fault", "v3-down", "immich")
    code, result, _ = run.json("verify", "immich")
    assert result["services"][0]["state"] == "rolled_back", result
    assert code == 1
    assert run.json("verify", "sonarr")[1]["services"][0]["state"] == "ready"


def test_services_cut_over_is_evaluated_from_the_engines_states(run):
    dns_services = [s["name"] for s in run.info["services"] if s["phase"] == 4 and s["name"] != "plex"]
    for batch in (dns_services[:5], dns_services[5:]):
        assert run("cutover", *batch, "--yes")[0] == 0
    code, result, _ = run.json("check", "4")
    criterion = next(r for r in result["results"] if r["criterion"] == "services-cut-over")
    assert criterion["result"] == "pass", criterion
    run("rollback", "immich")
    result = run.json("check", "4")[1]
    criterion = next(r for r in result["results"] if r["criterion"] == "services-cut-over")
    assert criterion["result"] == "fail" and "immich" in criterion["observed"]


def test_json_names_each_server_before_after_and_answer(run):
    code, result, _ = run.json("plan", "sonarr")
    servers = result["services"][0]["servers"]
    assert set(servers) == {"adguard", "pihole"}
    assert servers["pihole"]["sonarr.home.arpa"]["after"][0]["item"] == "127.30.0.10 sonarr.home.arpa"
    code, result, _ = run.json("cutover", "sonarr", "--yes")
    record = result["services"][0]
    assert record["servers"]["adguard"]["sonarr.home.arpa"]["after"][0]["answer"] == "127.30.0.10"
    assert record["verified"]["answers"]["pihole"]["sonarr.home.arpa"] == ["127.30.0.10"]


def test_a_failure_after_the_grace_period_is_reported_not_rolled_back(run):
    import time

    run("cutover", "immich", "--yes")
    time.sleep(3.1)  # past this lab's grace period (3 s)
    run("lab", "fault", "v3-down", "immich")
    code, result, _ = run.json("verify", "immich")
    assert code == 1 and result["services"][0]["state"] == "needs_attention"
    assert run.answers("immich.home.arpa")["adguard"] == ["127.30.0.10"]


def test_a_phase_6_move_waits_for_the_move_it_follows_and_then_takes_over_its_names(run):
    status = run.json("status")[1]
    assert all(s["drift"] == [] for s in status["services"] if s["cutover"] == "dns"), "no false drift"
    run("override", "6", "--reason", "the engine's tests open phase 6 too")
    code, _, err = run("cutover", "immich-k3s", "--yes")
    assert code == 3 and "follows immich, which is not cut over yet" in err
    assert run("cutover", "immich", "--yes")[0] == 0
    code, result, _ = run.json("cutover", "immich-k3s", "--yes")
    assert code == 0 and result["services"][0]["state"] == "cut_over"
    assert run.answers("photos.home.arpa") == {"adguard": ["127.30.0.60"], "pihole": ["127.30.0.60"]}
    status = run.json("status")[1]
    assert all(s["drift"] == [] for s in status["services"] if s["cutover"] == "dns"), (
        "the hand-over is not drift"
    )
    run("rollback", "immich-k3s")
    assert run.answers("photos.home.arpa") == {"adguard": ["127.30.0.10"], "pihole": ["127.30.0.10"]}, (
        "back to Docker"
    )


def test_a_finalize_verifies_first(run):
    import time

    run("cutover", "immich", "--yes")
    time.sleep(3.1)
    run("lab", "fault", "v3-down", "immich")
    code, _, err = run("finalize", "immich")
    assert code == 3 and "does not verify now" in err


def test_rolling_back_a_move_its_phase_6_follower_moved_on_waits_for_the_follower(run):
    run("override", "6", "--reason", "the engine's tests open phase 6 too")
    run("cutover", "grafana", "--yes")
    run("cutover", "grafana-k3s", "--yes")
    code, result, _ = run.json("rollback", "grafana")
    assert code == 1 and "roll grafana-k3s back first" in result["services"][0]["reason"]
    code, result, _ = run.json("rollback", "--all")
    assert code == 0 and {s["state"] for s in result["services"] if s["service"].startswith("grafana")} <= {
        "rolled_back"
    }
    assert run.answers("grafana.home.arpa") == {"adguard": ["127.20.0.10"], "pihole": ["127.20.0.10"]}


def test_a_pihole_item_naming_both_names_of_a_service_is_cut_over_and_back(run):
    pihole = run.lab.pihole
    for item in [h for h in pihole.hosts() if h.endswith(("qbit.home.arpa", "torrent.home.arpa"))]:
        pihole._hosts.remove(item)
    pihole._hosts.append("127.20.0.10 qbit.home.arpa torrent.home.arpa")
    code, result, _ = run.json("cutover", "qbittorrent", "--yes")
    assert code == 0, result
    assert run.answers("torrent.home.arpa") == {"adguard": ["127.30.0.10"], "pihole": ["127.30.0.10"]}
    assert run("rollback", "qbittorrent")[0] == 0
    assert run.answers("qbit.home.arpa")["pihole"] == ["127.20.0.10"]
    assert run.answers("torrent.home.arpa")["pihole"] == ["127.20.0.10"]


def test_a_late_write_after_a_timeout_is_read_back_not_lost(run):
    run("lab", "fault", "write-latency", "adguard", "1300")  # longer than this lab's API timeout (1 s)
    code, result, _ = run.json("cutover", "sonarr", "--yes")
    state = result["services"][0]["state"]
    answers = run.answers("sonarr.home.arpa")
    assert (state, answers) in (
        ("cut_over", {"adguard": ["127.30.0.10"], "pihole": ["127.30.0.10"]}),
        ("rolled_back", {"adguard": ["127.20.0.10"], "pihole": ["127.20.0.10"]}),
    ), (state, answers)
