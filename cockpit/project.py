"""Provides the loaded project: inventory, phases, where the state lives, and the cross references.

Every reference from a phase to the inventory (a host, a service, a DNS server, a phase) is
checked here, so a typo stops the run with exit 2 before anything is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from cockpit.config import LoadedConfig, load_config
from cockpit.configsource import PACKAGE_DIR, ConfigSource, default_phases_dir, find_config
from cockpit.errors import InputError, InputProblem
from cockpit.models.checks import PLACEHOLDER, DnsResolves, HttpOk, ServicesCutOver
from cockpit.models.phases import Phase
from cockpit.phases_loader import LoadedPhase, load_phases
from cockpit.tomlfile import Loc, TomlDocument

HOST_FIELDS = ("node", "hosts", "guest", "host")


@dataclass(frozen=True)
class Project:
    """Everything cockpit knows before it opens the store."""

    config: LoadedConfig
    phases: list[Phase]
    phases_dir: Path
    state_dir: Path

    def phase(self, phase_id: int) -> Phase | None:
        return next((p for p in self.phases if p.id == phase_id), None)

    def services_of_phase(self, phase_id: int) -> list[str]:
        """The DNS cutovers a phase owns; a manual move (Plex's port forward) is a task with its own check."""
        return [s.name for s in self.config.inventory.services if s.phase == phase_id and s.cutover == "dns"]


def _from_checkout() -> bool:
    return (PACKAGE_DIR.parent / "pyproject.toml").is_file() and (PACKAGE_DIR.parent / "state").is_dir()


def resolve_state_dir(option: str | None, config: LoadedConfig) -> Path:
    """--state, $COCKPIT_STATE, the config's state_dir, state/ beside the config (user dir: user data dir)."""
    for value in (option, os.environ.get("COCKPIT_STATE")):
        if value:
            return Path(value).expanduser().resolve()
    if config.inventory.state_dir is not None:
        return (config.base_dir / config.inventory.state_dir.expanduser()).resolve()
    origin = config.source.origin
    if origin == "user":
        return platformdirs.user_data_path("cockpit")
    if origin == "example":
        if _from_checkout():
            return PACKAGE_DIR.parent / "state"
        return platformdirs.user_data_path("cockpit") / "example"
    return config.base_dir / "state"


def load_project(config_option: str | None = None, state_option: str | None = None) -> Project:
    """Load config and phases and check every reference between them."""
    config = load_config(find_config(config_option))
    phases_dir = (
        (config.base_dir / config.inventory.phases_dir.expanduser()).resolve()
        if config.inventory.phases_dir is not None
        else default_phases_dir()
    )
    loaded = load_phases(phases_dir)
    problems = _cross_references(config, loaded)
    if problems:
        raise InputError(problems)
    return Project(
        config, [item.phase for item in loaded], phases_dir, resolve_state_dir(state_option, config)
    )


def _cross_references(config: LoadedConfig, loaded: list[LoadedPhase]) -> list[InputProblem]:
    problems: list[InputProblem] = []
    phase_ids = {item.phase.id for item in loaded}
    for position, service in enumerate(config.inventory.services):
        if service.phase not in phase_ids:
            problems.append(config.doc.problem(("services", position, "phase"), f"no phase {service.phase}"))
    for item in loaded:
        for kind in ("entry", "exit"):
            for position, criterion in enumerate(getattr(item.phase, kind)):
                at: Loc = (kind, position, "check")
                problems += _host_refs(config, item.doc, at, criterion.check)
                problems += _check_refs(config, item.doc, at, criterion.check, phase_ids)
        for position, task in enumerate(item.phase.tasks):
            for index, action in enumerate(task.actions):
                problems += _host_refs(config, item.doc, ("tasks", position, "actions", index), action)
    return problems


def _host_refs(config: LoadedConfig, doc: TomlDocument, loc: Loc, subject: object) -> list[InputProblem]:
    """Every host reference of a check or action names at least one host; every placeholder exactly one."""
    problems: list[InputProblem] = []
    for field in HOST_FIELDS:
        value = getattr(subject, field, None)
        refs = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        for index, ref in enumerate(refs):
            if not config.hosts_matching(ref):
                at = (*loc, field, index) if isinstance(value, list) else (*loc, field)
                what = (
                    f"no host with role matching '{ref[5:]}'"
                    if ref.startswith("role:")
                    else f"no host named '{ref}'"
                )
                problems.append(doc.problem(at, f"{what} in the inventory ({config.source.path})"))
    for index, argument in enumerate(getattr(subject, "argv", [])):
        for _, ref in PLACEHOLDER.findall(argument):
            found = len(config.hosts_matching(ref))
            if found != 1:
                message = f"placeholder {{...:{ref}}} must match exactly one host in the inventory; it matches {found}"
                problems.append(doc.problem((*loc, "argv", index), message))
    return problems


def _check_refs(
    config: LoadedConfig, doc: TomlDocument, loc: Loc, check: object, phase_ids: set[int]
) -> list[InputProblem]:
    """Services, DNS servers and phases a check names exist."""
    problems: list[InputProblem] = []
    services: list[tuple[str, str]] = []
    if isinstance(check, DnsResolves | HttpOk) and check.service:
        services.append(("service", check.service))
    if isinstance(check, ServicesCutOver):
        services += [("services", name) for name in check.services]
        if check.phase is not None and check.phase not in phase_ids:
            problems.append(doc.problem((*loc, "phase"), f"no phase {check.phase}"))
    for field, name in services:
        if config.service(name) is None:
            message = f"no service named '{name}' in the inventory ({config.source.path})"
            problems.append(doc.problem((*loc, field), message))
    if isinstance(check, DnsResolves):
        known = {s.name for s in config.inventory.dns_servers}
        for index, server in enumerate(check.servers):
            if server not in known:
                problems.append(
                    doc.problem((*loc, "servers", index), f"no DNS server named '{server}' in the inventory")
                )
    return problems


__all__ = ["ConfigSource", "Project", "load_project", "resolve_state_dir"]
