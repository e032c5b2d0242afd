"""Sandbox first, against the store: a production move cut over while phase 6's sandbox is open.

The seed: "Production services do not migrate to Kubernetes until the cluster is proven stable in
an isolated sandbox environment", and phase 6 is "1. Sandbox cluster, 2. Learning phase, 3.
Selective migration". The sandbox is read from phase 6's file (its required tasks and exit
criteria before the migration), the progress from the store (`progress_from`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json

import pytest

from cockpit.cli.lintcmd import cmd_lint
from cockpit.configsource import EXAMPLE_CONFIG
from cockpit.core import Cockpit
from cockpit.lint import LintProgress, lint, progress_from, unchecked
from cockpit.lint.sandbox import sandbox_of
from cockpit.operator import current_operator
from cockpit.project import Project, load_project
from cockpit.results import CheckResult
from cockpit.store.state import Store
from tests.test_lint import build, changed, service, sound, with_phases

RULE = "k8s-production-before-sandbox"
SANDBOX_TASKS = ("sandbox-vms", "install-k3s", "sandbox-test-workloads", "learning-phase")
SANDBOX_CRITERIA = ("k3s-server-running", "k3s-agents-running", "learning-drills-done")
PHASE_6_ACTIVE = {**{p: "complete" for p in range(6)}, 6: "active"}


def progress(
    *,
    tasks: tuple[str, ...] = SANDBOX_TASKS,
    criteria: tuple[str, ...] = SANDBOX_CRITERIA,
    cutover: dict[str, str] | None = None,
    states: dict[int, str] | None = None,
) -> LintProgress:
    return LintProgress(
        phase_states=PHASE_6_ACTIVE if states is None else states,
        tasks_done={6: frozenset(tasks)},
        criteria_passed={6: frozenset(criteria)},
        cutover=cutover or {},
    )


def without(items: tuple[str, ...], *gone: str) -> tuple[str, ...]:
    return tuple(item for item in items if item not in gone)


def sandbox_findings(subject, progress: LintProgress):
    return [f for f in lint(subject, progress=progress) if f.rule == RULE]


@pytest.fixture
def homelab() -> Project:
    """The sound homelab of tests/test_lint.py with the shipped phases: immich-k3s is its one move."""
    return with_phases(build(sound()))


LEARNING_OPEN = progress(
    tasks=without(SANDBOX_TASKS, "learning-phase"),
    criteria=without(SANDBOX_CRITERIA, "learning-drills-done"),
    cutover={"immich-k3s": "cut_over"},
)


# -- what the sandbox is -----------------------------------------------------------------------


def test_the_sandbox_is_phase_6s_work_before_its_selective_migration(homelab):
    phase = homelab.phase(6)
    assert phase is not None
    sandbox = sandbox_of(phase, homelab.config.inventory.services)
    assert sandbox.tasks == SANDBOX_TASKS
    assert sandbox.criteria == SANDBOX_CRITERIA
    assert "learning-drills-done" in sandbox.manual


def test_the_example_inventory_finds_the_same_sandbox(tmp_path):
    project = load_project(str(EXAMPLE_CONFIG), str(tmp_path / "state"))
    phase = project.phase(6)
    assert phase is not None
    sandbox = sandbox_of(phase, project.config.inventory.services)
    assert (sandbox.tasks, sandbox.criteria) == (SANDBOX_TASKS, SANDBOX_CRITERIA)


# -- the finding -------------------------------------------------------------------------------


def test_a_move_cut_over_while_the_learning_phase_is_open_is_an_error(homelab):
    (finding,) = sandbox_findings(homelab, LEARNING_OPEN)
    assert (finding.subject, finding.severity, finding.phase) == ("immich-k3s", "error", 6)
    assert (
        "task learning-phase is not done and exit criterion learning-drills-done has not passed"
        in finding.message
    )
    assert "cockpit rollback immich-k3s" in finding.fix
    assert "cockpit task done 6.learning-phase" in finding.fix
    assert "cockpit attest 6.learning-drills-done" in finding.fix
    assert "Production services do not migrate to Kubernetes" in finding.quotes[0]


@pytest.mark.parametrize("state", ["cutting_over", "verifying", "cut_over", "finalized"])
def test_every_state_in_which_the_name_moved_is_flagged(homelab, state):
    found = sandbox_findings(homelab, dataclasses.replace(LEARNING_OPEN, cutover={"immich-k3s": state}))
    assert [f.subject for f in found] == ["immich-k3s"]


@pytest.mark.parametrize("state", [None, "planned", "ready", "rolled_back"])
def test_a_move_that_has_not_happened_is_not_flagged(homelab, state):
    cutover = {} if state is None else {"immich-k3s": state}
    assert sandbox_findings(homelab, dataclasses.replace(LEARNING_OPEN, cutover=cutover)) == []


def test_an_automated_sandbox_criterion_not_passed_asks_for_a_check(homelab):
    open_check = progress(
        criteria=without(SANDBOX_CRITERIA, "k3s-agents-running"), cutover={"immich-k3s": "cut_over"}
    )
    (finding,) = sandbox_findings(homelab, open_check)
    assert "exit criterion k3s-agents-running has not passed" in finding.message
    assert "cockpit check 6" in finding.fix


def test_several_open_items_are_listed_in_plural(homelab):
    (finding,) = sandbox_findings(
        homelab, progress(tasks=(), criteria=(), cutover={"immich-k3s": "cut_over"})
    )
    assert (
        "tasks sandbox-vms, install-k3s, sandbox-test-workloads and learning-phase are not done"
        in finding.message
    )
    assert (
        "exit criteria k3s-server-running, k3s-agents-running and learning-drills-done have not passed"
        in (finding.message)
    )


def test_a_finalized_move_cannot_be_rolled_back_and_the_fix_says_so(homelab):
    finalized = dataclasses.replace(LEARNING_OPEN, cutover={"immich-k3s": "finalized"})
    (finding,) = sandbox_findings(homelab, finalized)
    assert "can no longer be rolled back" in finding.fix
    assert "cockpit rollback" not in finding.fix


def test_once_the_sandbox_is_proven_the_move_passes(homelab):
    assert sandbox_findings(homelab, progress(cutover={"immich-k3s": "cut_over"})) == []
    assert unchecked(homelab, progress=progress(cutover={"immich-k3s": "cut_over"})) == []


def test_the_selective_migration_itself_is_not_part_of_the_sandbox(homelab):
    # migrate-immich and the phase's cutover criteria are open while the move is under way.
    assert "migrate-immich" not in SANDBOX_TASKS
    assert sandbox_findings(homelab, progress(cutover={"immich-k3s": "verifying"})) == []


def test_a_complete_phase_6_is_not_reopened_by_a_later_undo(homelab):
    done = dataclasses.replace(LEARNING_OPEN, phase_states={p: "complete" for p in range(7)})
    assert sandbox_findings(homelab, done) == []


def test_a_test_workload_in_the_sandbox_is_not_a_production_move(homelab):
    workload = dataclasses.replace(LEARNING_OPEN, cutover={"whoami": "cut_over"})
    assert sandbox_findings(homelab, workload) == []


def test_an_earlier_phase_not_complete_is_one_finding_per_move_with_the_phases_in_plural():
    homelab = with_phases(build(sound()))
    early = dataclasses.replace(
        LEARNING_OPEN, phase_states={0: "complete", **{p: "active" for p in range(1, 7)}}
    )
    (finding,) = sandbox_findings(homelab, early)
    assert "but phases 1-5 are not complete" in finding.message
    assert finding.fix.startswith("Complete phases 1-5 first")


def test_a_single_unfinished_phase_is_named_in_the_singular(homelab):
    (finding,) = sandbox_findings(
        homelab, dataclasses.replace(LEARNING_OPEN, phase_states=PHASE_6_ACTIVE | {5: "active"})
    )
    assert "but phase 5 is not complete" in finding.message


# -- what could not be checked -----------------------------------------------------------------


def test_without_the_progress_the_cutover_check_is_said_to_be_unchecked(homelab):
    notes = unchecked(homelab, PHASE_6_ACTIVE)
    assert notes == [
        "the store's progress not given (tasks done, criteria passed, cutover states): whether a production "
        "move to Kubernetes was cut over before the phase 6 sandbox was proven was not checked"
    ]
    assert [f for f in lint(homelab, PHASE_6_ACTIVE) if f.rule == RULE] == []


def test_the_progress_wins_over_phase_states_given_beside_it(homelab):
    found = [
        f for f in lint(homelab, {p: "ready" for p in range(7)}, progress=LEARNING_OPEN) if f.rule == RULE
    ]
    assert [f.subject for f in found] == ["immich-k3s"]


def test_without_the_phases_the_sandbox_is_unknown_and_said_to_be(homelab):
    inventory = homelab.config.inventory
    assert sandbox_findings(inventory, LEARNING_OPEN) == []
    assert any(
        note.startswith("the phases not given") for note in unchecked(inventory, progress=LEARNING_OPEN)
    )
    no_phase_6 = dataclasses.replace(homelab, phases=[p for p in homelab.phases if p.id != 6])
    assert any(
        note.startswith("the phases have no phase 6")
        for note in unchecked(no_phase_6, progress=LEARNING_OPEN)
    )


def test_a_phase_file_whose_tasks_name_no_move_checks_the_criteria_only_and_says_so(homelab):
    phase = homelab.phase(6)
    assert phase is not None
    tasks = [
        t.model_copy(update={"runbook": t.runbook.replace("immich-k3s", "the Immich move")})
        for t in phase.tasks
    ]
    edited = phase.model_copy(update={"tasks": tasks})
    project = dataclasses.replace(homelab, phases=[edited if p.id == 6 else p for p in homelab.phases])
    notes = unchecked(project, progress=LEARNING_OPEN)
    assert any(note.startswith("no task of phase 6 names one of its moves") for note in notes)
    (finding,) = sandbox_findings(project, LEARNING_OPEN)
    assert "exit criterion learning-drills-done has not passed" in finding.message
    assert "learning-phase" not in finding.message  # the tasks could not be told apart, so not judged
    only_tasks_open = progress(tasks=(), cutover={"immich-k3s": "cut_over"})
    assert sandbox_findings(project, only_tasks_open) == []


def test_a_planned_move_is_still_checked_against_the_plan_with_the_progress(homelab):
    project = with_phases(
        changed(lambda d: d["services"].append(service("x", "10.0.30.60", phase=4, platform="kubernetes")))
    )
    found = sandbox_findings(project, progress())
    assert [(f.subject, f.phase) for f in found] == [("x", 4)]


# -- from the store ----------------------------------------------------------------------------


def store_with_immich_moved_early(project: Project) -> None:
    """Phases 0-5 complete, phase 6 active, the sandbox built but not yet broken, immich-k3s cut over."""
    store = Store.open_writer(project.state_dir, current_operator())
    try:
        for phase in range(6):
            store.record("phase.completed", str(phase), after={"evidence": {}})
        store.record("phase.activated", "6", after={"evidence": {}})
        for task in ("sandbox-vms", "install-k3s", "sandbox-test-workloads"):
            store.record("task.done", f"6.{task}", after={"done": True, "note": "done"})
        results = [
            CheckResult(
                phase=6, criterion=c, kind="exit", type="proxmox.guest_running", result="pass"
            ).record()
            for c in ("k3s-server-running", "k3s-agents-running")
        ]
        store.record("check.recorded", "6", after={"results": results})
        store.record("service.state", "immich-k3s", after={"state": "cut_over"})
    finally:
        store.close()


def test_progress_from_reads_the_states_tasks_criteria_and_cutovers_from_the_store(tmp_path):
    project = load_project(str(EXAMPLE_CONFIG), str(tmp_path / "state"))
    store_with_immich_moved_early(project)
    with Cockpit.open(project, write=False) as cockpit:
        read = progress_from(cockpit)
    assert read.phase_states == PHASE_6_ACTIVE
    assert read.tasks_done[6] == {"sandbox-vms", "install-k3s", "sandbox-test-workloads"}
    assert read.criteria_passed[6] == {"k3s-server-running", "k3s-agents-running"}
    assert read.cutover == {"immich-k3s": "cut_over"}
    assert read.cutover_state("grafana-k3s") == "planned"
    assert read.tasks_done[0] == frozenset()


def test_cockpit_lint_reads_the_store_and_fails_the_early_move(tmp_path, capsys):
    project = load_project(str(EXAMPLE_CONFIG), str(tmp_path / "state"))
    store_with_immich_moved_early(project)
    code = cmd_lint(project, argparse.Namespace(json=True))
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    found = [f for f in report["findings"] if f["rule"] == RULE]
    assert [f["subject"] for f in found] == ["immich-k3s"]
    assert "task learning-phase is not done" in found[0]["message"]
    assert report["phase_states"]["6"] == "active"
    assert report["unchecked"] == []


def test_cockpit_lint_on_a_fresh_store_checks_everything_it_can(tmp_path, capsys):
    project = load_project(str(EXAMPLE_CONFIG), str(tmp_path / "state"))
    code = cmd_lint(project, argparse.Namespace(json=True))
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["unchecked"] == []
    assert [f["rule"] for f in report["findings"]] == ["idp-in-cluster"]
