"""The demo services' endpoints, the health adapter that checks them, and the fault switchboard."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from cockpit.adapters import health
from cockpit.adapters.httpbase import async_client
from cockpit.lab.control import apply_fault, serve_control
from cockpit.lab.faults import Faults
from cockpit.lab.services import Endpoint, serve


@pytest.fixture
def immich():
    faults = Faults()
    endpoint = Endpoint("immich", "v2", ("immich.home.arpa",), "/api/server/ping")
    for _ in range(20):  # a lab in another test may hold this port on the v3 address: try another
        v2 = serve(endpoint, "127.20.0.11", 0, faults)
        try:
            v3 = serve(
                Endpoint("immich", "v3", endpoint.hostnames, endpoint.health_path),
                "127.30.0.10",
                v2.port,
                faults,
            )
            break
        except OSError:
            v2.stop()
    yield faults, v2.port
    v2.stop()
    v3.stop()


def check(
    address, port, hostname="immich.home.arpa", path="/api/server/ping", expect=(200, 299), timeout=5.0
):
    async def run():
        async with async_client("test") as http:
            return await health.check(
                http,
                scheme="http",
                address=address,
                port=port,
                path=path,
                hostname=hostname,
                expect=expect,
                timeout=timeout,
            )

    return asyncio.run(run())


def test_each_side_answers_with_who_it_is_when_asked_with_the_right_host(immich):
    _, port = immich
    v2, v3 = check("127.20.0.11", port), check("127.30.0.10", port)
    assert v2.ok and '"side": "v2"' in v2.body_excerpt
    assert v3.ok and '"side": "v3"' in v3.body_excerpt
    assert v3.host_header == "immich.home.arpa" and v3.url == f"http://127.30.0.10:{port}/api/server/ping"


def test_a_wrong_host_header_gets_the_proxy_404(immich):
    _, port = immich
    result = check("127.30.0.10", port, hostname="grafana.home.arpa")
    assert result.status == 404 and not result.ok


def test_v3_down_makes_only_v3_unhealthy(immich):
    faults, port = immich
    apply_fault(faults, "v3-down", "immich")
    assert check("127.30.0.10", port).status == 503
    assert check("127.20.0.11", port).ok
    apply_fault(faults, "v3-up", "immich")
    assert check("127.30.0.10", port).ok


def test_latency_errors_and_down_faults(immich):
    faults, port = immich
    apply_fault(faults, "latency", "services", 150)
    started = time.monotonic()
    assert check("127.30.0.10", port).ok
    assert time.monotonic() - started >= 0.15
    apply_fault(faults, "clear")
    apply_fault(faults, "errors", "services", 2)
    assert [check("127.30.0.10", port).status for _ in range(3)] == [500, 500, 200]
    apply_fault(faults, "down", "services")
    down = check("127.30.0.10", port)
    assert down.status is None and not down.ok and "cannot connect" in (down.error or "")


def test_a_slow_endpoint_is_a_timeout_not_a_hang(immich):
    faults, port = immich
    faults.set_latency("services", 1500)
    result = check("127.30.0.10", port, timeout=0.3)
    assert result.status is None and "no answer within the timeout" in (result.error or "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nonsense", "x"), "unknown fault 'nonsense'"),
        (("latency", "adguard"), "this fault needs milliseconds"),
        (("latency", "dnsmasq", 5), "unknown backend 'dnsmasq'"),
        (("dns-down", "unbound"), "unknown DNS server 'unbound'"),
        (("ups", "melting"), "unknown UPS state 'melting'"),
        (("down",), "'down' needs a target"),
    ],
)
def test_bad_faults_are_refused_with_a_reason(args, message):
    with pytest.raises(ValueError, match=message):
        apply_fault(Faults(), *args)


def test_the_control_endpoint_needs_its_token():
    faults = Faults()
    server = serve_control(faults, "s3cret-token")
    url = f"http://127.0.0.1:{server.port}/faults"
    try:
        assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
        good = {"Authorization": "Bearer s3cret-token"}
        answer = httpx.post(url, json={"action": "dns-down", "target": "pihole"}, headers=good)
        assert answer.status_code == 200 and answer.json()["dns_down"] == ["pihole"]
        assert faults.dns_down("pihole")
        bad = httpx.post(url, json={"action": "ups", "target": "melting"}, headers=good)
        assert bad.status_code == 400 and "unknown UPS state" in bad.json()["error"]
    finally:
        server.stop()


def test_two_requests_on_one_keep_alive_connection_each_get_their_own_body():
    faults = Faults()
    server = serve_control(faults, "t0ken-value")
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{server.port}", headers={"Authorization": "Bearer t0ken-value"}
        ) as http:
            http.post("/faults", json={"action": "dns-down", "target": "pihole"})
            second = http.post("/faults", json={"action": "v3-down", "target": "immich"})
        assert second.json()["v3_down"] == ["immich"] and second.json()["dns_down"] == ["pihole"]
    finally:
        server.stop()
