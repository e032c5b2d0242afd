"""Running a task: its actions go through the adapters, journaled before and after, and kept as evidence."""

from __future__ import annotations

import sys

import pytest

from cockpit import netguard
from cockpit.operator import Operator
from cockpit.store.state import Store
from tests.conftest import PHASE0


def with_actions(actions: str) -> str:
    """Phase 0 whose first task declares `actions`."""
    return PHASE0.replace(
        'runbook = "Plug it in. How to check it: upsc."',
        f'runbook = "Plug it in. How to check it: upsc."\nactions = [\n{actions}\n]',
    )


@pytest.fixture
def opened(lab, cli):
    """Phase 0 open (its entry attested and checked), python allow-listed for command actions."""
    netguard.allow_command(sys.executable)
    cli("attest", "0.ups-bought", "--evidence", "invoice")
    cli("check", "0")
    return lab


def test_a_task_whose_actions_succeed_is_done_with_their_output_as_evidence(opened, cli):
    opened.write_phase(
        "0.toml",
        with_actions(
            f'  {{ type = "command", argv = ["{sys.executable}", "-c", "print(\'UPS on the shelf\')"] }},'
        ),
    )
    run = cli("task", "run", "0.install-ups", "--json")
    assert run.code == 0, run.err
    steps = run.json["run"]["steps"]
    assert steps[0]["ok"] and "UPS on the shelf" in steps[0]["output"]
    show = cli("show", "0", "--json").json
    task = next(t for t in show["tasks"] if t["id"] == "install-ups")
    assert task["done"] is True and "ran 1 action(s)" in task["note"]
    actions = [e["action"] for e in cli("audit", "--json").json["events"]]
    assert actions[:4] == ["task.done", "task.ran", "task.action.finished", "task.action.started"]


def test_the_first_failing_step_stops_the_run_and_the_task_stays_open(opened, cli):
    opened.write_phase(
        "0.toml",
        with_actions(
            f'  {{ type = "command", argv = ["{sys.executable}", "-c", "import sys; sys.exit(3)"] }},\n'
            f'  {{ type = "command", argv = ["{sys.executable}", "-c", "print(1)"] }},'
        ),
    )
    run = cli("task", "run", "0.install-ups", "--json")
    assert run.code == 1
    assert [s["ok"] for s in run.json["run"]["steps"]] == [False]
    show = cli("show", "0", "--json").json
    assert not next(t for t in show["tasks"] if t["id"] == "install-ups")["done"]
    events = cli("audit", "--json", "--action", "task.action.finished").json["events"]
    assert events[0]["outcome"] == "failed" and events[0]["after"]["detail"]["exit"] == 3


def test_a_program_not_allow_listed_is_refused_under_the_guard(opened, cli):
    opened.write_phase(
        "0.toml", with_actions('  { type = "command", argv = ["ssh", "nas-prod-01", "true"] },')
    )
    run = cli("task", "run", "0.install-ups", "--json")
    assert run.code == 1
    assert "command 'ssh' is not allow-listed" in run.json["run"]["steps"][0]["output"]


def test_running_a_task_of_a_phase_that_is_not_open_is_refused(lab, cli):
    lab.write_phase("0.toml", with_actions('  { type = "command", argv = ["true"] },'))
    assert cli("task", "run", "0.install-ups").code == 3


def test_a_task_without_actions_cannot_be_run(opened, cli):
    result = cli("task", "run", "0.label-cables")
    assert result.code == 2 and "has no actions to run" in result.err


def test_an_action_interrupted_by_a_crash_is_reconciled_not_retried(opened, cli):
    opened.write_phase(
        "0.toml", with_actions(f'  {{ type = "command", argv = ["{sys.executable}", "-c", "print(1)"] }},')
    )
    store = Store.open_writer(opened.state, Operator("ops", "laptop", None))
    store.record(
        "task.action.started",
        "0.install-ups",
        after={"op": "abc123", "step": 0, "action": "command", "target": "local"},
    )
    store.close()  # the process died before the outcome
    status = cli("status", "--json").json
    assert status["pending_operations"][0]["op"] == "abc123"
    assert "PENDING: command on local" in cli("status").out
    cli("task", "run", "0.install-ups")
    reconciled = cli("audit", "--json", "--action", "task.action.reconciled").json["events"][0]
    assert reconciled["after"]["op"] == "abc123" and reconciled["after"]["reconciled"] == "needs_attention"
    assert reconciled["outcome"] == "needs_attention"
    assert cli("status", "--json").json["pending_operations"] == []


def test_an_action_naming_a_missing_host_is_bad_input(lab, cli):
    lab.write_phase("0.toml", with_actions('  { type = "proxmox.guest_start", guest = "role:docker" },'))
    result = cli("validate")
    assert result.code == 2
    assert "0.toml:20: tasks[0].actions[0].guest: no host with role matching 'docker'" in result.err
