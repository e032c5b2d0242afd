"""Provides ASCII-only scrollbars: the thumb is a run of blank cells in the thumb's colour.

Textual draws a scrollbar thumb's ends with eighth-block glyphs (U+2581..U+258F), which are
East Asian "ambiguous" width: some SSH clients and phone terminals draw them two cells wide and
shift the rest of the line. Whole cells lose a little precision and never misalign.
"""

from __future__ import annotations

from typing import ClassVar

from textual.scrollbar import ScrollBar, ScrollBarRender


class AsciiScrollBarRender(ScrollBarRender):
    """A scrollbar without partial-cell glyphs."""

    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


def install() -> None:
    """Use the ASCII scrollbar for every widget of this process (Textual's documented hook)."""
    ScrollBar.renderer = AsciiScrollBarRender
