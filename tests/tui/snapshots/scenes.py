"""The scenes of the snapshot tests and of `screenshots/make.py`: a store state and the keys that reach a screen.

Everything that changes from run to run is pinned through the app's own data, never by touching the
TUI: the journal's clock, the operator (user and host), the store's directory (the subject of the
first audit event), and the activity spinner's turning (the only animation, shown behind the dialog).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

import cockpit.core
import cockpit.store.journal
import cockpit.store.lock
import cockpit.store.state
from cockpit.cutover.engine import Engine
from cockpit.operator import Operator
from cockpit.tui.screens.audit import AuditScreen
from cockpit.tui.screens.dialogs import Confirm
from cockpit.tui.screens.help import HelpScreen
from cockpit.tui.screens.phase import PhaseScreen
from cockpit.tui.screens.phases import PhasesScreen
from cockpit.tui.screens.services import ServicesScreen
from cockpit.tui.widgets.activity import Activity
from tests.tui.conftest import World, open_phase, settle, wait_until

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
FIXED_TIME = "2026-03-14T02:30:00.000000Z"
OPERATOR = Operator(user="operator", host="cockpit-host", ssh_client=None)
STATE_ROOT = Path("/tmp/cockpit-snapshots")  # a fixed path: the first audit event names it


@contextlib.contextmanager
def pinned() -> Iterator[None]:
    """Pin the clock of the journal and the lock, the operator, and the spinner, for as long as it lasts."""
    saved: list[tuple[object, str, object]] = []

    def put(owner: object, name: str, value: object) -> None:
        saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    for module in (cockpit.store.journal, cockpit.store.state, cockpit.store.lock):
        put(module, "utc_now", lambda: FIXED_TIME)
    put(cockpit.core, "current_operator", lambda: OPERATOR)
    put(Activity, "_turn", lambda self: None)  # the spinner stays on its first frame
    try:
        yield
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)


def prepare_mid_migration(world: World) -> None:
    """Phase 4 open; immich stuck in needs_attention (its rollback failed too); sonarr drifted by hand."""
    open_phase(world, 4)
    faults = world.lab.faults
    faults.set_write_fault("adguard", "error", count=10, after=2)  # the cutover's writes pass
    faults.set_write_fault("pihole", "error", count=1)
    world.prepare(lambda cockpit: Engine(cockpit).cutover(Engine(cockpit).services(["immich"])))
    faults.clear()
    world.lab.adguard.add_rewrite("sonarr.home.arpa", "127.99.0.1")  # edited by hand in the web UI


async def _phases(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    assert isinstance(pilot.app.screen, PhasesScreen)


async def _phase(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("down", "down", "down", "down", "enter")  # phase 4, the active one
    await settle(pilot)
    assert isinstance(pilot.app.screen, PhaseScreen)


async def _services(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ServicesScreen)


async def _confirm(pilot: Pilot[Any]) -> None:
    await _services(pilot)
    await pilot.press("down", "c")  # authentik: planned, healthy
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, Confirm))
    for _ in range(5):  # not `settle`: the cutover's worker waits on this very dialog
        await pilot.pause()


async def _audit(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)
    assert isinstance(pilot.app.screen, AuditScreen)


async def _help(pilot: Pilot[Any]) -> None:
    await _services(pilot)
    await pilot.press("question_mark")
    await settle(pilot)
    assert isinstance(pilot.app.screen, HelpScreen)


async def _decisions(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("4")
    await settle(pilot)
    assert type(pilot.app.screen).__name__ == "DecisionsScreen"


async def _detail(pilot: Pilot[Any]) -> None:
    await _services(pilot)
    await pilot.press("enter")  # immich, in needs_attention: its runbook's rollback matters now
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "ServiceDetailScreen")
    await settle(pilot)


@dataclass(frozen=True)
class Scene:
    name: str
    prepare: Callable[[World], None]
    run_before: Callable[[Pilot[Any]], Awaitable[None]]


SCENES = {
    scene.name: scene
    for scene in (
        Scene("phases", prepare_mid_migration, _phases),
        Scene("phase", prepare_mid_migration, _phase),
        Scene("services", prepare_mid_migration, _services),
        Scene("confirm", prepare_mid_migration, _confirm),
        Scene("audit", prepare_mid_migration, _audit),
        Scene("help", prepare_mid_migration, _help),
        Scene("decisions", prepare_mid_migration, _decisions),
        Scene("detail", prepare_mid_migration, _detail),
    )
}
