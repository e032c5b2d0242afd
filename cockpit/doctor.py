"""Provides `cockpit doctor`: for each configured backend, reachable or not, authenticated or not,
its version, and what cockpit needs that it lacks."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from pydantic import BaseModel

from cockpit.adapters import dns as dns_adapter
from cockpit.adapters.adguard import AdGuardClient, version_supports_update
from cockpit.adapters.errors import AdapterError, AuthFailed, Unsupported
from cockpit.backends import dns_client
from cockpit.errors import CockpitError
from cockpit.models.inventory import DnsServer, Tls
from cockpit.project import Project


class BackendReport(BaseModel):
    """What the doctor found about one backend."""

    name: str
    kind: str
    url: str
    reachable: bool | None = None
    authenticated: bool | None = None
    version: str | None = None
    dns_answers: bool | None = None
    tls: str | None = None
    clock_skew_s: dict[str, float] = {}
    lacks: list[str] = []
    error: str | None = None

    @property
    def healthy(self) -> bool:
        """Reachable, credentials not refused (None: none needed, as for reading upsd), nothing lacking."""
        ok = self.reachable and self.authenticated is not False and self.dns_answers is not False
        return bool(ok and not self.lacks)


def _api(server: DnsServer, project: Project, report: BackendReport) -> None:
    with asking(report), dns_client(server, project.config.base_dir) as client:
        if isinstance(client, AdGuardClient):
            report.version = client.status().version
            if not version_supports_update(report.version):
                report.lacks.append(
                    "atomic rewrite update (PUT /control/rewrite/update, since v0.107.33): "
                    "cutovers fall back to add-then-delete"
                )
        else:
            report.version = client.version()
        report.reachable = report.authenticated = True


def _dns(server: DnsServer, project: Project, report: BackendReport) -> None:
    services = project.config.inventory.services
    name = services[0].hostname if services else "cockpit-doctor.invalid"
    try:
        dns_adapter.query_sync(str(server.dns), name, timeout=2.0)
        report.dns_answers = True
    except CockpitError as exc:
        report.dns_answers = False
        report.error = report.error or str(exc)


def tls_mode(tls: Tls, url: str) -> str:
    if url.startswith("http://"):
        return "none: plain http (keep such an API on a trusted network)"
    if tls.insecure:
        return "INSECURE: verification off (insecure = true)"
    if tls.fingerprint:
        return f"pinned SHA-256 {tls.fingerprint[:23]}..."
    return f"CA file {tls.ca_file}" if tls.ca_file else "verified against the system CAs"


# A clock further off than this breaks TLS validity windows, token lifetimes and log correlation.
CLOCK_TOLERANCE_S = 30.0


@contextlib.contextmanager
def asking(report: BackendReport) -> Iterator[None]:
    """What a failed question tells: credentials refused, no answer, or cockpit could not even ask."""
    try:
        yield
    except Unsupported as exc:  # it answered, but lacks what cockpit needs (a Pi-hole v5)
        report.reachable, report.error = True, str(exc)
        report.lacks.append(str(exc))
    except AuthFailed as exc:
        report.reachable, report.authenticated, report.error = True, False, str(exc)
    except AdapterError as exc:
        report.reachable, report.error = False, str(exc)
    except CockpitError as exc:  # a secret that cannot be read, the loopback guard
        report.error = str(exc)


def _proxmox(project: Project, report: BackendReport) -> None:
    from cockpit.checks.proxmox import client_for

    with asking(report), client_for(project) as client:
        report.version = client.version().version
        report.reachable = report.authenticated = True
        for node in client.nodes():
            if node.status == "online":
                report.clock_skew_s[node.node] = round(client.node_time(node.node).skew(), 1)
    for name, skew in report.clock_skew_s.items():
        if abs(skew) > CLOCK_TOLERANCE_S:
            report.lacks.append(
                f"a clock within {CLOCK_TOLERANCE_S:g} s: {name} is off by {skew:+.0f} s (check NTP)"
            )


def _unifi(project: Project, report: BackendReport) -> None:
    from cockpit.checks.unifi import client_for

    with asking(report), client_for(project) as client:
        report.version = client.version()
        report.reachable = report.authenticated = True


def diagnose(project: Project) -> list[BackendReport]:
    """Ask every configured backend; the example inventory is never contacted."""
    inventory = project.config.inventory
    reports = []
    for server in inventory.dns_servers:
        report = BackendReport(
            name=server.name, kind=server.kind, url=server.api_url, tls=tls_mode(server.tls, server.api_url)
        )
        if not inventory.example:
            _api(server, project, report)
            _dns(server, project, report)
        reports.append(report)
    if inventory.proxmox:
        report = BackendReport(
            name="proxmox",
            kind="proxmox",
            url=inventory.proxmox.api_url,
            tls=tls_mode(inventory.proxmox.tls, inventory.proxmox.api_url),
        )
        if not inventory.example:
            _proxmox(project, report)
        reports.append(report)
    if inventory.unifi:
        report = BackendReport(
            name="unifi",
            kind="unifi",
            url=inventory.unifi.api_url,
            tls=tls_mode(inventory.unifi.tls, inventory.unifi.api_url),
        )
        if not inventory.example:
            _unifi(project, report)
        reports.append(report)
    if inventory.nut:
        report = BackendReport(name="nut", kind="nut", url=str(inventory.nut.address))
        if not inventory.example:
            _nut(project, report)
        reports.append(report)
    if inventory.example:
        for report in reports:
            report.error = "example inventory: not contacted"
    return reports


def _nut(project: Project, report: BackendReport) -> None:
    import asyncio

    from cockpit.checks.nut import client_for

    async def ask() -> None:
        async with client_for(project) as client:
            report.version = await client.version()
            names = await client.list_ups()
            report.reachable = True
            nut = project.config.inventory.nut
            if nut is not None and nut.username:
                await client.login(nut.ups)  # upsd checks a password only at LOGIN: ask it to
                report.authenticated = True
            ups = project.config.inventory.nut.ups  # type: ignore[union-attr]
            if ups not in names:
                report.lacks.append(f"the UPS '{ups}' (upsd lists: {', '.join(names) or 'none'})")

    with asking(report):
        asyncio.run(ask())
