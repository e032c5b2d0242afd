"""Shared fixtures: a small project (config + three phases) in a temporary directory, and a CLI runner."""

from __future__ import annotations

import json
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from cockpit.cli import main

CONFIG = """\
phases_dir = "phases"

[[hosts]]
name = "nas-prod-01"
role = "nas"
address = "192.168.10.20"
vlan = 10

[[hosts]]
name = "pve-prod-01"
role = "hypervisor-primary"
address = "192.168.10.11"
vlan = 10

[[dns_servers]]
name = "adguard"
kind = "adguard"
role = "primary"
api_url = "http://127.0.0.1:3000"
dns = "127.0.0.1:5353"
username = "admin"
password = { env = "TEST_ADGUARD_PASSWORD" }

[[services]]
name = "immich"
hostnames = ["immich.home.arpa"]
v2 = "192.168.20.10"
v3 = "192.168.30.10"
phase = 1
"""

PHASE0 = """\
id = 0
title = "Power"
goal = "UPS first"

[[entry]]
id = "ups-bought"
title = "UPS purchased"
principle = "ups-protection"
[entry.check]
type = "manual"
prompt = "Receipt"
why_manual = "A purchase is not observable"

[[tasks]]
id = "install-ups"
title = "Install the UPS"
principle = "ups-protection"
runbook = "Plug it in. How to check it: upsc."

[[tasks]]
id = "label-cables"
title = "Label cables"
principle = "document-everything"
required = false
runbook = "Label them."

[[exit]]
id = "drill-observed"
title = "Shutdown drill observed"
principle = "ups-protection"
[exit.check]
type = "manual"
prompt = "What you saw"
why_manual = "A human watches the order"
"""

PHASE1 = """\
id = 1
title = "Services"
goal = "Cut over"

[[tasks]]
id = "cut-immich"
title = "Cut over Immich"
principle = "phased-build"
runbook = "cockpit cutover immich"

[[exit]]
id = "all-cut-over"
title = "All services cut over"
principle = "phased-build"
[exit.check]
type = "services.cut_over"

[[exit]]
id = "nas-online"
title = "Primary node online"
principle = "hypervisor-redundancy"
[exit.check]
type = "proxmox.node_online"
node = "role:hypervisor-primary"
"""

PHASE2 = """\
id = 2
title = "Later"
goal = "Later"

[[tasks]]
id = "later"
title = "Later"
principle = "kubernetes-ready"
runbook = "Later."

[[exit]]
id = "later-done"
title = "Later done"
principle = "kubernetes-ready"
[exit.check]
type = "manual"
prompt = "Evidence"
why_manual = "Human judgement"
"""


@dataclass
class Lab:
    """A project directory: cockpit.toml, phases/ and state/."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "cockpit.toml"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def phases(self) -> Path:
        return self.root / "phases"

    def write_phase(self, name: str, text: str) -> Path:
        path = self.phases / name
        path.write_text(textwrap.dedent(text))
        return path


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lab:
    (tmp_path / "phases").mkdir()
    (tmp_path / "cockpit.toml").write_text(CONFIG)
    for index, text in enumerate((PHASE0, PHASE1, PHASE2)):
        (tmp_path / "phases" / f"{index}.toml").write_text(text)
    monkeypatch.setenv("TEST_ADGUARD_PASSWORD", "s3cret-adguard-pw")
    for name in ("COCKPIT_CONFIG", "COCKPIT_STATE", "SSH_CLIENT", "SSH_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    return Lab(tmp_path)


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> dict:
        return json.loads(self.out)


@pytest.fixture
def cli(lab: Lab, capsys: pytest.CaptureFixture[str]):
    """Run cockpit in-process against the lab project."""

    def run(*args: str) -> Result:
        code = main(["--config", str(lab.config), *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def cockpit_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env.update(extra)
    return env


@pytest.fixture(autouse=True)
def fresh_process_state():
    """Each test starts as a new cockpit process would: no secret known yet, no log handler."""
    import logging

    from cockpit.secrets import REDACTOR

    REDACTOR._values.clear()
    root = logging.getLogger()
    before = list(root.handlers)
    yield
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()


@pytest.fixture(autouse=True, scope="session")
def loopback_only():
    """The whole suite runs under the loopback guard (.ci/run sets it too)."""
    import os

    from cockpit import netguard

    os.environ[netguard.ENV] = "1"
    yield
