"""A world for snapshots: the shared lab, a store in a fixed directory, and the pinned clock and operator."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from cockpit import netguard
from cockpit.lab.lab import Lab
from cockpit.project import load_project
from tests.tui.conftest import World
from tests.tui.snapshots.scenes import STATE_ROOT, pinned


@pytest.fixture
def snap_world(tui_lab: tuple[Lab, dict[str, Any]], request: pytest.FixtureRequest) -> Iterator[World]:
    lab, info = tui_lab
    # one directory per test, named after it: the same every run, and apart under xdist
    state = STATE_ROOT / request.node.name.replace("[", "-").replace("]", "")
    shutil.rmtree(state, ignore_errors=True)
    lab.reset()
    netguard.allow_command(sys.executable)  # the lab's host simulator stands in for ssh
    with pinned():
        yield World(lab, info, load_project(info["config"], str(state)))
    lab.reset()
    shutil.rmtree(state, ignore_errors=True)
