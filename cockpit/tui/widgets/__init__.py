"""Provides the widgets every screen shares: the status line, the activity mark, the filter bar."""
