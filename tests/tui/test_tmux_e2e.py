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
        yield tmux, info
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
