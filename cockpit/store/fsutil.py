"""Provides the durable file primitives: atomic replace with a kept backup, directory fsync."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in `directory` survive a power cut."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, payload: bytes, backup: Path | None = None) -> None:
    """Write `payload` to `path` so that a reader or a crash sees the old file or the new one, never a mix.

    Temp file in the same directory, fsync, hard-link the current generation as `backup`
    (so `path` itself never goes missing), `os.replace`, then fsync the directory.
    """
    directory = path.parent
    tmp = directory / f".{path.name}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(payload)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        if backup is not None and path.exists():
            staged = directory / f".{backup.name}.{os.getpid()}.tmp"
            with contextlib.suppress(FileNotFoundError):
                staged.unlink()
            os.link(path, staged)
            os.replace(staged, backup)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(directory)
