"""Provides the append-only audit journal: JSON Lines, one fsync per event, never rewritten.

Appending is O(1) however long the journal grows: the file is opened with O_APPEND, the next
sequence number comes from the last line (read backwards from the end once, at open), and each
event is one `write` followed by `fsync`. An event is committed when `append` returns.

A process killed in the middle of a write can leave a torn last line without its newline. It
was never committed (its `append` never returned), so the writer that opens the journal next
cuts it off, and records that it did.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cockpit.operator import Operator
from cockpit.secrets import REDACTOR
from cockpit.store.fsutil import fsync_dir

BLOCK = 64 * 1024


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class CorruptLine:
    """A line of the journal that is not a valid event (kept, reported, never rewritten)."""

    line: int
    text: str


def _reverse_lines(fd: int, end: int) -> Iterator[tuple[int, bytes]]:
    """Yield (offset, line) from the end of the file backwards, without reading it all."""
    position = end
    remainder = b""
    while position > 0:
        size = min(BLOCK, position)
        position -= size
        chunk = os.pread(fd, size, position) + remainder
        lines = chunk.split(b"\n")
        remainder = lines[0]
        offset = position + len(chunk)
        for line in reversed(lines[1:]):
            offset -= len(line) + 1
            if line:
                yield offset + 1, line
    if remainder:
        yield 0, remainder


class Journal:
    """The journal file of one store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._appending = False
        self.last_seq = 0
        self.repaired_bytes = 0

    # -- writing -------------------------------------------------------------------------

    def open_for_append(self) -> None:
        """Open for appending (the caller holds the store lock): cut a torn tail, learn the last seq.

        A journal that does not exist yet is created by the first append, not here, so a run that
        changes nothing leaves nothing behind.
        """
        self._appending = True
        if not self.path.exists():
            self.last_seq = 0
            return
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        size = os.fstat(self._fd).st_size
        if size and os.pread(self._fd, 1, size - 1) != b"\n":
            keep = _complete_size(self._fd, size)
            self.repaired_bytes = size - keep
            os.ftruncate(self._fd, keep)
            os.fsync(self._fd)
        self.last_seq = self._find_last_seq()

    @property
    def _fd_required(self) -> int:
        if self._fd is None and self._appending:
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            fsync_dir(self.path.parent)
        if self._fd is None:
            raise RuntimeError("journal is not open for appending")
        return self._fd

    def _find_last_seq(self) -> int:
        return next((int(e["seq"]) for e in self.reverse_events()), 0)

    def append(
        self,
        operator: Operator,
        action: str,
        subject: str,
        before: Any = None,
        after: Any = None,
        outcome: str = "ok",
        **extra: Any,
    ) -> dict[str, Any]:
        """Append one event and fsync it; when this returns, the event is committed."""
        # A secret pasted into a note or evidence never reaches the journal (nor the state built from it).
        payload = REDACTOR.redact_values({"subject": subject, "before": before, "after": after, **extra})
        event: dict[str, Any] = {
            "seq": self.last_seq + 1,
            "time": utc_now(),
            "operator": operator.as_dict(),
            "action": action,
            "subject": payload.pop("subject"),
            "before": payload.pop("before"),
            "after": payload.pop("after"),
            "outcome": outcome,
            **payload,
        }
        line = (json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
        fd = self._fd_required
        view = memoryview(line)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        self.last_seq = event["seq"]
        return event

    def close(self) -> None:
        self._appending = False
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # -- reading (no lock needed: only whole lines count) ----------------------------------

    def events_after(self, seq: int) -> list[dict[str, Any]]:
        """Events with a sequence number above `seq`, oldest first, read from the end backwards."""
        found: list[dict[str, Any]] = []
        for event in self.reverse_events():
            if event["seq"] <= seq:
                break
            found.append(event)
        return list(reversed(found))

    def reverse_events(self) -> Iterator[dict[str, Any]]:
        """Committed events, newest first."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                size = _complete_size(fd, size)
            for _, line in _reverse_lines(fd, size):
                event = _parse(line)
                if event is not None:
                    yield event
        finally:
            os.close(fd)

    def scan(self) -> tuple[list[dict[str, Any]], list[CorruptLine]]:
        """Every committed event oldest first, and every line that is not a valid event."""
        events: list[dict[str, Any]] = []
        corrupt: list[CorruptLine] = []
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return events, corrupt
        complete = raw[: raw.rfind(b"\n") + 1]
        for number, line in enumerate(complete.split(b"\n")[:-1], start=1):
            event = _parse(line)
            if event is None:
                corrupt.append(CorruptLine(number, line.decode("utf-8", "replace")[:200]))
            else:
                events.append(event)
        return events, corrupt


def _complete_size(fd: int, size: int) -> int:
    """The size up to the last newline: a torn tail is not part of the journal."""
    position = size
    while position > 0:
        start = max(0, position - BLOCK)
        index = os.pread(fd, position - start, start).rfind(b"\n")
        if index >= 0:
            return start + index + 1
        position = start
    return 0


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        event = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(event, dict) or not isinstance(event.get("seq"), int):
        return None
    return event
