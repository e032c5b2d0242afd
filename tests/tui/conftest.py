"""Fixtures of the TUI tests: one lab per test process, a fresh store per test, and Pilot helpers.

The lab's cutover settings are short (the lab's DNS answers at once) so a cutover driven by keys
takes well under a second; the grace period is short enough for `f` to finalize in a test.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from textual.pilot import Pilot

from cockpit import netguard
from cockpit.adapters import dns as dns_adapter
from cockpit.core import Cockpit
from cockpit.cutover.engine import Engine
from cockpit.lab.lab import Lab
from cockpit.project import Project, load_project
from cockpit.tui.app import CockpitApp

FAST = {
    "dns_wait_s": 1.5,
    "dns_poll_s": 0.05,
    "dns_timeout_s": 0.5,
    "http_successes": 2,
    "http_interval_s": 0.01,
    "http_failures": 2,
    "http_timeout_s": 1.0,
    "grace_period_s": 0.3,
    "api_timeout_s": 1.0,
}
SIZE = (80, 24)
T = TypeVar("T")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def tui_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, dict[str, Any]]]:
    running = Lab(tmp_path_factory.mktemp("tui-lab"), cutover=FAST)
    info = running.start()
    yield running, info
    running.stop()


def in_thread(call: Callable[[], T]) -> T:
    """Run blocking code that starts its own event loop (the core, the adapters) from an async test."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


@dataclass
class World:
    """The lab, its description, and a project with a store of its own."""

    lab: Lab
    info: dict[str, Any]
    project: Project

    def app(self, **options: Any) -> CockpitApp:
        return CockpitApp(self.project, **options)

    def answers(self, hostname: str) -> dict[str, list[str]]:
        """What each lab DNS server answers now, asked directly."""
        return {
            name: in_thread(
                lambda name=name: dns_adapter.query_sync(self.info[name]["dns"], hostname)
            ).addresses
            for name in ("adguard", "pihole")
        }

    def address(self, service: str, side: str) -> str:
        return str(next(s for s in self.info["services"] if s["name"] == service)[side])

    def cockpit(self, write: bool = True) -> Cockpit:
        return Cockpit.open(self.project, write=write)

    def prepare(self, step: Callable[[Cockpit], object]) -> None:
        """Change the store before the app starts, through the core (as a script would).

        In a thread of its own: the core runs its own event loops, and a test already runs one.
        """

        def run() -> None:
            with self.cockpit() as cockpit:
                step(cockpit)

        in_thread(run)

    def cut_over(self, *names: str) -> None:
        def step(cockpit: Cockpit) -> None:
            engine = Engine(cockpit)
            for result in engine.cutover(engine.services(list(names))):
                assert result["state"] == "cut_over", result

        self.prepare(step)

    def service_state(self, name: str) -> str:
        with self.cockpit(write=False) as cockpit:
            return str((cockpit.store.service_record(name) or {}).get("state", "planned"))


@pytest.fixture
def world(tui_lab: tuple[Lab, dict[str, Any]], tmp_path: Path) -> Iterator[World]:
    lab, info = tui_lab
    lab.reset()
    netguard.allow_command(sys.executable)  # the lab's host simulator stands in for ssh
    yield World(lab, info, load_project(info["config"], str(tmp_path / "state")))
    lab.reset()


def open_phase(world: World, phase: int) -> None:
    world.prepare(lambda cockpit: cockpit.override(phase, f"the TUI tests open phase {phase}"))


async def settle(pilot: Pilot[Any], rounds: int = 30) -> None:
    """Wait until no worker runs and every message they posted has been handled."""
    app = pilot.app
    for _ in range(rounds):
        for worker in list(app.workers):
            with contextlib.suppress(Exception):  # a failed worker is the app's to report, not ours
                await worker.wait()
        await pilot.pause()
        if all(w.is_finished for w in app.workers):
            return


async def wait_until(pilot: Pilot[Any], ready: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError("the screen never got there")
        await asyncio.sleep(0.02)
        await pilot.pause()


def screen_text(pilot: Pilot[Any]) -> str:
    """What the terminal shows now, as plain text (the top screen, with what shows through)."""
    return "\n".join(strip.text for strip in pilot.app.screen._compositor.render_strips())


def odd_glyphs(text: str) -> set[str]:
    """Characters whose width differs between terminals: East Asian ambiguous, wide, or emoji."""
    return {c for c in text if unicodedata.east_asian_width(c) in "AWF" or ord(c) >= 0x1F000}
