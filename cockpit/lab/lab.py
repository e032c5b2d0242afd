"""Provides the Lab: starts every simulator on loopback, seeds it, and writes a config pointing at it.

At start both DNS servers answer each service's names with its v2 address (the world before the
migration). The config written beside the lab is an ordinary cockpit.toml: nothing in the core
knows it talks to simulators. Secrets go to 0600 files named by the config, never into it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cockpit.lab import catalog
from cockpit.lab.adguard import AdGuardSim
from cockpit.lab.control import serve_control
from cockpit.lab.decisions_seed import seed_decisions
from cockpit.lab.faults import Faults
from cockpit.lab.httpserver import LabHTTPServer
from cockpit.lab.nut import NutSim
from cockpit.lab.pihole import PiholeSim
from cockpit.lab.proxmox import ProxmoxSim
from cockpit.lab.services import Endpoint, serve
from cockpit.lab.unifi import UnifiSim

UNIFI_USER = "cockpit-ro"
NUT_USER = "cockpit"


@dataclass
class ServiceBinding:
    """Where one service move listens in this run."""

    service: catalog.LabService
    port: int


@dataclass
class Lab:
    """One running lab, rooted in `directory` (config, secrets, state)."""

    directory: Path
    faults: Faults = field(default_factory=Faults)
    adguard_version: str = "v0.107.79"
    # A killed cockpit cannot log out of the Pi-hole; its seat frees itself after this (FTL's default: 1800 s).
    pihole_session_timeout: float = 1800.0
    # The lab's DNS answers at once (no cache): short waits keep a demo cutover to a few seconds.
    cutover: dict[str, float] = field(
        default_factory=lambda: {
            "dns_wait_s": 5,
            "dns_poll_s": 0.2,
            "http_successes": 2,
            "http_interval_s": 0.3,
            "grace_period_s": 60,
        }
    )
    servers: list[LabHTTPServer] = field(default_factory=list)
    bindings: dict[str, ServiceBinding] = field(default_factory=dict)

    def start(self) -> dict[str, Any]:
        """Start everything; return the description printed as `cockpit lab`'s JSON line."""
        self.directory.mkdir(parents=True, exist_ok=True)
        names = ("adguard", "pihole", "control", "proxmox", "unifi", "unifi-api-key", "nut")
        self.passwords = {name: secrets.token_urlsafe(18) for name in names}
        self.adguard = AdGuardSim(
            self.faults,
            host=catalog.ADGUARD_HOST,
            username="cockpit",
            password=self.passwords["adguard"],
            version=self.adguard_version,
        )
        self.pihole = PiholeSim(
            self.faults,
            host=catalog.PIHOLE_HOST,
            password=self.passwords["pihole"],
            session_timeout=self.pihole_session_timeout,
        )
        self.proxmox = ProxmoxSim(
            self.faults,
            directory=self.directory / "tls",
            host=catalog.NODES[0].address,
            token_secret=self.passwords["proxmox"],
        )
        self.unifi = UnifiSim(
            self.faults,
            directory=self.directory / "tls",
            host=catalog.UNIFI_HOST,
            username=UNIFI_USER,
            password=self.passwords["unifi"],
            api_key=self.passwords["unifi-api-key"],
        )
        self.nut = NutSim(
            self.faults, host=catalog.NUT_HOST, users={NUT_USER: (self.passwords["nut"], "upsmon secondary")}
        )
        try:
            for sim in self.sims:
                sim.start()
            self._start_services()
            self._seed_dns()
            known = {"service": {s.name for s in catalog.SERVICES}, "host": {h.name for h in catalog.HOSTS}}
            self.control = serve_control(self.faults, self.passwords["control"], known)
            self.servers.append(self.control)
        except BaseException:
            self.stop()
            raise
        self.config_path = self._write_config()
        seed_decisions(self.directory)  # the decisions log beside the config, drawn from the seed
        return self.describe()

    def _start_services(self) -> None:
        for service in catalog.SERVICES:
            if service.follows is None:
                port = self._listen_pair(service)
            else:
                port = self.bindings[service.follows].port
                self._listen(service, "v3", service.v3, port)
            self.bindings[service.name] = ServiceBinding(service, port)

    def _listen_pair(self, service: catalog.LabService) -> int:
        """v2 and v3 on one port number (the inventory has one health port per service)."""
        for _ in range(20):
            v2 = self._listen(service, "v2", service.v2, 0)
            try:
                self._listen(service, "v3", service.v3, v2.port)
            except OSError:
                self.servers.remove(v2)
                v2.stop()
                continue
            return v2.port
        raise OSError(f"no common free port for {service.name} on {service.v2} and {service.v3}")

    def _listen(self, service: catalog.LabService, side: str, address: str, port: int) -> LabHTTPServer:
        endpoint = Endpoint(service.name, side, service.hostnames, service.health_path)
        server = serve(endpoint, address, port, self.faults)
        self.servers.append(server)
        return server

    def reset(self) -> None:
        """Back to the lab's first state: no faults, every simulator fresh, every name answering v2."""
        self.faults.clear()
        for sim in (self.adguard, self.pihole, self.proxmox, self.unifi):
            sim.reset()
        self._seed_dns()

    def _seed_dns(self) -> None:
        for service in catalog.SERVICES:
            if service.follows is not None:
                continue
            for hostname in service.hostnames:
                self.adguard.add_rewrite(hostname, service.v2)
                self.pihole.add_host(service.v2, hostname)

    def stop(self) -> None:
        # Each server notices shutdown within its poll interval: stop them all at once, not one by one.
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(LabHTTPServer.stop, self.servers))
        self.servers.clear()
        for sim in self.sims:
            with contextlib.suppress(Exception):  # a sim that never started has nothing to stop
                sim.stop()

    @property
    def sims(self) -> list[Any]:
        names = ("adguard", "pihole", "proxmox", "unifi", "nut")
        return [getattr(self, name) for name in names if hasattr(self, name)]

    # -- what the lab tells the world ---------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        return {
            "config": str(self.config_path),
            "state": str(self.directory / "state"),
            "adguard": {
                "url": self.adguard.url,
                "username": "cockpit",
                "password": self.passwords["adguard"],
                "dns": self.adguard.dns_address,
                "version": self.adguard_version,
            },
            "pihole": {
                "url": self.pihole.url,
                "password": self.passwords["pihole"],
                "dns": self.pihole.dns_address,
            },
            "proxmox": {
                "url": self.proxmox.url,
                "token_id": catalog.PROXMOX_TOKEN_ID,
                "token_secret": self.passwords["proxmox"],
                "fingerprint": self.proxmox.fingerprint,
            },
            "nut": {
                "address": self.nut.address,
                "ups": catalog.UPS_NAME,
                "username": NUT_USER,
                "password": self.passwords["nut"],
            },
            "unifi": {
                "url": self.unifi.url,
                "username": UNIFI_USER,
                "password": self.passwords["unifi"],
                "api_key": self.passwords["unifi-api-key"],
                "site": "default",
                "fingerprint": self.unifi.fingerprint,
            },
            "control": {"url": self.control_url, "token": self.passwords["control"]},
            "services": [
                {
                    "name": b.service.name,
                    "hostname": b.service.hostnames[0],
                    "v2": b.service.v2,
                    "v3": b.service.v3,
                    "port": b.port,
                    "phase": b.service.phase,
                }
                for b in self.bindings.values()
            ],
        }

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.control.port}"

    def _secret_file(self, name: str) -> str:
        path = self.directory / "secrets" / f"{name}.secret"
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(self.passwords[name] + "\n")
        return f"secrets/{name}.secret"

    def _write_config(self) -> Path:
        path = self.directory / "cockpit.toml"
        path.write_text(render_config(self))
        return path


def remote_shell(directory: Path) -> list[str]:
    """The lab's stand-in for `ssh HOST --`: this Python running cockpit.lab.hostshell."""
    return [sys.executable, "-m", "cockpit.lab.hostshell", "--lab", str(directory), "{host}", "--"]


def _q(value: object) -> str:
    """A TOML value: JSON's string escapes are valid TOML basic strings."""
    return json.dumps(value)


def render_config(lab: Lab) -> str:
    lines = [
        "# Written by `cockpit lab`: every address below is on loopback; the lab ends with its process.",
        'state_dir = "state"',
        "",
        "[lab]",
        f"control_url = {_q(lab.control_url)}",
        f"token = {{ file = {_q(lab._secret_file('control'))} }}",
        "",
        "[cutover]",
        *(f"{key} = {value}" for key, value in lab.cutover.items()),
        "",
        "# Commands reach the lab's hosts through its host simulator, in ssh's place.",
        "[commands]",
        f"remote = {_q(remote_shell(lab.directory))}",
    ]
    for host in catalog.HOSTS:
        lines += [
            "",
            "[[hosts]]",
            f"name = {_q(host.name)}",
            f"role = {_q(host.role)}",
            f"address = {_q(host.address)}",
            f"vlan = {host.vlan}",
            f"description = {_q(host.description)}",
            *_host_facts(host),
        ]
    for name, kind, role, sim, user in (
        ("adguard", "adguard", "primary", lab.adguard, "cockpit"),
        ("pihole", "pihole", "secondary", lab.pihole, None),
    ):
        lines += [
            "",
            "[[dns_servers]]",
            f"name = {_q(name)}",
            f"kind = {_q(kind)}",
            f"role = {_q(role)}",
            f"api_url = {_q(sim.url)}",
            f"dns = {_q(sim.dns_address)}",
        ]
        if user:
            lines.append(f"username = {_q(user)}")
        lines.append(f"password = {{ file = {_q(lab._secret_file(name))} }}")
    lines += [
        "",
        "[proxmox]",
        f"api_url = {_q(lab.proxmox.url)}",
        f"token_id = {_q(catalog.PROXMOX_TOKEN_ID)}",
        f"token_secret = {{ file = {_q(lab._secret_file('proxmox'))} }}",
        f"tls = {{ fingerprint = {_q(lab.proxmox.fingerprint)} }}",
        "",
        "[nut]",
        f"address = {_q(lab.nut.address)}",
        f"ups = {_q(catalog.UPS_NAME)}",
        f"username = {_q(NUT_USER)}",
        f"password = {{ file = {_q(lab._secret_file('nut'))} }}",
        f"shutdown_order = {_q(list(catalog.SHUTDOWN_ORDER))}",
        "",
        "[unifi]",
        f"api_url = {_q(lab.unifi.url)}",
        f"username = {_q(UNIFI_USER)}",
        f"password = {{ file = {_q(lab._secret_file('unifi'))} }}",
        f"api_key = {{ file = {_q(lab._secret_file('unifi-api-key'))} }}",
        f"tls = {{ fingerprint = {_q(lab.unifi.fingerprint)} }}",
        *_network_facts(),
        *_share_facts(),
    ]
    for binding in lab.bindings.values():
        service = binding.service
        lines += ["", "[[services]]", f"name = {_q(service.name)}", f"title = {_q(service.title)}"]
        if service.follows:
            lines.append(f"follows = {_q(service.follows)}")
        else:
            lines += [f"hostnames = {_q(list(service.hostnames))}", f"v2 = {_q(service.v2)}"]
        lines += [
            f"v3 = {_q(service.v3)}",
            f"phase = {service.phase}",
            f"cutover = {_q(service.cutover)}",
            f'health = {{ scheme = "http", port = {binding.port}, path = {_q(service.health_path)}, '
            "expect_status = [200, 299] }",
            f"platform = {_q(service.platform)}",
        ]
        if service.shares:
            lines.append(f"shares = {_q(list(service.shares))}")
        lines += ["", "[services.runbook]"]
        lines += [f"{key} = {_q(text)}" for key, text in catalog.runbook(service).items()]
    return "\n".join(lines) + "\n"


def _host_facts(host: catalog.LabHost) -> list[str]:
    """What the linter reads of a host, from the lab's Proxmox world: guests, nodes and their boot disks."""
    guest = next((g for g in catalog.GUESTS if g.name == host.name), None)
    if guest is not None:
        kind = "vm" if guest.kind == "qemu" else "lxc"
        return [f"kind = {_q(kind)}", f"hypervisor = {_q(guest.node)}"]
    lines = ['kind = "bare-metal"']
    node = next((n for n in catalog.NODES if n.name == host.name), None)
    if node is not None:
        disks = [disk.rsplit("/", 1)[-1].removesuffix("-part3") for disk in node.rpool_disks]
        lines += [f"boot_disks = {_q(disks)}", f"boot_mirror = {_q(len(disks) > 1)}"]
    return lines


def _network_facts() -> list[str]:
    """The design's VLANs and inter-VLAN policy, the same the UniFi simulator serves."""
    lines: list[str] = []
    for vlan in catalog.VLANS:
        lines += _entry("vlans", id=vlan.vlan, name=vlan.name, purpose=vlan.purpose, subnet=vlan.subnet)
    lines += ["", "[firewall]", 'default = "deny"', "rules = ["]
    for flow in catalog.FIREWALL:
        ports = f", ports = {_q(list(flow.ports))}" if flow.ports else ""
        action = "allow" if flow.allow else "deny"
        lines.append(
            f"  {{ from = {flow.source}, to = {_q(flow.destination)}, action = {_q(action)}{ports} }},"
        )
    return [*lines, "]"]


def _share_facts() -> list[str]:
    lines: list[str] = []
    for share in catalog.SHARES:
        lines += _entry(
            "shares",
            name=share.name,
            host=share.host,
            filesystem=share.filesystem,
            purpose=list(share.purpose),
            path=share.path,
        )
    return lines


def _entry(array: str, **fields: object) -> list[str]:
    """One `[[array]]` table of the config, each field a TOML value."""
    return ["", f"[[{array}]]", *(f"{key} = {_q(value)}" for key, value in fields.items())]
