"""The loopback guard lets the lab's own host simulator through, and nothing else that was not allow-listed."""

from __future__ import annotations

import sys

import pytest

from cockpit import netguard


def test_the_labs_host_simulator_passes_the_guard_and_ssh_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(netguard.ENV, "1")
    netguard.check_command([sys.executable, "-m", "cockpit.lab.hostshell", "--lab", "/tmp/x", "nas", "--"])
    with pytest.raises(netguard.GuardRefused):
        netguard.check_command(["ssh", "nas", "--", "true"])
    with pytest.raises(netguard.GuardRefused):
        netguard.check_command(["/usr/bin/python3-other", "-m", "cockpit.lab.hostshell", "nas"])
