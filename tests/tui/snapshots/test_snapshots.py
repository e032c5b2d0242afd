"""Snapshots of every screen at 80x24 and 120x40 (issue 6, proof).

The store is mid-migration: phase 4 open, immich in needs_attention, sonarr drifted. The dialog is
the cutover confirmation with its plan. Baselines: `pytest tests/tui/snapshots --snapshot-update`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.tui.conftest import World
from tests.tui.snapshots.scenes import SCENES, SIZES


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("scene", list(SCENES))
def test_screen(snap_world: World, snap_compare: Any, scene: str, size: str) -> None:
    SCENES[scene].prepare(snap_world)
    assert snap_compare(snap_world.app(), terminal_size=SIZES[size], run_before=SCENES[scene].run_before)
