"""AdGuard Home: the simulator speaks the real server's protocol, and the adapter survives all of it.

Everything runs over real loopback sockets on ephemeral ports: the simulator's HTTP API and DNS
server, the adapter, dnspython, `dig`, and frenck's `adguardhome` client (1.0.0, unchanged). The
simulators are started once per module and reset before each test, so the file stays fast.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import httpx
import pytest

from cockpit.adapters.adguard import (
    AdGuardClient,
    Rewrite,
    UpdateOutcome,
    parse_version,
    version_supports_update,
)
from cockpit.adapters.errors import (
    AuthFailed,
    BadRequest,
    Conflict,
    MalformedResponse,
    NotFound,
    ServerError,
    Timeout,
    Unreachable,
    Unsupported,
)
from cockpit.lab.adguard import AdGuardSim, SimRewrite
from cockpit.lab.faults import Faults
from cockpit.netguard import GuardRefused

USER = "admin"
PASSWORD = "adguard-lab-password"
AUTH = (USER, PASSWORD)


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def require(module: str, why: str) -> ModuleType:
    """Import a test-only dependency: skipped with a reason locally, a failure in CI."""
    if in_ci():
        return importlib.import_module(module)
    return pytest.importorskip(
        module, reason=f"{module} is not installed ({why}); CI=true makes this a failure"
    )


# -- fixtures ----------------------------------------------------------------------------------------


def _started(version: str) -> Iterator[AdGuardSim]:
    sim = AdGuardSim(Faults(), version=version)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def _current_sim() -> Iterator[AdGuardSim]:
    yield from _started("v0.107.79")


@pytest.fixture(scope="module")
def _legacy_sim() -> Iterator[AdGuardSim]:
    yield from _started("v0.107.32")


def _fresh(sim: AdGuardSim) -> AdGuardSim:
    sim.reset()
    sim.faults.clear()
    return sim


@pytest.fixture
def sim(_current_sim: AdGuardSim) -> AdGuardSim:
    """The current release (v0.107.79), empty, no faults, no sessions, no blocked address."""
    return _fresh(_current_sim)


@pytest.fixture
def legacy(_legacy_sim: AdGuardSim) -> AdGuardSim:
    """A release before the atomic update endpoint (v0.107.32)."""
    return _fresh(_legacy_sim)


@pytest.fixture
def raw(sim: AdGuardSim) -> Iterator[httpx.Client]:
    """A plain HTTP client, for what the simulator answers byte for byte."""
    with httpx.Client(base_url=sim.url, timeout=5) as http:
        yield http


@pytest.fixture
def adguard(sim: AdGuardSim) -> Iterator[AdGuardClient]:
    with AdGuardClient(sim.url, USER, PASSWORD) as client:
        yield client


@pytest.fixture
def old_adguard(legacy: AdGuardSim) -> Iterator[AdGuardClient]:
    with AdGuardClient(legacy.url, USER, PASSWORD) as client:
        yield client


class Recording(httpx.BaseTransport):
    """Records every request; forwards to `inner`, or fails if a request was not supposed to leave."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.inner is None:
            raise AssertionError(f"no request may be sent, but {request.method} {request.url} was")
        return self.inner.handle_request(request)


class CharsetAppendingProxy(httpx.HTTPTransport):
    """A reverse proxy that 'helpfully' adds a charset to the content type: AdGuard Home refuses that."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if "Content-Type" in request.headers:
            request.headers["Content-Type"] = "application/json; charset=utf-8"
        return super().handle_request(request)


def mocked(handler: Callable[[httpx.Request], httpx.Response]) -> AdGuardClient:
    return AdGuardClient("http://127.0.0.1:3000", USER, PASSWORD, transport=httpx.MockTransport(handler))


STATUS_BODY = {
    "version": "v0.107.79",
    "language": "en",
    "dns_addresses": ["127.0.0.1"],
    "dns_port": 53,
    "http_port": 3000,
    "protection_disabled_duration": 0,
    "protection_enabled": True,
    "dhcp_available": False,
    "running": True,
}


def query(sim: AdGuardSim, name: str, rdtype: str = "A", *, tcp: bool = False) -> dns.message.Message:
    message = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(message, sim.host, port=sim.dns_port, timeout=2)


def answers(response: dns.message.Message) -> list[tuple[str, str, int, str]]:
    """(owner, type, ttl, value) of every answer record, in order."""
    return [
        (rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype), rrset.ttl, rdata.to_text())
        for rrset in response.answer
        for rdata in rrset
    ]


# == the simulator, byte for byte ========================================================================


def test_a_call_without_credentials_is_a_bare_401(raw: httpx.Client) -> None:
    response = raw.get("/control/status")
    assert response.status_code == 401
    assert response.content == b""
    assert "WWW-Authenticate" not in response.headers


def test_wrong_basic_credentials_get_the_same_bare_401(raw: httpx.Client) -> None:
    response = raw.get("/control/rewrite/list", auth=(USER, "wrong"))
    assert (response.status_code, response.content) == (401, b"")


def test_login_sets_a_session_cookie_that_alone_authenticates(raw: httpx.Client) -> None:
    response = raw.post("/control/login", json={"name": USER, "password": PASSWORD})
    assert (response.status_code, response.text) == (200, "OK\n")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("agh_session=") and "Path=/" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert raw.get("/control/status").status_code == 200  # the client sends the cookie back


def test_a_stale_cookie_is_refused_even_next_to_good_basic_credentials(raw: httpx.Client) -> None:
    raw.cookies.set("agh_session", "00" * 16)
    response = raw.get("/control/status", auth=AUTH)
    assert (response.status_code, response.content) == (401, b"")


def test_logout_ends_the_session_and_points_to_the_login_page(raw: httpx.Client) -> None:
    raw.post("/control/login", json={"name": USER, "password": PASSWORD})
    session = raw.cookies["agh_session"]
    response = raw.get("/control/logout")
    assert (response.status_code, response.headers["Location"]) == (302, "/login.html")
    raw.cookies.clear()
    raw.cookies.set("agh_session", session)
    assert raw.get("/control/status").status_code == 401


def test_a_wrong_login_is_403_in_plain_text(raw: httpx.Client) -> None:
    response = raw.post("/control/login", json={"name": USER, "password": "wrong"})
    assert (response.status_code, response.text) == (403, "invalid username or password\n")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_too_many_failed_logins_block_the_address_with_429_and_retry_after(raw: httpx.Client) -> None:
    for _ in range(5):
        assert raw.post("/control/login", json={"name": USER, "password": "wrong"}).status_code == 403
    blocked = raw.post("/control/login", json={"name": USER, "password": PASSWORD})
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 900
    assert blocked.text.startswith("auth: blocked for ") and blocked.text.endswith("s\n")
    # Basic auth from a blocked address cannot tell the client: the usual bare 401.
    assert raw.get("/control/status", auth=AUTH).status_code == 401


def test_failed_basic_attempts_count_toward_the_login_limit(raw: httpx.Client) -> None:
    for _ in range(5):
        assert raw.get("/control/status", auth=(USER, "wrong")).status_code == 401
    assert raw.post("/control/login", json={"name": USER, "password": PASSWORD}).status_code == 429


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/control/rewrite/add", "POST"),
        ("POST", "/control/rewrite/update", "PUT"),
        ("POST", "/control/status", "GET"),
        ("GET", "/control/login", "POST"),
    ],
)
def test_a_wrong_method_is_405_naming_the_right_one(
    raw: httpx.Client, method: str, path: str, allowed: str
) -> None:
    response = raw.request(method, path, auth=AUTH)
    assert (response.status_code, response.text) == (405, f"only method {allowed} is allowed\n")


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "text/plain", "APPLICATION/JSON", None]
)
def test_a_body_needs_content_type_exactly_application_json(
    raw: httpx.Client, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = b'{"domain":"nas.lan","answer":"192.168.1.10"}'
    response = raw.post("/control/rewrite/add", auth=AUTH, content=body, headers=headers)
    assert (response.status_code, response.text) == (415, "only content-type application/json is allowed\n")


def test_an_empty_body_must_come_without_a_content_type(raw: httpx.Client) -> None:
    refused = raw.post("/control/cache_clear", auth=AUTH, headers={"Content-Type": "application/json"})
    assert (refused.status_code, refused.text) == (
        415,
        'empty body with content-type "application/json" not allowed\n',
    )
    cleared = raw.post("/control/cache_clear", auth=AUTH)
    assert (cleared.status_code, cleared.content) == (200, b"")


def test_an_unknown_path_is_404_page_not_found_but_only_after_auth(raw: httpx.Client) -> None:
    assert raw.get("/control/nope").status_code == 401
    response = raw.get("/control/nope", auth=AUTH)
    assert (response.status_code, response.text) == (404, "404 page not found\n")


def test_status_is_compact_json_ending_in_a_newline(raw: httpx.Client, sim: AdGuardSim) -> None:
    response = raw.get("/control/status", auth=AUTH)
    assert response.headers["Content-Type"] == "application/json"
    assert response.text.endswith("}\n") and ", " not in response.text
    status = response.json()
    assert status["version"] == "v0.107.79" and status["running"] is True
    assert status["dns_port"] == sim.dns_port and status["dns_addresses"] == [sim.dns_address]
    assert status["http_port"] == sim.api_port and status["language"] == "en"


def test_add_lowercases_the_domain_and_stores_duplicates(raw: httpx.Client, sim: AdGuardSim) -> None:
    for _ in range(2):
        response = raw.post(
            "/control/rewrite/add", auth=AUTH, json={"domain": "NAS.Lan", "answer": "192.168.1.10"}
        )
        assert (response.status_code, response.content) == (200, b"")
    assert sim.rewrites() == [SimRewrite("nas.lan", "192.168.1.10")] * 2
    entry = '{"domain":"nas.lan","answer":"192.168.1.10","enabled":true}'
    assert raw.get("/control/rewrite/list", auth=AUTH).text == f"[{entry},{entry}]\n"


@pytest.mark.parametrize("answer", ["192.168.1.10", "fd00::10", "A", "AAAA", "nas.lan", "NAS-01.home.arpa"])
def test_add_accepts_addresses_the_type_exceptions_and_hostnames(raw: httpx.Client, answer: str) -> None:
    response = raw.post("/control/rewrite/add", auth=AUTH, json={"domain": "x.lan", "answer": answer})
    assert response.status_code == 200


@pytest.mark.parametrize("answer", ["bad name", "nas..lan", "-nas.lan", "nas.lan.", "", "http://nas.lan"])
def test_add_refuses_an_answer_that_is_no_address_and_no_hostname(raw: httpx.Client, answer: str) -> None:
    response = raw.post("/control/rewrite/add", auth=AUTH, json={"domain": "x.lan", "answer": answer})
    assert response.status_code == 400
    assert response.text.startswith(
        f'normalizing: invalid CNAME target "{answer}": '
    ) and response.text.endswith("\n")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b" ", "json.Decode: EOF\n"),
        (b"{bad", "json.Decode: invalid character 'b' looking for beginning of value\n"),
        (b'{"domain":', "json.Decode: unexpected EOF\n"),
        (
            b'{"domain": 5, "answer": "1.2.3.4"}',
            "json.Decode: json: cannot unmarshal number into Go struct field rewriteEntryJSON.domain of type string\n",
        ),
        (
            b"[]",
            "json.Decode: json: cannot unmarshal array into Go value of type filtering.rewriteEntryJSON\n",
        ),
    ],
)
def test_bad_json_is_400_with_gos_decoder_message(raw: httpx.Client, body: bytes, message: str) -> None:
    headers = {"Content-Type": "application/json"}
    response = raw.post("/control/rewrite/add", auth=AUTH, content=body, headers=headers)
    assert (response.status_code, response.text) == (400, message)


def test_delete_removes_every_exact_match_and_a_miss_is_still_200(raw: httpx.Client, sim: AdGuardSim) -> None:
    for answer in ("192.168.1.10", "192.168.1.10", "192.168.1.11"):
        sim.add_rewrite("nas.lan", answer)
    hit = raw.post("/control/rewrite/delete", auth=AUTH, json={"domain": "nas.lan", "answer": "192.168.1.10"})
    assert hit.status_code == 200
    assert sim.rewrites() == [SimRewrite("nas.lan", "192.168.1.11")]
    # The domain is compared as sent: uppercase matches nothing, and that is still a 200.
    miss = raw.post(
        "/control/rewrite/delete", auth=AUTH, json={"domain": "NAS.lan", "answer": "192.168.1.11"}
    )
    assert (miss.status_code, miss.content) == (200, b"")
    assert sim.rewrites() == [SimRewrite("nas.lan", "192.168.1.11")]


def test_update_replaces_in_place_and_keeps_enabled_when_left_out(raw: httpx.Client, sim: AdGuardSim) -> None:
    sim.add_rewrite("a.lan", "192.168.1.1")
    sim.add_rewrite("nas.lan", "192.168.1.10", enabled=False)
    sim.add_rewrite("z.lan", "192.168.1.26")
    body: dict[str, dict[str, Any]] = {
        "target": {"domain": "nas.lan", "answer": "192.168.1.10"},
        "update": {"domain": "nas.lan", "answer": "192.168.1.20"},
    }
    response = raw.put("/control/rewrite/update", auth=AUTH, json=body)
    assert (response.status_code, response.content) == (200, b"")
    assert sim.rewrites()[1] == SimRewrite("nas.lan", "192.168.1.20", enabled=False)
    body = {"target": body["update"], "update": {**body["update"], "enabled": True}}
    assert raw.put("/control/rewrite/update", auth=AUTH, json=body).status_code == 200
    assert [r.domain for r in sim.rewrites()] == ["a.lan", "nas.lan", "z.lan"]
    assert sim.rewrites()[1].enabled is True


def test_update_of_a_missing_target_is_400_target_rule_not_found(raw: httpx.Client) -> None:
    body = {
        "target": {"domain": "x.lan", "answer": "1.1.1.1"},
        "update": {"domain": "x.lan", "answer": "2.2.2.2"},
    }
    response = raw.put("/control/rewrite/update", auth=AUTH, json=body)
    assert (response.status_code, response.text) == (400, "target rule not found\n")


def test_rewrite_settings_switch_every_rewrite_off_and_on(raw: httpx.Client, sim: AdGuardSim) -> None:
    sim.add_rewrite("nas.lan", "192.168.1.10")
    assert raw.get("/control/rewrite/settings", auth=AUTH).text == '{"enabled":true}\n'
    assert raw.put("/control/rewrite/settings/update", auth=AUTH, json={}).status_code == 200  # {} means off
    assert raw.get("/control/rewrite/settings", auth=AUTH).json() == {"enabled": False}
    assert query(sim, "nas.lan").rcode() == dns.rcode.NXDOMAIN
    assert raw.put("/control/rewrite/settings/update", auth=AUTH, json={"enabled": True}).status_code == 200
    assert answers(query(sim, "nas.lan")) == [("nas.lan.", "A", 10, "192.168.1.10")]


def test_an_injected_fault_is_a_plain_text_500(raw: httpx.Client, sim: AdGuardSim) -> None:
    sim.faults.set_errors("adguard", 1)
    response = raw.get("/control/status", auth=AUTH)
    assert (response.status_code, response.text) == (500, "injected fault\n")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert raw.get("/control/status", auth=AUTH).status_code == 200


def test_before_v0_107_33_there_is_no_update_path_and_no_enabled_flag(legacy: AdGuardSim) -> None:
    legacy.add_rewrite("nas.lan", "192.168.1.10")
    with httpx.Client(base_url=legacy.url, auth=AUTH) as http:
        assert http.get("/control/status").json()["version"] == "v0.107.32"
        body = {"target": {"domain": "nas.lan", "answer": "192.168.1.10"}, "update": {"domain": "nas.lan"}}
        response = http.put("/control/rewrite/update", json=body)
        assert (response.status_code, response.text) == (404, "404 page not found\n")
        assert http.get("/control/rewrite/settings").status_code == 404
        assert http.get("/control/rewrite/list").text == '[{"domain":"nas.lan","answer":"192.168.1.10"}]\n'
    assert legacy.rewrites() == [SimRewrite("nas.lan", "192.168.1.10")]
    with pytest.raises(ValueError, match="v0.107.68"):
        legacy.add_rewrite("off.lan", "192.168.1.11", enabled=False)


# == the adapter =========================================================================================


def test_status_reports_the_version_and_where_dns_listens(adguard: AdGuardClient, sim: AdGuardSim) -> None:
    status = adguard.status()
    assert (status.version, status.running, status.protection_enabled) == ("v0.107.79", True, True)
    assert status.dns_port == sim.dns_port and status.dns_addresses == [sim.dns_address]


@pytest.mark.parametrize(
    ("version", "parsed", "supported"),
    [
        ("v0.107.79", (0, 107, 79), True),
        ("v0.107.33", (0, 107, 33), True),
        ("v0.107.32", (0, 107, 32), False),
        ("v0.106.3", (0, 106, 3), False),
        ("0.108.0-b.5", (0, 108, 0), True),
        ("v0.108.0-a.1016+7b4d3e3e", (0, 108, 0), True),
        ("dev", None, True),
        ("", None, True),
    ],
)
def test_supports_update_reads_the_version_and_trusts_unknown_ones(
    version: str, parsed: tuple[int, int, int] | None, supported: bool
) -> None:
    assert parse_version(version) == parsed
    assert version_supports_update(version) is supported


def test_supports_update_asks_the_server(adguard: AdGuardClient, old_adguard: AdGuardClient) -> None:
    assert adguard.supports_update is True
    assert old_adguard.supports_update is False


def test_add_list_delete_with_duplicates_and_a_missing_delete(
    adguard: AdGuardClient, sim: AdGuardSim
) -> None:
    adguard.add_rewrite("Nas.Lan", "192.168.1.10")
    adguard.add_rewrite("nas.lan", "192.168.1.10")  # accepted: the server has no duplicate check
    assert adguard.list_rewrites() == [Rewrite(domain="nas.lan", answer="192.168.1.10")] * 2
    adguard.delete_rewrite("NAS.lan", "192.168.1.10")  # lowercased for the server, which compares as sent
    assert adguard.list_rewrites() == []
    adguard.delete_rewrite("nas.lan", "192.168.1.10")  # nothing there: still a success


def test_update_is_a_compare_and_swap_in_place(adguard: AdGuardClient, sim: AdGuardSim) -> None:
    sim.add_rewrite("immich.home.arpa", "127.20.0.11")
    sim.add_rewrite("other.home.arpa", "127.20.0.12")
    target = adguard.list_rewrites()[0]
    outcome = adguard.update_rewrite(target, Rewrite(domain="immich.home.arpa", answer="127.30.0.10"))
    assert outcome == UpdateOutcome(atomic=True, note="replaced in place by PUT /control/rewrite/update")
    assert [r.answer for r in adguard.list_rewrites()] == ["127.30.0.10", "127.20.0.12"]
    assert answers(query(sim, "immich.home.arpa")) == [("immich.home.arpa.", "A", 10, "127.30.0.10")]


def test_update_of_an_entry_changed_under_us_is_a_conflict(adguard: AdGuardClient, sim: AdGuardSim) -> None:
    sim.add_rewrite("immich.home.arpa", "127.20.0.11")
    stale = adguard.list_rewrites()[0]
    with AdGuardClient(sim.url, USER, PASSWORD) as someone_else:
        someone_else.update_rewrite(stale, Rewrite(domain="immich.home.arpa", answer="127.20.0.99"))
    with pytest.raises(Conflict, match="target rule not found") as caught:
        adguard.update_rewrite(stale, Rewrite(domain="immich.home.arpa", answer="127.30.0.10"))
    assert caught.value.status == 400
    assert sim.rewrites() == [SimRewrite("immich.home.arpa", "127.20.0.99")]


def test_update_keeps_a_disabled_entry_disabled_unless_told(adguard: AdGuardClient, sim: AdGuardSim) -> None:
    sim.add_rewrite("nas.lan", "192.168.1.10", enabled=False)
    target = adguard.list_rewrites()[0]
    assert target.enabled is False
    adguard.update_rewrite(target, Rewrite(domain="nas.lan", answer="192.168.1.20"))
    assert sim.rewrites() == [SimRewrite("nas.lan", "192.168.1.20", enabled=False)]
    adguard.update_rewrite(
        Rewrite(domain="nas.lan", answer="192.168.1.20"),
        Rewrite(domain="nas.lan", answer="192.168.1.20", enabled=True),
    )
    assert sim.rewrites() == [SimRewrite("nas.lan", "192.168.1.20", enabled=True)]


def test_an_old_server_gets_add_then_delete_and_the_outcome_says_so(
    old_adguard: AdGuardClient, legacy: AdGuardSim
) -> None:
    legacy.add_rewrite("immich.home.arpa", "127.20.0.11")
    legacy.add_rewrite("other.home.arpa", "127.20.0.12")
    target = old_adguard.list_rewrites()[0]
    outcome = old_adguard.update_rewrite(target, Rewrite(domain="immich.home.arpa", answer="127.30.0.10"))
    assert outcome.atomic is False
    assert "not atomic" in outcome.note and "v0.107.32" in outcome.note
    assert legacy.rewrites() == [
        SimRewrite("other.home.arpa", "127.20.0.12"),
        SimRewrite("immich.home.arpa", "127.30.0.10"),
    ]
    assert answers(query(legacy, "immich.home.arpa")) == [("immich.home.arpa.", "A", 10, "127.30.0.10")]


def test_an_old_server_still_refuses_a_stale_target(old_adguard: AdGuardClient, legacy: AdGuardSim) -> None:
    legacy.add_rewrite("immich.home.arpa", "127.20.0.99")
    stale = Rewrite(domain="immich.home.arpa", answer="127.20.0.11")
    with pytest.raises(Conflict, match="changed under us"):
        old_adguard.update_rewrite(stale, Rewrite(domain="immich.home.arpa", answer="127.30.0.10"))
    assert legacy.rewrites() == [SimRewrite("immich.home.arpa", "127.20.0.99")]


def test_an_old_server_cannot_disable_a_rewrite(old_adguard: AdGuardClient, legacy: AdGuardSim) -> None:
    legacy.add_rewrite("nas.lan", "192.168.1.10")
    target = Rewrite(domain="nas.lan", answer="192.168.1.10")
    with pytest.raises(Unsupported, match="v0.107.68"):
        old_adguard.update_rewrite(target, Rewrite(domain="nas.lan", answer="192.168.1.10", enabled=False))
    assert legacy.rewrites() == [SimRewrite("nas.lan", "192.168.1.10")]


def test_a_missing_update_endpoint_on_a_new_version_is_unsupported_not_a_fallback() -> None:
    sent: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url.path}")
        if request.url.path == "/control/status":
            return httpx.Response(200, json=STATUS_BODY)
        return httpx.Response(404, text="404 page not found\n")

    with mocked(server) as client, pytest.raises(Unsupported, match="has no PUT /control/rewrite/update"):
        client.update_rewrite(
            Rewrite(domain="a.lan", answer="1.1.1.1"), Rewrite(domain="a.lan", answer="2.2.2.2")
        )
    assert sent == ["GET /control/status", "PUT /control/rewrite/update"]  # no add, no delete


def test_a_wrong_password_is_auth_failed_and_never_shows_the_password(sim: AdGuardSim) -> None:
    secret = "not-the-password-but-secret"
    with AdGuardClient(sim.url, USER, secret) as client, pytest.raises(AuthFailed) as caught:
        client.list_rewrites()
    assert caught.value.status == 401 and "credentials refused" in str(caught.value)
    assert secret not in str(caught.value) and secret not in repr(client)


def test_login_tells_a_wrong_password_403_from_a_blocked_address_429(sim: AdGuardSim) -> None:
    with AdGuardClient(sim.url, USER, "wrong-password") as client:
        with pytest.raises(AuthFailed, match="invalid username or password") as wrong:
            client.login()
        assert wrong.value.status == 403
        for _ in range(4):
            with pytest.raises(AuthFailed):
                client.login()
        with pytest.raises(AuthFailed, match=r"too many failed logins, retry after \d+ s") as blocked:
            client.login()
        assert blocked.value.status == 429


def test_login_with_good_credentials_keeps_using_basic_auth(adguard: AdGuardClient) -> None:
    adguard.login()
    adguard.add_rewrite("nas.lan", "192.168.1.10")
    assert len(adguard.list_rewrites()) == 1


def test_a_refused_answer_is_bad_request_with_the_servers_message(adguard: AdGuardClient) -> None:
    with pytest.raises(BadRequest, match='normalizing: invalid CNAME target "bad name"') as caught:
        adguard.add_rewrite("x.lan", "bad name")
    assert caught.value.status == 400


def test_a_proxy_that_changes_the_content_type_gets_a_415_bad_request(sim: AdGuardSim) -> None:
    with AdGuardClient(sim.url, USER, PASSWORD, transport=CharsetAppendingProxy()) as client:
        assert client.list_rewrites() == []  # a GET has no body and no content type
        with pytest.raises(
            BadRequest, match=r"content type refused \(415\): only content-type application/json"
        ):
            client.add_rewrite("nas.lan", "192.168.1.10")


def test_the_adapter_sends_content_type_exactly_application_json(sim: AdGuardSim) -> None:
    recorder = Recording(httpx.HTTPTransport())
    with AdGuardClient(sim.url, USER, PASSWORD, transport=recorder) as client:
        client.add_rewrite("nas.lan", "192.168.1.10")
        client.update_rewrite(
            Rewrite(domain="nas.lan", answer="192.168.1.10"), Rewrite(domain="nas.lan", answer="192.168.1.20")
        )
        client.delete_rewrite("nas.lan", "192.168.1.20")
        client.list_rewrites()
    writes = [r for r in recorder.requests if r.method in ("POST", "PUT")]
    assert len(writes) == 3 and all(r.headers["Content-Type"] == "application/json" for r in writes)
    reads = [r for r in recorder.requests if r.method == "GET"]
    assert reads and all("Content-Type" not in r.headers for r in reads)


def test_a_base_url_that_is_no_adguard_home_is_not_found() -> None:
    answer = httpx.Response(404, text="404 page not found\n")
    with (
        mocked(lambda request: answer) as client,
        pytest.raises(NotFound, match="404 page not found") as caught,
    ):
        client.list_rewrites()
    assert caught.value.status == 404


def test_server_errors_then_success(adguard: AdGuardClient, sim: AdGuardSim) -> None:
    sim.faults.set_errors("adguard", 2)
    for _ in range(2):
        with pytest.raises(ServerError, match="injected fault") as caught:
            adguard.list_rewrites()
        assert caught.value.status == 500
    assert adguard.list_rewrites() == []


def test_latency_is_observed_and_a_short_timeout_is_a_timeout(
    adguard: AdGuardClient, sim: AdGuardSim
) -> None:
    sim.faults.set_latency("adguard", 300)
    started = time.perf_counter()
    adguard.status()
    assert time.perf_counter() - started >= 0.3
    with AdGuardClient(sim.url, USER, PASSWORD, timeout=0.1) as hasty, pytest.raises(Timeout):
        hasty.status()


def test_a_down_backend_is_unreachable(adguard: AdGuardClient, sim: AdGuardSim) -> None:
    sim.faults.set_down("adguard")
    with pytest.raises(Unreachable):
        adguard.status()
    sim.faults.set_down("adguard", False)
    assert adguard.status().running


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = AdGuardClient(f"http://127.0.0.1:{port}", USER, PASSWORD, timeout=1)
    with client, pytest.raises(Unreachable):
        client.status()


MALFORMED = {
    "status as an HTML login page": (
        "GET /control/status",
        httpx.Response(200, text="<html>login</html>", headers={"Content-Type": "text/html"}),
    ),
    "status that is no JSON": (
        "GET /control/status",
        httpx.Response(200, text="{", headers={"Content-Type": "application/json"}),
    ),
    "status without a version": (
        "GET /control/status",
        httpx.Response(200, json={**STATUS_BODY, "version": None}),
    ),
    "status with running as a string": (
        "GET /control/status",
        httpx.Response(200, json={**STATUS_BODY, "running": "yes"}),
    ),
    "rewrites as an object": ("GET /control/rewrite/list", httpx.Response(200, json={"rewrites": []})),
    "a rewrite without an answer": (
        "GET /control/rewrite/list",
        httpx.Response(200, json=[{"domain": "a.lan"}]),
    ),
    "a rewrite with enabled as 1": (
        "GET /control/rewrite/list",
        httpx.Response(200, json=[{"domain": "a.lan", "answer": "1.1.1.1", "enabled": 1}]),
    ),
    "a write answered with a page": (
        "POST /control/rewrite/add",
        httpx.Response(200, text="<html>proxy</html>"),
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_answer_is_never_a_success(case: str) -> None:
    expected, reply = MALFORMED[case]

    def server(request: httpx.Request) -> httpx.Response:
        assert f"{request.method} {request.url.path}" == expected
        return reply

    call: dict[str, Callable[[AdGuardClient], Any]] = {
        "GET /control/status": lambda c: c.status(),
        "GET /control/rewrite/list": lambda c: c.list_rewrites(),
        "POST /control/rewrite/add": lambda c: c.add_rewrite("a.lan", "1.1.1.1"),
    }
    with mocked(server) as client, pytest.raises(MalformedResponse):
        call[expected](client)


def test_a_null_rewrite_list_is_empty() -> None:
    null = httpx.Response(200, content=b"null\n", headers={"Content-Type": "application/json"})
    with mocked(lambda request: null) as client:
        assert client.list_rewrites() == []


def test_a_redirect_is_not_followed() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"Location": "https://127.0.0.1:443/control/status"})

    with mocked(server) as client, pytest.raises(BadRequest, match="redirected .* https://127.0.0.1:443"):
        client.status()


@pytest.mark.parametrize("url", ["http://192.168.10.53", "http://adguard.lan:3000", "https://[fd00::53]"])
def test_the_loopback_guard_refuses_before_any_connection(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("COCKPIT_LOOPBACK_ONLY", "1")
    recorder = Recording()
    with pytest.raises(GuardRefused, match="loopback guard"):
        AdGuardClient(url, USER, PASSWORD, transport=recorder)
    assert recorder.requests == []


def test_the_loopback_guard_lets_the_lab_through(monkeypatch: pytest.MonkeyPatch, sim: AdGuardSim) -> None:
    monkeypatch.setenv("COCKPIT_LOOPBACK_ONLY", "1")
    with AdGuardClient(sim.url, USER, PASSWORD) as client:
        assert client.status().running


def test_the_password_never_reaches_a_log_line(caplog: pytest.LogCaptureFixture, sim: AdGuardSim) -> None:
    caplog.set_level(logging.DEBUG)
    with AdGuardClient(sim.url, USER, PASSWORD) as client:
        client.login()
        client.add_rewrite("nas.lan", "192.168.1.10")
        client.list_rewrites()
    with AdGuardClient(sim.url, USER, "wrong-and-secret") as client, pytest.raises(AuthFailed):
        client.login()
    assert caplog.records  # something was logged, and none of it holds a password
    for secret in (PASSWORD, "wrong-and-secret", "YWRtaW46YWRndWFyZC1sYWItcGFzc3dvcmQ="):
        assert secret not in caplog.text


# == DNS ===================================================================================================


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_a_rewrite_answers_with_ttl_10(sim: AdGuardSim, tcp: bool) -> None:
    sim.add_rewrite("immich.home.arpa", "127.20.0.11")
    response = query(sim, "immich.home.arpa", tcp=tcp)
    assert response.rcode() == dns.rcode.NOERROR
    assert answers(response) == [("immich.home.arpa.", "A", 10, "127.20.0.11")]


def test_a_name_is_matched_case_insensitively(sim: AdGuardSim) -> None:
    sim.add_rewrite("Immich.Home.Arpa", "127.20.0.11")
    (owner, *record), *more = answers(query(sim, "IMMICH.home.arpa"))
    assert (owner.lower(), record, more) == ("immich.home.arpa.", ["A", 10, "127.20.0.11"], [])


def test_several_rewrites_give_several_records(sim: AdGuardSim) -> None:
    sim.add_rewrite("nas.lan", "192.168.1.10")
    sim.add_rewrite("nas.lan", "192.168.1.11")
    sim.add_rewrite("nas.lan", "fd00::10")
    assert sorted(a[3] for a in answers(query(sim, "nas.lan"))) == ["192.168.1.10", "192.168.1.11"]
    assert answers(query(sim, "nas.lan", "AAAA")) == [("nas.lan.", "AAAA", 10, "fd00::10")]


def test_aaaa_for_a_name_with_only_an_a_rewrite_is_noerror_without_data(sim: AdGuardSim) -> None:
    sim.add_rewrite("nas.lan", "192.168.1.10")
    response = query(sim, "nas.lan", "AAAA")
    assert (response.rcode(), response.answer) == (dns.rcode.NOERROR, [])


def test_a_cname_rewrite_answers_the_cname_and_the_targets_records(sim: AdGuardSim) -> None:
    sim.add_rewrite("photos.lan", "immich.lan")
    sim.add_rewrite("immich.lan", "nas.lan")
    sim.add_rewrite("nas.lan", "192.168.1.10")
    # The real server answers one CNAME, from the name asked to the end of the chain.
    assert answers(query(sim, "photos.lan")) == [
        ("photos.lan.", "CNAME", 10, "nas.lan."),
        ("nas.lan.", "A", 10, "192.168.1.10"),
    ]


def test_a_cname_to_a_name_without_a_rewrite_is_nxdomain_in_the_lab(sim: AdGuardSim) -> None:
    sim.add_rewrite("photos.lan", "elsewhere.example")  # the real server would ask its upstream
    assert query(sim, "photos.lan").rcode() == dns.rcode.NXDOMAIN


def test_an_exact_name_beats_a_wildcard_which_never_matches_its_apex(sim: AdGuardSim) -> None:
    sim.add_rewrite("*.svc.lan", "127.30.0.60")
    sim.add_rewrite("grafana.svc.lan", "127.30.0.61")
    assert answers(query(sim, "grafana.svc.lan")) == [("grafana.svc.lan.", "A", 10, "127.30.0.61")]
    assert answers(query(sim, "loki.svc.lan")) == [("loki.svc.lan.", "A", 10, "127.30.0.60")]
    assert answers(query(sim, "a.b.svc.lan")) == [("a.b.svc.lan.", "A", 10, "127.30.0.60")]
    assert query(sim, "svc.lan").rcode() == dns.rcode.NXDOMAIN


def test_the_more_specific_wildcard_wins(sim: AdGuardSim) -> None:
    sim.add_rewrite("*.lan", "127.0.0.1")
    sim.add_rewrite("*.svc.lan", "127.30.0.60")
    assert answers(query(sim, "x.svc.lan")) == [("x.svc.lan.", "A", 10, "127.30.0.60")]


def test_disabled_entries_and_disabled_rewrites_are_ignored(sim: AdGuardSim) -> None:
    sim.add_rewrite("nas.lan", "192.168.1.10", enabled=False)
    sim.add_rewrite("nas.lan", "192.168.1.11")
    assert answers(query(sim, "nas.lan")) == [("nas.lan.", "A", 10, "192.168.1.11")]
    sim.set_rewrites_enabled(False)
    assert query(sim, "nas.lan").rcode() == dns.rcode.NXDOMAIN


def test_an_unknown_name_is_nxdomain(sim: AdGuardSim) -> None:
    sim.add_rewrite("nas.lan", "192.168.1.10")
    response = query(sim, "nope.lan")
    assert (response.rcode(), response.answer) == (dns.rcode.NXDOMAIN, [])


def test_the_type_exception_goes_upstream_which_the_lab_lacks(sim: AdGuardSim) -> None:
    sim.add_rewrite("nas.lan", "192.168.1.10")
    sim.add_rewrite("nas.lan", "AAAA")  # "AAAA from upstream": the real server forwards the AAAA question
    assert answers(query(sim, "nas.lan")) == [("nas.lan.", "A", 10, "192.168.1.10")]
    assert query(sim, "nas.lan", "AAAA").rcode() == dns.rcode.NXDOMAIN


def test_a_change_through_the_api_is_answered_at_once(adguard: AdGuardClient, sim: AdGuardSim) -> None:
    adguard.add_rewrite("nas.lan", "192.168.1.10")
    assert answers(query(sim, "nas.lan")) == [("nas.lan.", "A", 10, "192.168.1.10")]
    adguard.delete_rewrite("nas.lan", "192.168.1.10")
    assert query(sim, "nas.lan").rcode() == dns.rcode.NXDOMAIN


def test_a_dns_server_that_is_down_lets_queries_time_out(sim: AdGuardSim) -> None:
    sim.add_rewrite("nas.lan", "192.168.1.10")
    sim.faults.set_dns_down("adguard")
    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(dns.message.make_query("nas.lan", "A"), sim.host, port=sim.dns_port, timeout=0.3)
    with pytest.raises((EOFError, ConnectionError, dns.exception.Timeout)):
        dns.query.tcp(dns.message.make_query("nas.lan", "A"), sim.host, port=sim.dns_port, timeout=0.3)
    sim.faults.set_dns_down("adguard", False)
    assert query(sim, "nas.lan").rcode() == dns.rcode.NOERROR


def dig() -> str:
    path = shutil.which("dig")
    if path is None:
        if in_ci():
            pytest.fail("dig is required when CI=true (Debian/Ubuntu: apt-get install bind9-dnsutils)")
        pytest.skip("dig is not installed (bind9-dnsutils); CI=true makes this a failure")
    return path


@pytest.mark.parametrize("transport", ["+notcp", "+tcp"])
def test_dig_gets_the_rewrite(sim: AdGuardSim, transport: str) -> None:
    sim.add_rewrite("immich.home.arpa", "127.20.0.11")
    argv = [dig(), f"@{sim.host}", "-p", str(sim.dns_port), "immich.home.arpa", "A", transport]
    done = subprocess.run(
        [*argv, "+noall", "+answer", "+time=2", "+tries=1"], capture_output=True, text=True, timeout=10
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["immich.home.arpa.", "10", "IN", "A", "127.20.0.11"]
    nx = subprocess.run(
        [*argv[:4], "nope.home.arpa", "A", transport, "+time=2", "+tries=1"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert "status: NXDOMAIN" in nx.stdout


# == a third-party client, unchanged ================================================================


def test_frencks_adguardhome_client_works_against_the_simulator(sim: AdGuardSim) -> None:
    """`adguardhome` 1.0.0 (PyPI), the Home Assistant integration's client: status and every rewrite call."""
    module = require("adguardhome", "pip install adguardhome==1.0.0")

    async def story() -> dict[str, Any]:
        async with module.AdGuardHome(sim.url, username=USER, password=PASSWORD, request_timeout=5) as agh:
            seen: dict[str, Any] = {"status": await agh.status()}
            await agh.rewrite.add("nas.lan", "192.168.1.10")
            seen["added"] = await agh.rewrite.get()
            await agh.rewrite.update("nas.lan", "192.168.1.10", new_answer="192.168.1.20")
            seen["updated"] = await agh.rewrite.get()
            await agh.rewrite.disable()
            seen["config"] = await agh.rewrite.config()
            await agh.rewrite.enable()
            await agh.rewrite.remove("nas.lan", "192.168.1.20")
            seen["removed"] = await agh.rewrite.get()
            return seen

    seen = asyncio.run(story())
    assert str(seen["status"].version) == "v0.107.79" and seen["status"].supported
    assert seen["status"].dns_port == sim.dns_port
    assert [(r.domain, r.answer, r.enabled) for r in seen["added"]] == [("nas.lan", "192.168.1.10", True)]
    assert [(r.domain, r.answer) for r in seen["updated"]] == [("nas.lan", "192.168.1.20")]
    assert seen["config"].enabled is False
    assert seen["removed"] == ()
    assert sim.rewrites() == []
