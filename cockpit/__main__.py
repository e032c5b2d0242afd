"""Provides `python -m cockpit`."""

from cockpit.cli import main

raise SystemExit(main())
