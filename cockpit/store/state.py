"""Provides the Store: the state (TinyDB), its journal and its lock, opened for writing or reading.

A change is journaled first (fsynced), then applied to the state in one atomic write that also
records the journal sequence it reached. After a crash between the two, opening the store
replays the journal events the state has not seen: the journal is the source of truth.

Reading never takes the lock: a reader loads one whole generation of the state file (the atomic
replace guarantees that) and replays, in memory only, any committed events it is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB
from tinydb.queries import QueryInstance

from cockpit.errors import RefusedError
from cockpit.operator import Operator
from cockpit.store.events import Event, apply_event
from cockpit.store.fsutil import fsync_dir
from cockpit.store.journal import Journal, utc_now
from cockpit.store.lock import StoreLock
from cockpit.store.schema import SCHEMA_VERSION, migrate
from cockpit.store.storage import AtomicJSONStorage, read_store_file, refuse

STATE_FILE = "cockpit-state.json"
JOURNAL_FILE = "journal.jsonl"
LOCK_FILE = "cockpit.lock"


class Store:
    """One store directory, opened for writing (lock held) or as a read-only snapshot."""

    def __init__(self, directory: Path, operator: Operator) -> None:
        self.directory = directory
        self.operator = operator
        self.state_path = directory / STATE_FILE
        self.journal = Journal(directory / JOURNAL_FILE)
        self.lock = StoreLock(directory / LOCK_FILE)
        self.db: TinyDB | None = None
        self.migrated_from: int | None = None
        self._fresh = False

    # -- opening --------------------------------------------------------------------------

    @classmethod
    def open_writer(cls, directory: Path, operator: Operator) -> Store:
        """Take the lock (LockedError names the holder), then bring the state up to the journal."""
        directory.mkdir(parents=True, exist_ok=True)
        store = cls(directory, operator)
        store.lock.acquire(operator)
        try:
            store._open_for_writing()
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def open_reader(cls, directory: Path, operator: Operator) -> Store:
        """A consistent snapshot; changes are refused; the lock is never touched."""
        store = cls(directory, operator)
        raw = read_store_file(store.state_path) if directory.exists() else None
        if raw is not None:
            raw, store.migrated_from = migrate(store.state_path, raw)
        storage = AtomicJSONStorage(store.state_path, persist=False, initial=raw or _empty())
        store.db = TinyDB(storage=lambda: storage)
        store._check_journal_not_behind(next((int(e["seq"]) for e in store.journal.reverse_events()), 0))
        for event in store.journal.events_after(store.journal_seq):
            apply_event(store.db, event)
        return store

    def _open_for_writing(self) -> None:
        for leftover in self.directory.glob(f".{STATE_FILE}*.tmp"):
            leftover.unlink(missing_ok=True)  # a writer killed mid-write; never part of the state
        raw = read_store_file(self.state_path)
        created = raw is None
        if raw is not None:
            raw, start = migrate(self.state_path, raw)
            if start != SCHEMA_VERSION:
                self._keep_pre_migration_copy(start)
                self.migrated_from = start
        storage = AtomicJSONStorage(self.state_path, initial=raw or _empty())
        self.db = TinyDB(storage=lambda: storage)
        self._storage = storage
        self.journal.open_for_append()
        self._check_journal_not_behind(self.journal.last_seq)
        if self.journal.repaired_bytes:
            self.record(
                "journal.repaired", JOURNAL_FILE, after={"torn_bytes_dropped": self.journal.repaired_bytes}
            )
        pending = self.journal.events_after(self.journal_seq)
        if pending or self.migrated_from is not None:
            with storage.batch():
                for event in pending:
                    apply_event(self.db, event)
                self._set_seq(self.journal.last_seq if pending else self.journal_seq)
        if created and pending:
            self.record("store.rebuilt", STATE_FILE, after={"events_replayed": len(pending)})
        self._fresh = created and not pending  # written by the first change, not by opening
        if self.migrated_from is not None:
            self.record("store.migrated", STATE_FILE, before=self.migrated_from, after=SCHEMA_VERSION)

    def _check_journal_not_behind(self, journal_last: int) -> None:
        """A journal that ends before the state's last event was truncated or replaced: refuse it."""
        if journal_last < self.journal_seq:
            raise refuse(
                self.journal.path,
                f"the journal ends at event {journal_last} but the state {self.state_path} has seen event "
                f"{self.journal_seq}; the journal was truncated or replaced",
                hint="restore the journal from a backup; cockpit will not write an audit trail with a hole in it",
            )

    def _keep_pre_migration_copy(self, version: int) -> None:
        copy = self.state_path.with_name(f"{STATE_FILE}.v{version}.bak")
        copy.write_bytes(self.state_path.read_bytes())
        fsync_dir(self.directory)

    # -- state ----------------------------------------------------------------------------

    @property
    def writable(self) -> bool:
        return self.lock.held

    @property
    def journal_seq(self) -> int:
        meta = self._db.table("meta").get(doc_id=1)
        return int(meta["journal_seq"]) if meta else 0

    def _set_seq(self, seq: int) -> None:
        table = self._db.table("meta")
        doc = {"schema_version": SCHEMA_VERSION, "journal_seq": seq}
        if table.get(doc_id=1) is None:
            table.insert({**doc, "created": utc_now()})
        else:
            table.update(doc, doc_ids=[1])

    @property
    def _db(self) -> TinyDB:
        if self.db is None:
            raise RuntimeError("store is not open")
        return self.db

    def record(
        self,
        action: str,
        subject: str,
        before: Any = None,
        after: Any = None,
        outcome: str = "ok",
        **extra: Any,
    ) -> Event:
        """Journal a change (fsync), then apply it to the state in one atomic write."""
        if not self.writable:
            raise RefusedError("the store is open read-only; nothing was recorded")
        if self._fresh:
            self._fresh = False
            self.record("store.created", str(self.directory), after={"schema_version": SCHEMA_VERSION})
        event = self.journal.append(self.operator, action, subject, before, after, outcome, **extra)
        with self._storage.batch():
            apply_event(self._db, event)
            self._set_seq(event["seq"])
        return event

    # -- queries --------------------------------------------------------------------------

    def task(self, phase: int, task: str) -> dict[str, Any] | None:
        return self._one("tasks", Query().key == f"{phase}.{task}")

    def attestation(self, phase: int, criterion: str) -> dict[str, Any] | None:
        return self._one("attestations", Query().key == f"{phase}.{criterion}")

    def result(self, phase: int, criterion: str) -> dict[str, Any] | None:
        return self._one("results", Query().key == f"{phase}.{criterion}")

    def phase_record(self, phase: int) -> dict[str, Any]:
        return self._one("phases", Query().phase == phase) or {}

    def _one(self, table: str, condition: QueryInstance) -> dict[str, Any] | None:
        found = self._db.table(table).get(condition)
        return dict(found) if isinstance(found, dict) else None

    def service_record(self, name: str) -> dict[str, Any] | None:
        return self._one("services", Query().name == name)

    def pending_operations(self) -> list[dict[str, Any]]:
        """External actions journaled as started with no outcome yet (a crash, a lost link)."""
        return [dict(d) for d in self._db.table("pending").all()]

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every table as plain lists (for tests and debugging)."""
        return {name: [dict(d) for d in self._db.table(name).all()] for name in sorted(self._db.tables())}

    def close(self) -> None:
        self.journal.close()
        self.lock.release()


def _empty() -> dict[str, Any]:
    return {}
