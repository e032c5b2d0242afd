"""Provides the `cockpit` command line: the parser, and the dispatch to one handler per subcommand."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """The console script: `cockpit.cli.entry.main`, with the garbage collector off while it starts.

    Starting (imports, parsing, the TUI's first frame) allocates a great many objects and frees
    almost none, so collection passes there are pure cost. `cockpit.cli.entry` turns the collector
    back on at once for every path but the TUI, which does it after its first frame.
    """
    import gc

    gc.disable()
    from cockpit.cli.entry import main as run

    return run(argv)


__all__ = ["main"]
