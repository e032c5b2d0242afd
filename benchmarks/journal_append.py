"""Benchmark: appending one audit event as the journal grows, and opening a store with 100k events.

Prints medians for 1k, 10k and 100k events already in the journal, beside the disk's floor
(a raw write + fsync of the same bytes to a file in the same directory), their ratios, and the
median time to open a store whose journal holds 100k events. Targets (issue 2): append median
at most 1.5x the floor, flat (100k/1k at most 1.5), open under 0.5 s.

Run by hand: python benchmarks/journal_append.py [--dir DIR] [--rounds N]
Measurements are interleaved round by round so that the machine's noise hits all of them alike.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from cockpit.operator import Operator
from cockpit.store.journal import Journal
from cockpit.store.state import JOURNAL_FILE, STATE_FILE, Store

OP = Operator("bench", "bench-host", "192.0.2.1")
SIZES = (1_000, 10_000, 100_000)
AFTER = {"done": True, "note": "UPS installed on the rack shelf, runtime 41 min at 18% load"}


def event_line(seq: int) -> bytes:
    event = {
        "seq": seq,
        "time": "2026-11-27T02:00:00.000000Z",
        "operator": OP.as_dict(),
        "action": "task.done",
        "subject": "0.install-ups",
        "before": None,
        "after": AFTER,
        "outcome": "ok",
    }
    return (json.dumps(event, separators=(",", ":")) + "\n").encode()


def prefill(directory: Path, count: int) -> None:
    """A store whose journal already holds `count` events and whose state has seen them all."""
    directory.mkdir(parents=True)
    with open(directory / JOURNAL_FILE, "wb") as handle:
        handle.writelines(event_line(seq) for seq in range(1, count + 1))
    state = {
        "meta": {"1": {"schema_version": 1, "journal_seq": count, "created": "2026-11-27T00:00:00Z"}},
        "tasks": {"1": {"key": "0.install-ups", "phase": 0, "task": "install-ups", **AFTER, "seq": count}},
    }
    (directory / STATE_FILE).write_text(json.dumps(state))


def time_appends(journal: Journal, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        journal.append(OP, "task.done", "0.install-ups", None, AFTER)
        samples.append(time.perf_counter() - started)
    return samples


def time_floor(path: Path, payload: bytes, n: int) -> list[float]:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    samples = []
    try:
        for _ in range(n):
            started = time.perf_counter()
            os.write(fd, payload)
            os.fsync(fd)
            samples.append(time.perf_counter() - started)
    finally:
        os.close(fd)
    return samples


def time_open(directory: Path, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        store = Store.open_writer(directory, OP)
        samples.append(time.perf_counter() - started)
        store.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dir",
        default=str(Path(__file__).resolve().parent),
        help="where to create the scratch directory (a real disk, not tmpfs)",
    )
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=20)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix=".bench-", dir=args.dir))
    try:
        for size in SIZES:
            prefill(scratch / str(size), size)
        journals = {size: Journal(scratch / str(size) / JOURNAL_FILE) for size in SIZES}
        for journal in journals.values():
            journal.open_for_append()
        payload = event_line(1)
        appends: dict[int, list[float]] = {size: [] for size in SIZES}
        floor: list[float] = []
        for _ in range(args.rounds):
            floor += time_floor(scratch / "floor.bin", payload, args.per_round)
            for size in SIZES:
                appends[size] += time_appends(journals[size], args.per_round)
        for journal in journals.values():
            journal.close()
        opens = time_open(scratch / str(SIZES[-1]), 9)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    floor_median = statistics.median(floor)
    print(f"scratch directory on: {args.dir}   samples per figure: {args.rounds * args.per_round}")
    print(f"{'measure':<38}{'median':>12}{'ratio':>10}")
    print(f"{'raw write + fsync (floor)':<38}{floor_median * 1e3:>10.3f}ms{1.0:>10.2f}")
    for size in SIZES:
        median = statistics.median(appends[size])
        print(f"{f'append with {size:,} events':<38}{median * 1e3:>10.3f}ms{median / floor_median:>10.2f}")
    flat = statistics.median(appends[SIZES[-1]]) / statistics.median(appends[SIZES[0]])
    print(f"{'append 100k / append 1k':<38}{'':>12}{flat:>10.2f}")
    print(f"{'open store with 100,000 events':<38}{statistics.median(opens) * 1e3:>10.3f}ms")
    print("targets: append <= 1.5x floor, 100k/1k <= 1.5, open < 500 ms")


if __name__ == "__main__":
    main()
