"""Provides the TinyDB storage cockpit uses instead of TinyDB's own JSONStorage.

JSONStorage writes in place (a crash leaves a torn file) and reads a torn or empty file as an
empty database, which would silently wipe an operator's progress. This storage replaces the file
atomically, keeps the previous generation as `.bak`, and refuses a file it cannot trust. It
keeps the data in memory after the first read (the store lock makes this process the only
writer) and can gather several TinyDB writes into one file write (`batch`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from cockpit.errors import InputProblem, StoreError
from cockpit.store.fsutil import atomic_write


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def refuse(path: Path, why: str, hint: str | None = None) -> StoreError:
    """The error for a store file that cannot be trusted, naming the backup to restore."""
    backup = backup_path(path)
    if hint is not None:
        pass
    elif backup.exists():
        hint = f"restore the previous generation with: cp {backup} {path}"
    else:
        hint = (
            f"there is no backup ({backup} does not exist); to rebuild the state from the journal "
            f"beside it, move {path} aside and run cockpit again"
        )
    return StoreError([InputProblem(str(path), None, "", f"{why}; refusing to use it. {hint}")])


def read_store_file(path: Path) -> dict[str, Any] | None:
    """The raw TinyDB document of `path`, None if it does not exist; refuses empty or torn files."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    if not raw.strip():
        raise refuse(path, "the store file is empty")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise refuse(path, f"the store file is not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise refuse(path, "the store file is not a cockpit store")
    return data


class AtomicJSONStorage(Storage):
    """A TinyDB storage with atomic, durable writes; `persist=False` keeps every change in memory."""

    def __init__(self, path: Path, persist: bool = True, initial: dict[str, Any] | None = None) -> None:
        self.path = path
        self.persist = persist
        self._data: dict[str, Any] | None = initial
        self._batching = 0
        self._dirty = False

    def read(self) -> dict[str, Any] | None:
        if self._data is None:
            self._data = read_store_file(self.path)
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        if self._batching:
            self._dirty = True
        else:
            self._flush()

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Gather the writes inside into one atomic file write at the end."""
        self._batching += 1
        try:
            yield
        finally:
            self._batching -= 1
        if not self._batching and self._dirty:
            self._flush()

    def _flush(self) -> None:
        self._dirty = False
        if self.persist and self._data is not None:
            payload = json.dumps(self._data, separators=(",", ":"), sort_keys=True).encode("utf-8")
            atomic_write(self.path, payload, backup=backup_path(self.path))

    def close(self) -> None:
        pass
