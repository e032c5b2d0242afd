"""Provides `cockpit doctor`: for each configured backend, reachable or not, authenticated or not,
its version, and what cockpit needs that it lacks."""

from __future__ import annotations

from pydantic import BaseModel

from cockpit.adapters import dns as dns_adapter
from cockpit.adapters.adguard import AdGuardClient, version_supports_update
from cockpit.adapters.errors import AdapterError, AuthFailed, Unsupported
from cockpit.backends import dns_client
from cockpit.errors import CockpitError
from cockpit.models.inventory import DnsServer
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
    lacks: list[str] = []
    error: str | None = None

    @property
    def healthy(self) -> bool:
        return bool(
            self.reachable and self.authenticated and self.dns_answers is not False and not self.lacks
        )


def _api(server: DnsServer, project: Project, report: BackendReport) -> None:
    try:
        with dns_client(server, project.config.base_dir) as client:
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
    except AuthFailed as exc:
        report.reachable, report.authenticated, report.error = True, False, str(exc)
    except Unsupported as exc:
        report.reachable, report.error = True, str(exc)
        report.lacks.append(str(exc))
    except AdapterError as exc:
        report.reachable, report.error = False, str(exc)
    except CockpitError as exc:  # a secret that cannot be read, the loopback guard
        report.error = str(exc)


def _dns(server: DnsServer, project: Project, report: BackendReport) -> None:
    services = project.config.inventory.services
    name = services[0].hostname if services else "cockpit-doctor.invalid"
    try:
        dns_adapter.query_sync(str(server.dns), name, timeout=2.0)
        report.dns_answers = True
    except CockpitError as exc:
        report.dns_answers = False
        report.error = report.error or str(exc)


def diagnose(project: Project) -> list[BackendReport]:
    """Ask every configured backend; the example inventory is never contacted."""
    reports = []
    for server in project.config.inventory.dns_servers:
        report = BackendReport(name=server.name, kind=server.kind, url=server.api_url)
        if project.config.inventory.example:
            report.error = "example inventory: not contacted"
        else:
            _api(server, project, report)
            _dns(server, project, report)
        reports.append(report)
    return reports
