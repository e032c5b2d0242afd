"""SIGKILL `cockpit cutover` and `cockpit rollback` at random moments: nothing recorded is lost, nothing is
left half cut over, and after reconciling the store agrees with what the DNS servers answer."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from cockpit import netguard
from cockpit.adapters import dns as dns_adapter
from cockpit.cli import main
from cockpit.lab.lab import Lab
from cockpit.operator import Operator
from cockpit.store.state import Store
from tests.conftest import cockpit_env

KILLS = 20
WRITE_LATENCY_MS = 150  # widens each change, so most kills land between an intent and its outcome
FAST = {
    "dns_wait_s": 1.0,
    "dns_poll_s": 0.05,
    "dns_timeout_s": 0.5,
    "http_successes": 1,
    "http_interval_s": 0.0,
    "api_timeout_s": 1.0,
}
NAMES = ("immich.home.arpa", "photos.home.arpa")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    # Every SIGKILL leaks a Pi-hole session (16 seats): a short session timeout frees them as FTL would.
    running = Lab(tmp_path_factory.mktemp("crashlab"), cutover=FAST, pihole_session_timeout=4.0)
    info = running.start()
    yield running, info
    running.stop()


def answers(info) -> set[str]:
    found = set()
    for server in ("adguard", "pihole"):
        for name in NAMES:
            found.update(dns_adapter.query_sync(info[server]["dns"], name).addresses or ["nothing"])
    return found


def cockpit(info, state, *args, capsys=None) -> int:
    netguard.allow_command(sys.executable)
    code = main(["--config", info["config"], "--state", str(state), *args])
    if capsys is not None:
        capsys.readouterr()
    return code


def between_intent_and_outcome(state) -> bool:
    """Did the kill land after a change was journaled as intended and before its outcome was?"""
    store = Store.open_reader(state, Operator("t", "t", None))
    return any(p.get("kind") == "dns" for p in store.pending_operations())


def journaled_intents(state) -> int:
    journal = state / "journal.jsonl"
    return journal.read_text().count('"action":"dns.intent"') if journal.exists() else 0


def wait_for_intent(state, before: int, process: subprocess.Popen, timeout: float = 15.0) -> None:
    """Until the run journals its first change (or ends): the kill then lands among the changes."""
    deadline = time.monotonic() + timeout
    while journaled_intents(state) == before and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)


def test_sigkill_at_random_moments_never_loses_or_half_applies_a_change(lab, tmp_path, capsys):
    running, info = lab
    running.reset()
    state = tmp_path / "state"
    assert cockpit(info, state, "override", "4", "--reason", "crash test opens phase 4", capsys=capsys) == 0
    running.faults.set_write_latency("adguard", WRITE_LATENCY_MS)
    running.faults.set_write_latency("pihole", WRITE_LATENCY_MS)
    rng = random.Random(4711)
    landed = 0
    env = cockpit_env(COCKPIT_LOOPBACK_ONLY="1")
    kills = 0
    verbs: dict[str, int] = {"cutover": 0, "rollback": 0}
    while kills < KILLS:
        record = Store.open_reader(state, Operator("t", "t", None)).service_record("immich") or {}
        verb = "rollback" if record.get("state") in ("cut_over", "needs_attention") else "cutover"
        args = [
            sys.executable,
            "-m",
            "cockpit",
            "--config",
            info["config"],
            "--state",
            str(state),
            verb,
            "immich",
        ]
        intents_before = journaled_intents(state)
        process = subprocess.Popen(
            args + (["--yes"] if verb == "cutover" else []),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if rng.random() < 0.3:  # now and then a run completes, so that rollbacks get killed too
            process.wait()
        else:
            kills += 1
            verbs[verb] += 1
            if rng.random() < 0.25:  # any moment at all, the start included
                time.sleep(rng.uniform(0.0, 1.6))
            else:  # a moment inside the changes, however long this machine takes to get there
                wait_for_intent(state, intents_before, process)
                time.sleep(rng.uniform(0.0, 0.4))
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            landed += between_intent_and_outcome(state)

        assert cockpit(info, state, "reconcile", capsys=capsys) in (0, 1)
        store = Store.open_writer(state, Operator("t", "t", None))  # it always opens
        try:
            events, corrupt = store.journal.scan()
            assert corrupt == []
            assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
            intents = {e["after"]["op"] for e in events if e["action"] == "dns.intent"}
            outcomes = {e["after"]["op"] for e in events if e["action"] in ("dns.outcome", "dns.reconciled")}
            assert intents == outcomes, "every intent has an outcome"
            assert store.pending_operations() == []
            final = (store.service_record("immich") or {}).get("state", "planned")
        finally:
            store.close()
        live = answers(info)
        if final == "cut_over":
            assert live == {"127.30.0.10"}, (final, live)
        else:
            assert final in ("rolled_back", "planned", "ready"), final
            assert live == {"127.20.0.11"}, (final, live)
    running.faults.clear()
    print(f"{landed}/{KILLS} kills landed between an intent and its outcome; killed: {verbs}")
    assert verbs["rollback"] > 0, "rollbacks were killed too"
    assert landed > KILLS // 2, (
        f"only {landed} of {KILLS} kills landed inside a change: the test is not testing"
    )


def test_sigterm_mid_cutover_completes_or_compensates_before_exiting(lab, tmp_path, capsys):
    running, info = lab
    running.reset()
    state = tmp_path / "state"
    cockpit(info, state, "override", "4", "--reason", "sigterm test opens phase 4", capsys=capsys)
    running.faults.set_write_latency("pihole", 300)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cockpit",
            "--config",
            info["config"],
            "--state",
            str(state),
            "cutover",
            "immich",
            "--yes",
            "--json",
        ],
        env=cockpit_env(COCKPIT_LOOPBACK_ONLY="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 10
    while not between_intent_and_outcome(state) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    out, err = process.communicate(timeout=30)
    assert time.monotonic() - started < 15, "finished or compensated within a bounded time"
    running.faults.clear()
    record = Store.open_reader(state, Operator("t", "t", None))
    assert record.pending_operations() == []
    final = record.service_record("immich")["state"]
    assert final in ("rolled_back", "cut_over"), (final, err)
    assert answers(info) == ({"127.30.0.10"} if final == "cut_over" else {"127.20.0.11"})
    result = json.loads(out)["services"][0] if out.strip() else {}
    assert not result or result["state"] == final
