"""Provides the `cockpit` command line: the parser, and the dispatch to one handler per subcommand."""

from __future__ import annotations

from cockpit.cli.main import main

__all__ = ["main"]
