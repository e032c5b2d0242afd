"""Provides one adapter per backend kind; each speaks the real protocol and returns typed results.

Adapters never import Textual, never let a malformed answer pass as success, and ask the
loopback guard before any connection.
"""
