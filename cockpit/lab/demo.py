"""Provides the demo's story: a store mid-migration, recorded by really running cockpit against the lab.

Phases 0-3 are completed the way an operator would complete them (manual criteria attested with
the demo's evidence, tasks run through their actions or marked done, every check run against the
lab), phase 4 is opened by its checks, a few services are cut over, one is rolled back by its
failed verification, and one is left drifted by an edit "in the AdGuard web UI". Nothing here is
faked: every state comes from the core and the engine.
"""

from __future__ import annotations

from collections.abc import Callable

from cockpit.core import Cockpit
from cockpit.cutover.engine import Engine, drift_report, record_drift
from cockpit.lab.lab import Lab
from cockpit.project import Project

CUT_OVER = ("immich", "sonarr", "radarr")
ROLLED_BACK = "grafana"  # its v3 is down during the cutover: verification fails, automatic rollback
DRIFTED = "prowlarr"  # someone edits its rewrite in the AdGuard web UI


def seed(project: Project, lab: Lab, say: Callable[[str], None] = lambda _: None) -> None:
    """Bring a fresh demo store to the middle of the migration."""
    with Cockpit.open(project, write=True) as cockpit:
        for phase in project.phases[:4]:
            say(f"demo: working through phase {phase.id}: {phase.title}")
            _complete(cockpit, phase.id)
        say("demo: opening phase 4 and cutting the first services over")
        cockpit.check([4])
        engine = Engine(cockpit)
        engine.cutover(engine.services(list(CUT_OVER)))
        lab.faults.set_v3_down(ROLLED_BACK)
        engine.cutover(engine.services([ROLLED_BACK]), force=True)
        lab.faults.set_v3_down(ROLLED_BACK, False)
    hostname = next(s.hostname for s in project.config.inventory.services if s.name == DRIFTED)
    with lab.adguard.lock:
        lab.adguard._rewrites[:] = [r for r in lab.adguard._rewrites if r.domain != hostname]
    lab.adguard.add_rewrite(hostname, "127.20.0.99")
    with Cockpit.open(project, write=True) as cockpit:  # a check after the moves and the edit
        cockpit.check([4])
        record_drift(cockpit, drift_report(cockpit))


def _complete(cockpit: Cockpit, phase_id: int) -> None:
    phase = cockpit.phase(phase_id)
    for _, criterion in phase.criteria():
        if criterion.manual and _kind(phase, criterion.id) == "entry":
            cockpit.attest(phase_id, criterion.id, f"demo: {criterion.check.prompt}")  # type: ignore[union-attr]
    cockpit.check([phase_id])
    for task in phase.tasks:
        if task.actions:
            cockpit.run_task(phase_id, task.id)
        else:
            cockpit.set_task(phase_id, task.id, True, "demo: done in the lab")
    for _, criterion in phase.criteria():
        if criterion.manual and _kind(phase, criterion.id) == "exit":
            cockpit.attest(phase_id, criterion.id, f"demo: {criterion.check.prompt}")  # type: ignore[union-attr]
    cockpit.check([phase_id])


def _kind(phase, criterion_id: str) -> str:  # type: ignore[no-untyped-def]
    return next(kind for kind, c in phase.criteria() if c.id == criterion_id)
