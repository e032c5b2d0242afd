"""Provides the store's schema version and the migrations from every earlier version.

A migration takes the raw TinyDB document of version N and returns version N+1. The store keeps
a copy of the file as it was before migrating (`.vN.bak`). Each version from 2 on has a fixture
store of every earlier version under tests/fixtures/stores, migrated in the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cockpit.store.storage import refuse

SCHEMA_VERSION = 1
Migration = Callable[[dict[str, Any]], dict[str, Any]]

# MIGRATIONS[n] turns a version-n document into version n+1.
MIGRATIONS: dict[int, Migration] = {}


def schema_version(path: Path, data: dict[str, Any]) -> int:
    """The version recorded in the meta table; refuses a file without one."""
    meta = data.get("meta", {}).get("1")
    if not isinstance(meta, dict) or not isinstance(meta.get("schema_version"), int):
        raise refuse(path, "the store file has no schema version (not a cockpit store, or damaged)")
    return int(meta["schema_version"])


def migrate(path: Path, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Bring a document to SCHEMA_VERSION; returns it and the version it started from."""
    start = version = schema_version(path, data)
    if version > SCHEMA_VERSION:
        raise refuse(
            path,
            f"the store has schema version {version}, newer than this cockpit knows ({SCHEMA_VERSION})",
            hint="it was written by a newer cockpit: upgrade cockpit to use it",
        )
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise refuse(path, f"no migration from store schema version {version}")
        data = step(data)
        version += 1
        data["meta"]["1"]["schema_version"] = version
    return data, start
