"""End to end: the real `cockpit` in tmux against the lab, typed at with send-keys, read with capture-pane.

The DNS servers themselves are the judge: after `c` `y` both lab servers answer the v3 address,
after `r` both answer v2 again. Each test runs its own tmux server (a private socket), so tests
in parallel never see each other's sessions, and the server is killed whatever happens.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cockpit.adapters import dns as dns_adapter
from cockpit.lab.lab import Lab

HOSTNAME = "immich.home.arpa"

if shutil.which("tmux") is None and os.environ.get("CI") != "true":
    pytest.skip("tmux is not installed: the end-to-end terminal test needs it", allow_module_level=True)


class Tmux:
    """One tmux server of our own running `cockpit`, 100x30."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10, check=False
        )
        if check and done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.run("send-keys", "-t", "cockpit", *(["-l"] if literal else []), *keys)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "cockpit")

    def wait_for(self, *words: str, timeout: float = 15.0) -> str:
        return until(
            lambda: (text := self.screen()) and all(w in text for w in words) and text,
            timeout,
            lambda: f"never saw {words} on screen:\n{self.screen()}",
        )


def until(ready: Callable[[], Any], timeout: float, why: Callable[[], str]) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = ready()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(why())
        time.sleep(0.05)


def answers(info: dict[str, Any]) -> dict[str, list[str]]:
    return {
        name: dns_adapter.query_sync(info[name]["dns"], HOSTNAME).addresses for name in ("adguard", "pihole")
    }


@pytest.fixture
def cockpit_in_tmux(
    tui_lab: tuple[Lab, dict[str, Any]], tmp_path: Path
) -> Iterator[tuple[Tmux, dict[str, Any]]]:
    assert shutil.which("tmux"), "CI=true and tmux is missing: the end-to-end test must run in CI"
    lab, info = tui_lab
    lab.reset()
    state = str(tmp_path / "state")
    env = {**os.environ, "COCKPIT_LOOPBACK_ONLY": "1"}
    base = [sys.executable, "-m", "cockpit", "--config", info["config"], "--state", state]
    opened = subprocess.run(
        [*base, "override", "4", "--reason", "the tmux end-to-end test opens phase 4"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert opened.returncode == 0, opened.stdout + opened.stderr
    tmux = Tmux(f"cockpit-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    command = "env COCKPIT_LOOPBACK_ONLY=1 TERM=xterm-256color " + " ".join(shlex.quote(p) for p in base)
    try:
        tmux.run("-f", "/dev/null", "new-session", "-d", "-s", "cockpit", "-x", "100", "-y", "30", command)
        yield tmux, {**info, "state": state}
    finally:
        tmux.run("kill-server", check=False)
        lab.reset()


def test_cut_over_with_c_y_then_roll_back_with_r_in_a_real_terminal(
    cockpit_in_tmux: tuple[Tmux, dict[str, Any]],
) -> None:
    tmux, info = cockpit_in_tmux
    v2, v3 = (str(next(s for s in info["services"] if s["name"] == "immich")[side]) for side in ("v2", "v3"))
    assert answers(info) == {"adguard": [v2], "pihole": [v2]}

    tmux.wait_for("Phases", "enter: open")
    tmux.keys("2")
    tmux.wait_for("cutover board", "immich")
    tmux.keys("/")
    tmux.wait_for("Clear filter")
    tmux.keys("immich", literal=True)
    until(lambda: "authentik" not in tmux.screen(), 10, lambda: f"the filter never applied:\n{tmux.screen()}")
    tmux.keys("Enter")
    tmux.wait_for("c Cut over", "state planned")

    tmux.keys("c")
    tmux.wait_for("Cut over immich?")
    tmux.keys("y")
    until(
        lambda: answers(info) == {"adguard": [v3], "pihole": [v3]},
        15,
        lambda: f"DNS: {answers(info)}\n{tmux.screen()}",
    )
    tmux.wait_for("cut_over", "r Roll back")  # the operation is over: `r` is offered

    tmux.keys("r")
    until(
        lambda: answers(info) == {"adguard": [v2], "pihole": [v2]},
        15,
        lambda: f"DNS: {answers(info)}\n{tmux.screen()}",
    )
    tmux.wait_for("rolled_back")


def cockpit_pids(tmux: Tmux) -> list[int]:
    """The pane's process and its descendants: cockpit runs under the shell tmux starts."""
    pids = [int(tmux.run("list-panes", "-t", "cockpit", "-F", "#{pane_pid}").strip())]
    for pid in pids:  # grows while walking: children of children
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            pids += [int(c) for c in children.read_text().split()]
    return pids


def test_the_terminal_going_away_ends_cockpit_and_frees_the_store(
    cockpit_in_tmux: tuple[Tmux, dict[str, Any]],
) -> None:
    """tmux killed (an SSH link that drops): SIGHUP, and the process is gone with its lock."""
    from cockpit.core import Cockpit
    from cockpit.project import load_project

    tmux, info = cockpit_in_tmux
    tmux.wait_for("Phases", "enter: open")
    tmux.keys("2")
    tmux.wait_for("cutover board", "immich")
    pids = cockpit_pids(tmux)
    assert any(b"cockpit" in Path(f"/proc/{pid}/cmdline").read_bytes() for pid in pids), pids
    tmux.run("kill-server")
    until(
        lambda: not any(Path(f"/proc/{pid}").exists() for pid in pids),
        60,
        lambda: f"still running after the hang-up: {[p for p in pids if Path(f'/proc/{p}').exists()]}",
    )
    with Cockpit.open(load_project(info["config"], info["state"]), write=True):
        pass  # the lock is free


def test_the_terminal_going_away_mid_cutover_finishes_or_compensates_then_exits(
    cockpit_in_tmux: tuple[Tmux, dict[str, Any]], tui_lab: tuple[Lab, dict[str, Any]]
) -> None:
    """The SSH link drops while pihole is slow to take a cutover's writes: the engine settles the
    transaction (every server v2, or every server v3), the process exits, and the lock is free."""
    from cockpit.core import Cockpit
    from cockpit.project import load_project

    lab, _ = tui_lab
    tmux, info = cockpit_in_tmux
    tmux.wait_for("Phases", "enter: open")
    tmux.keys("2")
    tmux.wait_for("cutover board", "immich")
    lab.faults.set_write_latency("pihole", 600)  # below the lab's API timeout: slow, never failing
    tmux.keys("c")
    tmux.wait_for("Cut over immich?")
    tmux.keys("y")
    tmux.wait_for("cutting_over")
    pids = cockpit_pids(tmux)
    tmux.run("kill-server")
    until(
        lambda: not any(Path(f"/proc/{pid}").exists() for pid in pids),
        60,
        lambda: f"still running after the hang-up: {[p for p in pids if Path(f'/proc/{p}').exists()]}",
    )
    lab.faults.clear()
    live = answers(info)
    assert live["adguard"] == live["pihole"], live  # never half a change
    with Cockpit.open(load_project(info["config"], info["state"]), write=True) as cockpit:
        state = (cockpit.store.service_record("immich") or {}).get("state")
        assert cockpit.store.pending_operations() == []
    assert state in ("rolled_back", "cut_over"), state
