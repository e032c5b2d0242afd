"""The secret canary: a known secret in every configured credential never appears in any report format.

Two setups, as an operator meets them. The lab, with every credential (AdGuard, Pi-hole, the
Proxmox token, NUT, UniFi password and API key, the lab's control token) a canary in a 0600 file,
and a store the demo filled by really running checks, tasks and cutovers against it; then the
canaries are pasted where people paste passwords: a task note, an override reason, a runbook, a
decision file. And a config whose credentials come from environment variables, where a note
was written before its password was configured as a secret (so the journal holds it unmasked)
and one password is full of characters that HTML and Markdown escape.

Each format is searched for the raw canary and for its escaped forms, and the mask must be there,
so a test that planted nothing cannot pass.
"""

from __future__ import annotations

import html
import itertools
import json
import socket
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from cockpit import netguard
from cockpit.core import Cockpit
from cockpit.lab import lab as lab_module
from cockpit.lab.demo import seed
from cockpit.lab.lab import Lab
from cockpit.project import load_project
from cockpit.report import FORMATS, build_report, render
from cockpit.report.mdtext import text as md_text
from cockpit.secrets import MASK

CANARY = "CnRy7Qx"  # every credential of the lab starts with it


def forms(secret: str) -> set[str]:
    """The secret as it could show in each format: raw, HTML-escaped, Markdown-escaped, JSON-escaped."""
    return {secret, html.escape(secret), md_text(secret), json.dumps(secret)[1:-1]}


def assert_no_secret(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        for form in forms(secret):
            assert form not in text, f"a secret ({form[:4]}...) is in the report"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo store, recorded against a lab whose every credential is a canary; the lab then stops."""
    netguard.allow_command(sys.executable)  # the lab's host simulator stands in for ssh
    counter = itertools.count(1)
    canaries = SimpleNamespace(token_urlsafe=lambda _n: f"{CANARY}{next(counter):02d}zKp")
    directory = tmp_path_factory.mktemp("report-canary")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lab_module, "secrets", canaries)
        running = Lab(directory)
        info = running.start()
    try:
        project = load_project(info["config"], info["state"])
        seed(project, running)
        passwords = dict(running.passwords)
        with Cockpit.open(project, write=True) as cockpit:  # where people paste passwords
            cockpit.set_task(4, "dns-pair", True, f"AdGuard admin password is {passwords['adguard']}")
            cockpit.override(5, f"testing with the Proxmox token {passwords['proxmox']} before PBS exists")
    finally:
        running.stop()  # a report is made from the store alone: nothing left to contact
    config = Path(info["config"])
    text = config.read_text()
    assert 'restore = "' in text
    config.write_text(text.replace('restore = "', f'restore = "mysql -p{passwords["nut"]}; ', 1))
    decisions = config.parent / "decisions"
    decisions.mkdir(exist_ok=True)  # the lab writes its own log from the seed
    (decisions / "0099-unifi-local-account.md").write_text(
        "---\ndate: 2026-02-01\nprinciple: vlan-segmentation\n---\n\n# A local UniFi account for cockpit\n\n"
        f"## Decision\n\nRead-only local account.\n\n## Rationale\n\nIts password is {passwords['unifi']}.\n\n"
        "## Revisit when\n\nUniFi offers read-only API keys for the classic API.\n"
    )
    return info, sorted(passwords.values())


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to reach a socket is recorded (and refused): a report must not make one."""
    attempts: list[object] = []

    def refuse(_sock, address, *args):
        attempts.append(address)
        raise ConnectionRefusedError(f"a report tried to reach {address}")

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse)
    return attempts


def test_the_demo_report_is_made_from_a_store_recorded_against_canary_credentials(demo):
    """The canary run is not vacuous: every credential is a canary, and the report holds the story."""
    info, secrets = demo
    assert len(secrets) == 7 and all(s.startswith(CANARY) for s in secrets)
    files = sorted((Path(info["config"]).parent / "secrets").iterdir())
    assert sorted(f.read_text().strip() for f in files) == secrets
    assert all(f.stat().st_mode & 0o077 == 0 for f in files)
    report = build_report(load_project(info["config"], info["state"]))
    states = {s.name: s.state for s in report.services}
    assert states["immich"] == "cut_over" and states["grafana"] == "rolled_back"
    immich = next(s for s in report.services if s.name == "immich")
    assert {a.label for a in immich.dns.answers} == {"v3"} and immich.drift == []
    assert [p.state for p in report.phases][:5] == ["complete"] * 4 + ["active"]
    assert any(e.action == "dns.intent" for e in immich.timeline)
    assert report.overrides and report.overrides[0].phase == 5
    assert "0099" in [d.id for d in report.decisions]


def test_no_lab_credential_appears_in_any_format_and_no_backend_is_contacted(demo, no_network):
    """One test for the three formats: each test of this module costs its xdist worker a seeded lab."""
    info, secrets = demo
    project = load_project(info["config"], info["state"])
    planted = ("AdGuard admin password is", "testing with the Proxmox token", "mysql -p", "Its password is")
    for fmt in FORMATS:
        text = render(build_report(project), fmt)
        assert no_network == [], "a report contacted a backend"
        assert CANARY not in text, fmt
        assert_no_secret(text, secrets)
        for where in planted:
            found = text.find(where)
            assert found >= 0, (fmt, where)
            window = text[found : found + len(where) + 80]
            assert any(mask in window for mask in forms(MASK)), (
                f"{fmt}: the secret after {where!r} is not masked"
            )


ENV_CONFIG = """\
phases_dir = "phases"

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
password = { env = "CANARY_ADGUARD" }

[[dns_servers]]
name = "pihole"
kind = "pihole"
role = "secondary"
api_url = "http://127.0.0.1:3001"
dns = "127.0.0.1:5354"
password = { env = "CANARY_PIHOLE" }

[proxmox]
api_url = "https://127.0.0.1:8006"
token_id = "cockpit@pve!ro"
token_secret = { env = "CANARY_PROXMOX" }

[nut]
address = "127.0.0.1:3493"
ups = "apc1500"
username = "monuser"
password = { env = "CANARY_NUT" }

[unifi]
api_url = "https://127.0.0.1:8443"
username = "cockpit"
password = { env = "CANARY_UNIFI" }
api_key = { env = "CANARY_UNIFI_KEY" }

[[services]]
name = "immich"
hostnames = ["immich.home.arpa"]
v2 = "192.168.20.10"
v3 = "192.168.30.10"
phase = 1
"""
ENV_SECRETS = {
    "CANARY_ADGUARD": "CnRyEnvAdGuard01",
    "CANARY_PIHOLE": "CnRyEnvPihole02",
    "CANARY_PROXMOX": "CnRyEnvPveToken03",
    "CANARY_NUT": 'CnRy<&>|_*"`Nut04',  # what HTML, Markdown and JSON would each escape
    "CANARY_UNIFI": "CnRyEnvUnifi05",
    "CANARY_UNIFI_KEY": "CnRyEnvUnifiKey06",
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_password_typed_into_a_note_before_it_was_configured_is_masked_in_every_format(
    lab, monkeypatch, fmt
):
    for name, value in ENV_SECRETS.items():
        monkeypatch.setenv(name, value)
    before = load_project(str(lab.config))  # the old config: these passwords are not secrets yet
    with Cockpit.open(before, write=True) as cockpit:
        cockpit.attest(0, "ups-bought", f"UniFi login cockpit / {ENV_SECRETS['CANARY_UNIFI']}")
        cockpit.check([0])
        cockpit.set_task(0, "install-ups", True, f"upsmon password {ENV_SECRETS['CANARY_NUT']}")
        cockpit.override(1, f"pve token {ENV_SECRETS['CANARY_PROXMOX']} works already")
    assert ENV_SECRETS["CANARY_UNIFI"] in (lab.state / "journal.jsonl").read_text(), "the journal kept it"
    lab.config.write_text(ENV_CONFIG)
    project = load_project(str(lab.config))
    text = render(build_report(project), fmt)
    assert "CnRy" not in text
    assert_no_secret(text, list(ENV_SECRETS.values()))
    assert sum(text.count(mask) for mask in forms(MASK)) >= 3
