"""Provides the local store: TinyDB state written atomically, the append-only journal, the lock."""
