"""The loopback guard: with COCKPIT_LOOPBACK_ONLY=1 nothing is ever sent outside 127.0.0.0/8."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from cockpit import netguard
from cockpit.adapters import dns as dns_adapter
from cockpit.adapters import health
from cockpit.adapters.httpbase import async_client, client


@pytest.fixture
def guard(monkeypatch):
    monkeypatch.setenv(netguard.ENV, "1")


class Recorder(httpx.BaseTransport):
    """A transport that records every request that got as far as the wire."""

    def __init__(self):
        self.sent = []

    def handle_request(self, request):
        self.sent.append(request.url)
        return httpx.Response(200)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.30.0.53", "localhost", "::1", "[::1]"])
def test_loopback_passes(guard, host):
    netguard.check_host(host, "test")


@pytest.mark.parametrize(
    "host", ["192.168.10.53", "10.0.0.1", "8.8.8.8", "adguard.lan", "pi.hole", "", "::ffff:192.168.1.1"]
)
def test_anything_else_is_refused_before_any_packet(guard, host):
    with pytest.raises(netguard.GuardRefused, match="loopback guard"):
        netguard.check_host(host, "test")


def test_an_http_adapter_refuses_a_homelab_address_before_connecting(guard):
    recorder = Recorder()
    with pytest.raises(netguard.GuardRefused, match="'192.168.30.53'"):
        client("https://192.168.30.53", "the AdGuard Home adapter", transport=recorder)
    allowed = client("http://127.0.0.1:9", "test", transport=recorder)
    with pytest.raises(netguard.GuardRefused, match="'adguard.home.arpa'"):
        allowed.get(
            "http://adguard.home.arpa/control/status"
        )  # a redirect target or absolute URL is checked too
    assert recorder.sent == []


def test_the_health_check_refuses_a_homelab_target(guard):
    async def run():
        async with async_client("test") as http:
            return await health.check(
                http, scheme="http", address="192.168.30.10", port=80, path="/", hostname="immich.home.arpa"
            )

    with pytest.raises(netguard.GuardRefused):
        asyncio.run(run())


def test_the_dns_adapter_refuses_a_homelab_server(guard):
    with pytest.raises(netguard.GuardRefused, match="DNS adapter"):
        dns_adapter.query_sync("192.168.30.53:53", "immich.home.arpa")


def test_a_command_is_refused_unless_allow_listed(guard):
    with pytest.raises(netguard.GuardRefused, match="command 'ssh' is not allow-listed"):
        netguard.check_command(["ssh", "nas-prod-01", "true"])
    netguard.allow_command("true")
    netguard.check_command(["true"])


def test_without_the_guard_nothing_is_refused(monkeypatch):
    monkeypatch.delenv(netguard.ENV, raising=False)
    netguard.check_host("192.168.10.53", "test")
    netguard.check_command(["ssh"])
