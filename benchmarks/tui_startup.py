"""Benchmark: launch to the first complete frame of the Phases screen (all seven phases drawn).

`cockpit --config FILE` against a running lab, with a store whose journal holds 100k events, is
started in a pseudo-terminal (100x30) and timed until its output shows all seven phases; beside it,
in the same run and measured the same way, a bare Textual app (header, a table of seven rows,
footer). The first frame must not wait for any backend. Target: ratio at most 1.3.

Run by hand: python benchmarks/tui_startup.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import select
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cockpit.lab.lab import Lab

ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]|\x1b\][^\x07]*\x07")
PHASES = [b"Power", b"Network", b"Storage", b"Compute", b"Core services", b"Operational", b"Kubernetes"]
BARE = '''
from textual.app import App
from textual.widgets import DataTable, Footer, Header

TITLES = ["Power protection", "Network segmentation", "Storage tier", "Compute tier", "Core services",
          "Operational hardening", "Kubernetes, sandbox"]

class Bare(App):
    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("#", "Phase", "State")
        for i, title in enumerate(TITLES):
            table.add_row(str(i), title, "locked")

Bare().run()
'''


def first_frame(argv: list[str], env: dict[str, str], markers: list[bytes], timeout: float = 30.0) -> float:
    """Seconds from fork to the moment every marker has appeared on the terminal."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(env)
        os.execvp(argv[0], argv)
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    seen = b""
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
                text = ANSI.sub(b"", seen)
                if all(m in text for m in markers):
                    return time.perf_counter() - started
        raise TimeoutError(f"no complete frame within {timeout} s")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def big_store(state: Path, events: int = 100_000) -> None:
    """A store whose journal already holds `events` events (and whose state has seen them)."""
    state.mkdir(parents=True, exist_ok=True)
    line = {"time": "2026-11-27T02:00:00.000000Z", "operator": {"user": "bench", "host": "h", "ssh_client": None},
            "action": "bench.note", "subject": "0", "before": None, "after": {"note": "x" * 60}, "outcome": "ok"}
    with open(state / "journal.jsonl", "w") as handle:
        for seq in range(1, events + 1):
            handle.write(json.dumps({"seq": seq, **line}, separators=(",", ":")) + "\n")
    meta = {"meta": {"1": {"schema_version": 1, "journal_seq": events, "created": "2026-11-27T00:00:00Z"}}}
    (state / "cockpit-state.json").write_text(json.dumps(meta))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    env = {"COCKPIT_LOOPBACK_ONLY": "1", "TERM": "xterm-256color"}
    with tempfile.TemporaryDirectory(prefix="cockpit-startup-") as directory:
        lab = Lab(Path(directory) / "lab")
        info = lab.start()
        state = Path(directory) / "state"
        big_store(state)
        bare = Path(directory) / "bare.py"
        bare.write_text(BARE)
        cockpit_argv = [sys.executable, "-m", "cockpit", "--config", info["config"], "--state", str(state)]
        try:
            cockpit_times, bare_times = [], []
            for _ in range(args.rounds):
                cockpit_times.append(first_frame(cockpit_argv, env, PHASES))
                bare_times.append(first_frame([sys.executable, str(bare)], env, PHASES))
        finally:
            lab.stop()
    ours, theirs = statistics.median(cockpit_times), statistics.median(bare_times)
    print(f"launch to the first complete Phases frame, 100x30 pty, median of {args.rounds}")
    print(f"{'cockpit against the lab, journal of 100k events':<50}{ours * 1000:>9.0f} ms")
    print(f"{'bare Textual app (header, 7-row table, footer)':<50}{theirs * 1000:>9.0f} ms")
    print(f"{'ratio':<50}{ours / theirs:>9.2f}")
    print("target: ratio <= 1.3")


if __name__ == "__main__":
    main()
