"""Provides the activity mark: a one-line "[/] checking phase 3" while a worker runs.

The spinner is four ASCII characters (no braille or block glyphs, which some SSH clients draw
at the wrong width), and it turns on a timer of the UI thread, which proves the UI is alive
while the worker waits on a slow backend.
"""

from __future__ import annotations

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

FRAMES = "|/-\\"


class Activity(Static):
    """Hidden when idle; shows what runs, with a turning mark."""

    DEFAULT_CSS = """
    Activity { height: 1; display: none; }
    Activity.-running { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._what = ""
        self._frame = 0
        self._timer: Timer | None = None

    @property
    def running(self) -> bool:
        return self.has_class("-running")

    def start(self, what: str) -> None:
        self._what, self._frame = what, 0
        self.add_class("-running")
        if self._timer is None:
            self._timer = self.set_interval(0.25, self._turn)
        self._draw()

    def stop(self) -> None:
        self.remove_class("-running")
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _turn(self) -> None:
        self._frame += 1
        self._draw()

    def _draw(self) -> None:
        self.update(Text(f"[{FRAMES[self._frame % len(FRAMES)]}] {self._what}", style="bold"))
