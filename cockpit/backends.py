"""Provides adapters built from the inventory: the right client for each configured backend.

The one place that turns a config entry (URL, secret reference, TLS settings) into a live client,
so the CLI, the doctor, the checks and later the cutover engine all connect the same way.
"""

from __future__ import annotations

from pathlib import Path

from cockpit.adapters.adguard import AdGuardClient
from cockpit.adapters.pihole import PiholeClient
from cockpit.errors import RefusedError
from cockpit.models.inventory import DnsServer, Tls
from cockpit.secrets import resolve_secret


def tls_verify(tls: Tls, base: Path) -> bool | str:
    """httpx's `verify`: a CA file when given (relative to the config), else on or off."""
    if tls.ca_file is not None:
        path = tls.ca_file.expanduser()
        return str(path if path.is_absolute() else base / path)
    return not tls.insecure


def dns_client(server: DnsServer, base: Path, *, timeout: float = 5.0) -> AdGuardClient | PiholeClient:
    """A client for one DNS server's API, with its secret resolved (and registered for redaction)."""
    password = resolve_secret(server.password, base) if server.password else None
    verify = tls_verify(server.tls, base)
    if server.kind == "adguard":
        return AdGuardClient(server.api_url, server.username, password, timeout=timeout, verify=verify)  # type: ignore[arg-type]
    if password is None:
        raise RefusedError(
            f"{server.name}: a Pi-hole needs a password reference (password = {{ env = ... }})"
        )
    return PiholeClient(server.api_url, password, timeout=timeout, verify=verify)  # type: ignore[arg-type]
