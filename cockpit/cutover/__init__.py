"""Provides the cutover engine: move a service's names from v2 to v3 on every DNS server, or none.

Plan, apply (journaled intents and outcomes), verify, automatic and one-key rollback, finalize,
drift, crash recovery and the power guard. No Textual here: the CLI and the TUI call the engine.
"""
