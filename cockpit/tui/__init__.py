"""Provides the cockpit TUI and `run_tui`, the one call the CLI makes to start it.

Textual is imported here and below only: the core, the store, the adapters and the engine never
see it, and the TUI reaches them only through `cockpit.tui.backend`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cockpit.project import Project


def run_tui(
    project: Project | Callable[[], Project],
    *,
    outline: list[tuple[int, str]] | None = None,
    write: bool = True,
    mouse: bool = True,
) -> int:
    """Run the TUI over a loaded project until the operator quits; the exit code for the CLI.

    `project` may be the call that loads it: the first frame then draws `outline` and the
    project loads behind it. `write=False` is `--read-only`; `mouse=False` is `--no-mouse` (no mouse reporting, so the
    terminal's own selection and copy keep working over SSH).
    """
    from cockpit.tui.app import CockpitApp

    app = CockpitApp(project, outline=outline, write=write, mouse=mouse)
    app.run()
    if app.load_error is not None:
        raise app.load_error  # bad input found behind the first frame: the CLI reports it (exit 2)
    return app.return_code or 0
