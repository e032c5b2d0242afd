"""Make screenshots/<screen>.svg of every screen of the TUI, against a lab of its own.

    python screenshots/make.py [--size 120x40]

The scenes (mid-migration: phase 4 open, immich in needs_attention, sonarr drifted, the cutover
confirmation) are the snapshot tests' own, from tests/tui/snapshots/scenes.py.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.pilot import Pilot  # noqa: E402

from cockpit import netguard  # noqa: E402
from cockpit.lab.lab import Lab  # noqa: E402
from cockpit.project import load_project  # noqa: E402
from tests.tui.conftest import FAST, World  # noqa: E402
from tests.tui.snapshots.scenes import SCENES, STATE_ROOT, pinned  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="120x40", help="COLSxROWS (default 120x40)")
    args = parser.parse_args()
    cols, rows = (int(n) for n in args.size.split("x"))
    out = ROOT / "screenshots"
    netguard.allow_command(sys.executable)  # the lab's host simulator stands in for ssh
    with tempfile.TemporaryDirectory() as tmp:
        lab = Lab(Path(tmp) / "lab", cutover=FAST)
        info = lab.start()
        try:
            for name, scene in SCENES.items():
                state = STATE_ROOT / f"screenshot-{name}"
                shutil.rmtree(state, ignore_errors=True)
                lab.reset()
                with pinned():
                    world = World(lab, info, load_project(info["config"], str(state)))
                    scene.prepare(world)
                    app = world.app()

                    async def shoot(pilot: Pilot[Any], scene=scene, name=name) -> None:
                        await scene.run_before(pilot)
                        await pilot.pause()
                        pilot.app.save_screenshot(f"{name}.svg", path=str(out))
                        pilot.app.exit(0)

                    app.run(headless=True, size=(cols, rows), auto_pilot=shoot)
                shutil.rmtree(state, ignore_errors=True)
                print(out / f"{name}.svg")
        finally:
            lab.stop()


if __name__ == "__main__":
    main()
