"""Provides the httpx plumbing the HTTP adapters share: guarded clients, timeouts, error mapping."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from cockpit import netguard
from cockpit.adapters.errors import AdapterError, Timeout, Unreachable

DEFAULT_TIMEOUT = 5.0


def _guard_hook(what: str) -> Any:
    def hook(request: httpx.Request) -> None:
        netguard.check_host(request.url.host, what)

    return hook


def _async_guard_hook(what: str) -> Any:
    async def hook(request: httpx.Request) -> None:
        netguard.check_host(request.url.host, what)

    return hook


def client(
    base_url: str,
    what: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    verify: bool | str | ssl.SSLContext = True,
    auth: httpx.Auth | tuple[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """A client whose every request (redirects included) passes the loopback guard first."""
    netguard.check_url(base_url, what)
    return httpx.Client(
        base_url=base_url,
        timeout=timeout,
        verify=verify,
        auth=auth,
        transport=transport,
        follow_redirects=False,
        trust_env=False,  # never a proxy from the environment: cockpit talks to the backend itself
        event_hooks={"request": [_guard_hook(what)]},
    )


def async_client(
    what: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    verify: bool | str | ssl.SSLContext = True,
    limits: httpx.Limits | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=timeout,
        verify=verify,
        limits=limits or httpx.Limits(max_connections=100, max_keepalive_connections=20),
        transport=transport,
        follow_redirects=False,
        trust_env=False,
        event_hooks={"request": [_async_guard_hook(what)]},
    )


def transport_error(backend: str, exc: httpx.HTTPError) -> AdapterError:
    """Map httpx's transport failures to the project's errors."""
    if isinstance(exc, httpx.TimeoutException):
        return Timeout(backend, f"no answer within the timeout ({type(exc).__name__})")
    return Unreachable(backend, f"cannot connect: {str(exc) or type(exc).__name__}")
