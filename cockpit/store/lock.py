"""Provides the store's single-writer lock, which names its holder.

An exclusive `flock` on a separate lock file, held for the whole run. The kernel drops it when
the holder dies, however it dies, so a lock left by a killed process is taken over at once.
The holder writes who it is (pid, user, host, SSH client, start time) into the same file after
it has the lock; the file is never truncated before the lock is held, so a contender always
reads the current holder. (filelock would do the locking, but it truncates the file when it
opens it, which would erase the holder's name for everyone else.)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

from cockpit.errors import LockedError
from cockpit.operator import Operator
from cockpit.store.journal import utc_now


def describe_holder(holder: dict[str, Any]) -> str:
    if not holder:
        return "another process (it has not written its name yet)"
    via = f" via {holder['ssh_client']}" if holder.get("ssh_client") else ""
    since = str(holder.get("since") or "?")
    since = f"{since[:19].replace('T', ' ')} UTC" if since.endswith("Z") else since  # a line a person reads
    return f"{holder.get('user')}@{holder.get('host')}{via}, pid {holder.get('pid')}, since {since}"


def _try_exclusive(fd: int, patience: float) -> bool:
    """Try for `patience` seconds: a reader asking who holds the lock holds it shared for microseconds."""
    deadline = time.monotonic() + patience
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)


class StoreLock:
    """The lock file of a store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, operator: Operator) -> None:
        """Take the lock or raise LockedError naming the holder (learned within a second)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_exclusive(fd, patience=0.25):
            os.close(fd)
            holder = self.holder(wait=1.0)
            raise LockedError(f"the store is locked by {describe_holder(holder)}", holder)
        record = {"pid": os.getpid(), **operator.as_dict(), "since": utc_now()}
        payload = json.dumps(record).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, payload, 0)
        os.fsync(fd)
        self._fd = fd

    def holder(self, wait: float = 0.0) -> dict[str, Any]:
        """Who holds the lock now ({} if nobody); waits up to `wait` s for a new holder to write its name."""
        deadline = time.monotonic() + wait
        while True:
            info = self._read_holder()
            if info or time.monotonic() >= deadline:
                return info
            time.sleep(0.02)

    def _read_holder(self) -> dict[str, Any]:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return {}
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                pass  # held: read who holds it
            else:
                fcntl.flock(fd, fcntl.LOCK_UN)
                return {}  # nobody holds it; the content is a past holder's
            data = os.pread(fd, 4096, 0)
        finally:
            os.close(fd)
        try:
            info = json.loads(data)
        except ValueError:
            return {}
        return info if isinstance(info, dict) else {}

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
