"""Provides finding and loading cockpit.toml, and checking the inventory's internal references.

Search order: --config, $COCKPIT_CONFIG, ./cockpit.toml, the user config dir. With none of
them, the embedded example inventory (modelled on the seed's homelab, never contacted) is used.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from cockpit.configsource import ConfigSource
from cockpit.errors import InputError, InputProblem, SecretError
from cockpit.models.inventory import Host, Inventory, SecretRef, Service
from cockpit.secrets import check_secret_file, resolve_secret, secret_file_path
from cockpit.tomlfile import TomlDocument, read_toml
from cockpit.validation import validate_document


@dataclass(frozen=True)
class LoadedConfig:
    """The validated inventory with its document (for line numbers) and source."""

    inventory: Inventory
    doc: TomlDocument
    source: ConfigSource

    @property
    def base_dir(self) -> Path:
        return self.source.path.parent

    def hosts_matching(self, ref: str) -> list[Host]:
        """Resolve a host reference: a host name, or `role:PATTERN`."""
        if ref.startswith("role:"):
            pattern = ref.removeprefix("role:")
            return [h for h in self.inventory.hosts if fnmatchcase(h.role, pattern)]
        return [h for h in self.inventory.hosts if h.name == ref]

    def service(self, name: str) -> Service | None:
        return next((s for s in self.inventory.services if s.name == name), None)


def load_config(source: ConfigSource) -> LoadedConfig:
    doc = read_toml(source.path)
    inventory = validate_document(doc, Inventory)
    inventory, problems = _link_services(doc, inventory)
    problems += _unique_names(doc, inventory) + _dns_roles(doc, inventory) + _secret_files(doc, inventory)
    if problems:
        raise InputError(sorted(problems, key=lambda p: p.line or 0))
    return LoadedConfig(inventory, doc, source)


def _unique_names(doc: TomlDocument, inv: Inventory) -> list[InputProblem]:
    problems = []
    tables: tuple[tuple[str, Sequence[Any]], ...] = (
        ("hosts", inv.hosts),
        ("dns_servers", inv.dns_servers),
        ("services", inv.services),
    )
    for table, items in tables:
        seen: dict[str, int] = {}
        for position, item in enumerate(items):
            if item.name in seen:
                first = doc.locator.line_for((table, seen[item.name], "name"))
                message = f"duplicate name '{item.name}' (first at line {first})"
                problems.append(doc.problem((table, position, "name"), message))
            seen.setdefault(item.name, position)
    owner: dict[str, tuple[str, int]] = {}
    for position, service in enumerate(inv.services):
        root = _root(inv, service)
        for hostname in service.hostnames:
            key = hostname.lower()
            if key in owner and owner[key][0] != root:
                other = inv.services[owner[key][1]].name
                message = f"hostname '{hostname}' already belongs to service '{other}'"
                problems.append(doc.problem(("services", position, "hostnames"), message))
            owner.setdefault(key, (root, position))
    return problems


def _root(inv: Inventory, service: Service) -> str:
    """The first move of a chain of `follows` (cycles are refused before this is asked)."""
    by_name = {s.name: s for s in inv.services}
    seen = set()
    while service.follows and service.follows in by_name and service.name not in seen:
        seen.add(service.name)
        service = by_name[service.follows]
    return service.name


def _link_services(doc: TomlDocument, inv: Inventory) -> tuple[Inventory, list[InputProblem]]:
    """Fill a follow-up move's hostnames and v2 from the move it follows; refuse broken chains."""
    problems: list[InputProblem] = []
    by_name = {s.name: s for s in inv.services}
    linked: list[Service] = []
    for position, service in enumerate(inv.services):
        loc = ("services", position)
        if service.follows is not None:
            earlier = by_name.get(service.follows)
            if earlier is None or earlier.name == service.name:
                problems.append(doc.problem((*loc, "follows"), f"no other service named '{service.follows}'"))
            elif earlier.phase >= service.phase:
                message = (
                    f"'{earlier.name}' is a phase {earlier.phase} move; "
                    "a move that follows it must belong to a later phase"
                )
                problems.append(doc.problem((*loc, "follows"), message))
            else:
                service = service.model_copy(
                    update={
                        "hostnames": service.hostnames or earlier.hostnames,
                        "v2": service.v2 or earlier.v3,
                    }
                )
        if not service.hostnames:
            problems.append(doc.problem((*loc, "hostnames"), "a service needs at least one hostname"))
        if service.v2 is None:
            problems.append(doc.problem((*loc, "v2"), "required field is missing"))
        linked.append(service)
    return inv.model_copy(update={"services": linked}), problems


def _dns_roles(doc: TomlDocument, inv: Inventory) -> list[InputProblem]:
    if inv.dns_servers and not any(s.role == "primary" for s in inv.dns_servers):
        return [doc.problem(("dns_servers",), 'no DNS server has role = "primary"')]
    return []


def _secret_refs(inv: Inventory) -> list[tuple[tuple[str | int, ...], SecretRef]]:
    refs: list[tuple[tuple[str | int, ...], SecretRef]] = []
    for position, server in enumerate(inv.dns_servers):
        if server.password:
            refs.append((("dns_servers", position, "password"), server.password))
    if inv.proxmox:
        refs.append((("proxmox", "token_secret"), inv.proxmox.token_secret))
    if inv.nut and inv.nut.password:
        refs.append((("nut", "password"), inv.nut.password))
    if inv.unifi:
        refs.append((("unifi", "password"), inv.unifi.password))
        if inv.unifi.api_key:
            refs.append((("unifi", "api_key"), inv.unifi.api_key))
    if inv.lab:
        refs.append((("lab", "token"), inv.lab.token))
    return refs


def secret_refs(config: LoadedConfig) -> list[tuple[tuple[str | int, ...], SecretRef]]:
    """Every secret reference of the inventory with where it was written."""
    return _secret_refs(config.inventory)


def insecure_backends(config: LoadedConfig) -> list[str]:
    """Backends whose TLS verification the config turned off with `insecure = true`."""
    inv = config.inventory
    found = [f"dns_servers.{s.name}" for s in inv.dns_servers if s.tls.insecure]
    found += [
        name for name, part in (("proxmox", inv.proxmox), ("unifi", inv.unifi)) if part and part.tls.insecure
    ]
    return found


def register_known_secrets(config: LoadedConfig) -> None:
    """Resolve what can be resolved so the redactor knows it; a missing secret is not an error here."""
    for _, ref in secret_refs(config):
        with contextlib.suppress(SecretError, OSError):
            resolve_secret(ref, config.base_dir)


def _secret_files(doc: TomlDocument, inv: Inventory) -> list[InputProblem]:
    """A secret file that exists but is readable by others is refused on every load."""
    problems = []
    for loc, ref in _secret_refs(inv):
        if ref.file is None:
            continue
        path = secret_file_path(ref, doc.path.parent)
        if not path.exists():
            continue
        try:
            check_secret_file(path)
        except SecretError as exc:
            problems.append(doc.problem(loc, str(exc)))
    return problems
