"""SIGKILL a writing process at random points, many times: the store always opens, whole and consistent."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

from cockpit.operator import Operator
from cockpit.store.journal import Journal
from cockpit.store.state import JOURNAL_FILE, Store

OP = Operator("ops", "laptop", None)
ROUNDS = 40


def writer(directory: str, start: int, acks) -> None:
    """Change the store as fast as it can; after each committed change, say so on the pipe."""
    store = Store.open_writer(Path(directory), OP)
    n = start
    while True:
        n += 1
        store.record("task.done", "0.install-ups", after={"done": n % 2 == 0, "note": f"change {n}"})
        acks.send(n)


def test_sigkill_at_random_points_never_loses_or_tears_a_committed_change(tmp_path):
    ctx = multiprocessing.get_context("fork")
    rng = random.Random(20261127)
    acknowledged: list[int] = []
    last = 0
    for _ in range(ROUNDS):
        receive, send = ctx.Pipe(duplex=False)
        process = ctx.Process(target=writer, args=(str(tmp_path), last, send))
        process.start()
        send.close()
        time.sleep(rng.uniform(0.03, 0.12))
        os.kill(process.pid, signal.SIGKILL)
        process.join()
        while receive.poll():
            try:
                acknowledged.append(receive.recv())
            except EOFError:
                break
        receive.close()

        store = Store.open_writer(tmp_path, OP)  # always opens; the lock of the dead writer is taken at once
        events, corrupt = store.journal.scan()
        assert corrupt == []
        seqs = [e["seq"] for e in events]
        assert seqs == list(range(1, len(seqs) + 1)), "sequence numbers are gapless"
        notes = [e["after"]["note"] for e in events if e["action"] == "task.done"]
        committed = {f"change {n}" for n in acknowledged}
        assert committed <= set(notes), "every acknowledged change is in the journal"
        # The state holds exactly the last committed change: the old state or the new one, nothing between.
        task = store.task(0, "install-ups")
        if notes:
            assert task["note"] == notes[-1]
            assert store.journal_seq == seqs[-1]
        last = int(notes[-1].split()[1]) if notes else last
        store.close()
    assert len(acknowledged) > ROUNDS, "the writer got real work done between kills"
    assert len(Journal(tmp_path / JOURNAL_FILE).scan()[0]) >= len(acknowledged)


def test_no_temporary_files_are_left_behind_after_a_killed_writer(tmp_path):
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=writer, args=(str(tmp_path), 0, send))
    process.start()
    receive.recv()
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    (tmp_path / ".cockpit-state.json.999999.tmp").write_bytes(b"{half")
    Store.open_writer(tmp_path, OP).close()
    assert not list(tmp_path.glob(".*.tmp"))
