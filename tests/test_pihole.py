"""The Pi-hole adapter against the Pi-hole simulator over real loopback sockets.

Each test starts its own simulator on ephemeral ports (safe under pytest-xdist). Where a real
socket adds nothing (a body in the wrong shape), httpx.MockTransport stands in for the server.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import httpx
import pytest

from cockpit import netguard
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
from cockpit.adapters.pihole import HostRecord, PiholeClient, parse_host_item
from cockpit.lab.faults import Faults
from cockpit.lab.pihole import DEFAULT_PASSWORD, LIGHTTPD_404, PiholeSim, v5_api_token
from cockpit.secrets import REDACTOR

PASSWORD = DEFAULT_PASSWORD

# -- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab_faults() -> Faults:
    return Faults()


@pytest.fixture(scope="module")
def shared_sim(lab_faults: Faults) -> Iterator[PiholeSim]:
    """One default simulator for the module: stopping one takes a few tenths of a second."""
    with PiholeSim(lab_faults) as sim:
        yield sim


@pytest.fixture
def faults(lab_faults: Faults) -> Iterator[Faults]:
    lab_faults.clear()
    yield lab_faults
    lab_faults.clear()


@pytest.fixture
def start_sim(faults: Faults) -> Iterator[Callable[..., PiholeSim]]:
    """Start simulators with the options a test needs; all are stopped at teardown."""
    started: list[PiholeSim] = []

    def start(**options: Any) -> PiholeSim:
        sim = PiholeSim(faults, **options)
        sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(shared_sim: PiholeSim, faults: Faults) -> PiholeSim:
    """The module's simulator, as a fresh Pi-hole: no records, no sessions, no faults."""
    shared_sim.reset()
    return shared_sim


@pytest.fixture
def raw(sim: PiholeSim) -> Iterator[httpx.Client]:
    """A plain HTTP client on the simulator, for the protocol itself."""
    with httpx.Client(base_url=sim.url, timeout=5, trust_env=False) as client:
        yield client


def ftl(response: httpx.Response) -> dict[str, Any]:
    """A FTL JSON body; every one of them carries "took"."""
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert isinstance(body["took"], float)
    return body


def login(raw: httpx.Client, password: str = PASSWORD) -> httpx.Response:
    return raw.post("/api/auth", json={"password": password})


def sid_of(raw: httpx.Client) -> str:
    response = login(raw)
    assert response.status_code == 200, response.text
    return str(response.json()["session"]["sid"])


def envelope(response: httpx.Response) -> tuple[int, str, str, str | None]:
    error = ftl(response)["error"]
    assert set(error) == {"key", "message", "hint"}
    return response.status_code, error["key"], error["message"], error["hint"]


def dns_query(sim: PiholeSim, name: str, rdtype: str, *, tcp: bool = False) -> dns.message.Message:
    host, port = sim.dns_address.rsplit(":", 1)
    query = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, host, port=int(port), timeout=2)


def addresses(response: dns.message.Message) -> list[str]:
    return sorted(rdata.to_text() for rrset in response.answer for rdata in rrset)


# -- host records through the adapter ---------------------------------------------------------


class TestHostRecords:
    def test_an_added_record_is_listed_then_removed(self, sim: PiholeSim) -> None:
        with PiholeClient(sim.url, PASSWORD) as pihole:
            record = pihole.add_host("192.168.10.20", "nas.home.arpa")
            assert record == HostRecord(ip="192.168.10.20", names=("nas.home.arpa",))
            assert pihole.list_hosts() == [record]
            assert sim.hosts() == ["192.168.10.20 nas.home.arpa"]
            pihole.remove_host("192.168.10.20", "nas.home.arpa")
            assert pihole.list_hosts() == []

    def test_items_with_several_names_ipv6_and_comments_are_parsed(self, sim: PiholeSim) -> None:
        sim.add_host("fd00::10", "nas.lan nas # the NAS")
        sim.add_host("192.168.10.21", "pve.lan")
        with PiholeClient(sim.url, PASSWORD) as pihole:
            records = pihole.list_hosts()
        assert records == [
            HostRecord(ip="fd00::10", names=("nas.lan", "nas")),
            HostRecord(ip="192.168.10.21", names=("pve.lan",)),
        ]

    def test_the_same_name_with_a_second_ip_is_a_second_record(self, sim: PiholeSim) -> None:
        with PiholeClient(sim.url, PASSWORD) as pihole:
            pihole.add_host("192.168.10.20", "nas.lan")
            pihole.add_host("192.168.30.20", "nas.lan")
            assert [r.ip for r in pihole.list_hosts()] == ["192.168.10.20", "192.168.30.20"]

    def test_names_are_sent_lowercase_without_the_final_dot(self, sim: PiholeSim) -> None:
        with PiholeClient(sim.url, PASSWORD) as pihole:
            pihole.add_host("192.168.10.20", "NAS.Home.Arpa.")
            pihole.remove_host("192.168.10.20", "nas.home.arpa")
        assert sim.hosts() == []

    def test_a_duplicate_is_a_conflict(self, sim: PiholeSim) -> None:
        sim.add_host("192.168.10.20", "nas.lan")
        with PiholeClient(sim.url, PASSWORD) as pihole, pytest.raises(Conflict) as caught:
            pihole.add_host("192.168.10.20", "nas.lan")
        assert "Item already present (Uniqueness of items is enforced)" in str(caught.value)
        assert caught.value.status == 400

    @pytest.mark.parametrize(
        ("ip", "name", "hint"),
        [
            ("not-an-ip", "nas.lan", 'dns.hosts[1]: neither a valid IPv4 nor IPv6 address ("not-an-ip")'),
            ("192.168.10.20", "bad!name.lan", 'dns.hosts[1]: invalid hostname ("bad!name.lan")'),
            (
                "192.168.10.20",
                "",
                'dns.hosts[1]: entry does not have at least one hostname ("192.168.10.20 ")',
            ),
            # '/' travels inside the one encoded segment: the server sees it as part of the name
            ("192.168.10.20", "a/b.lan", 'dns.hosts[1]: invalid hostname ("a/b.lan")'),
        ],
    )
    def test_an_invalid_item_is_a_bad_request_with_the_hint(
        self, sim: PiholeSim, ip: str, name: str, hint: str
    ) -> None:
        sim.add_host("192.168.10.9", "gw.lan")
        with PiholeClient(sim.url, PASSWORD) as pihole, pytest.raises(BadRequest) as caught:
            pihole.add_host(ip, name)
        assert f"Invalid value ({hint})" in str(caught.value)
        assert sim.hosts() == ["192.168.10.9 gw.lan"]

    def test_removing_an_absent_record_is_not_found(self, sim: PiholeSim) -> None:
        with PiholeClient(sim.url, PASSWORD) as pihole, pytest.raises(NotFound):
            pihole.remove_host("192.168.10.20", "nas.lan")

    def test_replace_hosts_swaps_the_whole_array_in_one_call(self, sim: PiholeSim) -> None:
        sim.add_host("192.168.20.10", "immich.lan")
        new = [HostRecord(ip="192.168.30.10", names=("immich.lan",))]
        with PiholeClient(sim.url, PASSWORD) as pihole:
            assert pihole.replace_hosts(new) == new
        assert sim.hosts() == ["192.168.30.10 immich.lan"]

    def test_the_version_is_the_core_version(self, start_sim: Callable[..., PiholeSim]) -> None:
        sim = start_sim(version="v6.4.1")
        with PiholeClient(sim.url + "/admin/", PASSWORD) as pihole:
            assert pihole.version() == "v6.4.1"


class TestMalformedAnswers:
    """A body not in the promised shape is never taken for success."""

    @staticmethod
    def client(answer: Callable[[httpx.Request], httpx.Response]) -> PiholeClient:
        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/api/auth" and request.method == "POST":
                return httpx.Response(200, json={"session": {"valid": True, "sid": "s1d-abc"}, "took": 0.1})
            if request.url.path == "/api/auth":
                return httpx.Response(204)
            return answer(request)

        return PiholeClient("http://127.0.0.1:9", PASSWORD, transport=httpx.MockTransport(handler))

    def test_a_malformed_hosts_item(self) -> None:
        body = {"config": {"dns": {"hosts": ["192.168.1.1 ok.lan", "garbage"]}}, "took": 0.1}
        with (
            self.client(lambda r: httpx.Response(200, json=body)) as pihole,
            pytest.raises(MalformedResponse),
        ):
            pihole.list_hosts()

    def test_a_list_without_the_hosts_array(self) -> None:
        body = {"config": {"dns": {}}, "took": 0.1}
        with (
            self.client(lambda r: httpx.Response(200, json=body)) as pihole,
            pytest.raises(MalformedResponse),
        ):
            pihole.list_hosts()

    def test_a_201_that_is_not_ftl_json(self) -> None:
        answer = httpx.Response(201, text="<html>ok</html>")
        with self.client(lambda r: answer) as pihole, pytest.raises(MalformedResponse):
            pihole.add_host("192.168.1.1", "ok.lan")

    def test_an_unexpected_status(self) -> None:
        answer = httpx.Response(302, headers={"Location": "/"})
        with self.client(lambda r: answer) as pihole, pytest.raises(MalformedResponse):
            pihole.list_hosts()

    def test_a_login_without_a_valid_session(self) -> None:
        transport = httpx.MockTransport(lambda r: httpx.Response(200, json={"session": {}, "took": 0.1}))
        pihole = PiholeClient("http://127.0.0.1:9", PASSWORD, transport=transport)
        with pihole, pytest.raises(MalformedResponse):
            pihole.list_hosts()

    def test_parse_host_item(self) -> None:
        assert parse_host_item("10.0.0.1\tnas.lan  nas") == HostRecord(
            ip="10.0.0.1", names=("nas.lan", "nas")
        )
        for bad in ("", "10.0.0.1", "nas.lan 10.0.0.1", 42, "10.0.0.1 # comment only"):
            with pytest.raises(ValueError):
                parse_host_item(bad)


# -- sessions -----------------------------------------------------------------------------------


class TestSessions:
    def test_one_client_opens_one_session_and_gives_it_back(self, sim: PiholeSim) -> None:
        with PiholeClient(sim.url, PASSWORD) as pihole:
            assert sim.login_count == 0  # opened lazily
            pihole.version()
            pihole.add_host("192.168.10.20", "nas.lan")
            pihole.list_hosts()
            pihole.remove_host("192.168.10.20", "nas.lan")
            assert (sim.login_count, sim.session_count()) == (1, 1)
        assert sim.session_count() == 0

    def test_an_expired_session_is_renewed_once(self, start_sim: Callable[..., PiholeSim]) -> None:
        sim = start_sim(session_timeout=0.3)
        with PiholeClient(sim.url, PASSWORD) as pihole:
            pihole.list_hosts()
            time.sleep(0.45)
            assert sim.session_count() == 0  # the server let it expire
            pihole.list_hosts()
            assert (sim.login_count, sim.session_count()) == (2, 1)

    def test_every_call_keeps_the_session_alive(self, start_sim: Callable[..., PiholeSim]) -> None:
        sim = start_sim(session_timeout=0.5)
        with PiholeClient(sim.url, PASSWORD) as pihole:
            for _ in range(4):  # 0.8 s in all, longer than the timeout
                pihole.list_hosts()
                time.sleep(0.2)
            assert sim.login_count == 1

    def test_forty_clients_in_a_row_never_run_out_of_seats(self, start_sim: Callable[..., PiholeSim]) -> None:
        sim = start_sim(max_sessions=16)
        for _ in range(40):
            with PiholeClient(sim.url, PASSWORD) as pihole:
                pihole.list_hosts()
        assert (sim.login_count, sim.session_count()) == (40, 0)

    def test_the_seat_is_given_back_while_an_exception_unwinds(self, sim: PiholeSim) -> None:
        with pytest.raises(RuntimeError), PiholeClient(sim.url, PASSWORD) as pihole:
            pihole.list_hosts()
            raise RuntimeError("operator pressed q")
        assert sim.session_count() == 0

    def test_exhausted_seats_answer_429_and_the_adapter_says_so(
        self, start_sim: Callable[..., PiholeSim]
    ) -> None:
        sim = start_sim(max_sessions=3)
        with httpx.Client(base_url=sim.url, trust_env=False) as raw:
            for _ in range(3):
                assert login(raw).status_code == 200
            assert envelope(login(raw)) == (
                429,
                "api_seats_exceeded",
                "API seats exceeded",
                "increase webserver.api.max_sessions",
            )
        with PiholeClient(sim.url, PASSWORD) as pihole, pytest.raises(AuthFailed) as caught:
            pihole.list_hosts()
        assert "no free API seat" in str(caught.value) and caught.value.status == 429
        assert PASSWORD not in str(caught.value)

    def test_a_wrong_password_is_auth_failed_and_never_echoed(self, sim: PiholeSim) -> None:
        with PiholeClient(sim.url, "wrong-secret-123") as pihole, pytest.raises(AuthFailed) as caught:
            pihole.list_hosts()
        assert "rejected the password" in str(caught.value)
        assert "wrong-secret-123" not in str(caught.value)
        assert sim.session_count() == 0

    def test_no_sid_or_password_reaches_a_log_line(
        self, sim: PiholeSim, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level("DEBUG")
        with PiholeClient(sim.url, PASSWORD) as pihole:
            pihole.list_hosts()
            sid = pihole._sid
        assert sid
        ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("cockpit"))
        assert "session opened" in ours and sid not in ours and PASSWORD not in ours
        # httpcore's own DEBUG trace shows the Set-Cookie header: the redactor masks it there
        assert sid not in REDACTOR.redact(caplog.text) and PASSWORD not in caplog.text

    def test_a_pihole_without_a_password_needs_no_session(self, start_sim: Callable[..., PiholeSim]) -> None:
        sim = start_sim(password="")
        with httpx.Client(base_url=sim.url, trust_env=False) as raw:
            session = ftl(login(raw, "anything"))["session"]
            assert (session["sid"], session["validity"], session["message"]) == (None, -1, "no password set")
            assert raw.get("/api/config/dns/hosts").status_code == 200
        with PiholeClient(sim.url, "") as pihole:
            pihole.add_host("192.168.10.20", "nas.lan")
            assert len(pihole.list_hosts()) == 1
        assert sim.session_count() == 0

    def test_a_session_the_server_refuses_twice_is_auth_failed(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            if request.method == "POST":
                return httpx.Response(200, json={"session": {"valid": True, "sid": "abc-sid"}, "took": 0.1})
            body = {"error": {"key": "unauthorized", "message": "Unauthorized", "hint": None}, "took": 0.1}
            return httpx.Response(401, json=body)

        transport = httpx.MockTransport(handler)
        pihole = PiholeClient("http://127.0.0.1:9", PASSWORD, transport=transport)
        with pihole, pytest.raises(AuthFailed):
            pihole.list_hosts()


# -- the protocol, raw ------------------------------------------------------------------------


class TestAuthProtocol:
    def test_login_answers_the_session_and_a_cookie(self, raw: httpx.Client) -> None:
        response = login(raw)
        session = ftl(response)["session"]
        assert response.status_code == 200
        assert session["valid"] is True and session["totp"] is False
        assert session["message"] == "password correct"
        assert session["validity"] == 1800
        assert len(session["sid"]) == 24 and len(session["csrf"]) == 24
        assert response.headers["set-cookie"].startswith(f"sid={session['sid']}; SameSite=Strict; Path=/;")

    def test_a_wrong_password_gets_the_session_object_not_the_envelope(self, raw: httpx.Client) -> None:
        response = login(raw, "nope")
        assert response.status_code == 401
        assert ftl(response)["session"] == {
            "valid": False,
            "totp": False,
            "sid": None,
            "validity": -1,
            "message": "password incorrect",
        }

    def test_login_without_a_password_field_or_body(self, raw: httpx.Client) -> None:
        no_field = raw.post("/api/auth", json={"pw": "x"})
        assert envelope(no_field) == (400, "bad_request", "No password found in JSON payload", None)
        no_body = raw.post("/api/auth")
        assert envelope(no_body) == (400, "bad_request", "No request body data", None)
        not_json = raw.post("/api/auth", content=b"password=x")
        assert envelope(not_json)[:3] == (
            400,
            "bad_request",
            "Invalid request body data (no valid JSON), error at hint",
        )

    def test_get_auth_tells_whether_the_session_is_valid(self, raw: httpx.Client) -> None:
        sid = sid_of(raw)
        valid = raw.get("/api/auth", headers={"X-FTL-SID": sid})
        assert valid.status_code == 200 and ftl(valid)["session"]["sid"] == sid
        raw.cookies.clear()  # the login's Set-Cookie would be a SID too
        missing = raw.get("/api/auth")
        assert missing.status_code == 401 and ftl(missing)["session"]["message"] == "no SID provided"
        unknown = raw.get("/api/auth", headers={"X-FTL-SID": "x" * 24})
        assert unknown.status_code == 401 and ftl(unknown)["session"]["message"] == "session unknown"

    def test_logout_answers_204_then_401(self, raw: httpx.Client, sim: PiholeSim) -> None:
        sid = sid_of(raw)
        first = raw.delete("/api/auth", headers={"X-FTL-SID": sid})
        assert (first.status_code, first.content, sim.session_count()) == (204, b"", 0)
        again = raw.delete("/api/auth", headers={"X-FTL-SID": sid})
        assert again.status_code == 401 and ftl(again)["session"]["valid"] is False

    @pytest.mark.parametrize("source", ["body", "sid-header", "x-ftl-sid", "cookie+csrf", "query"])
    def test_the_sid_is_accepted_from_every_source(self, raw: httpx.Client, source: str) -> None:
        session = ftl(login(raw))["session"]
        sid, csrf = session["sid"], session["csrf"]
        raw.cookies.clear()
        request: dict[str, Any] = {
            "body": {"json": {"sid": sid}},
            "sid-header": {"headers": {"sid": sid}},
            "x-ftl-sid": {"headers": {"X-FTL-SID": sid}},
            "cookie+csrf": {"headers": {"Cookie": f"sid={sid}", "X-CSRF-TOKEN": csrf}},
            "query": {"params": {"sid": sid}},
        }[source]
        response = raw.request("GET", "/api/dns/blocking", **request)
        assert response.status_code == 200
        assert ftl(response)["blocking"] == "enabled" and response.json()["timer"] is None

    def test_a_cookie_needs_the_csrf_token_on_api_calls(self, raw: httpx.Client) -> None:
        sid = sid_of(raw)
        raw.cookies.clear()
        without = raw.get("/api/dns/blocking", headers={"Cookie": f"sid={sid}"})
        wrong = raw.get("/api/dns/blocking", headers={"Cookie": f"sid={sid}", "X-CSRF-TOKEN": "nope"})
        ftl_csrf = raw.get("/api/dns/blocking", headers={"Cookie": f"sid={sid}", "X-FTL-CSRF": "nope"})
        assert [r.status_code for r in (without, wrong, ftl_csrf)] == [401, 401, 401]
        auth_status = raw.get("/api/auth", headers={"Cookie": f"sid={sid}"})
        assert auth_status.status_code == 200  # /api/auth itself takes the cookie alone

    def test_the_x_ftl_csrf_header_third_party_clients_send_is_harmless(self, raw: httpx.Client) -> None:
        sid = sid_of(raw)
        response = raw.get("/api/config/dns/hosts", headers={"X-FTL-SID": sid, "X-FTL-CSRF": "whatever"})
        assert response.status_code == 200

    def test_unauthenticated_calls_are_401_unauthorized(self, raw: httpx.Client) -> None:
        for method, path in [
            ("GET", "/api/config/dns/hosts"),
            ("PUT", "/api/config/dns/hosts/1.1.1.1%20a.lan"),
        ]:
            response = raw.request(method, path)
            assert envelope(response) == (401, "unauthorized", "Unauthorized", None)

    def test_the_session_expires_after_inactivity(self, start_sim: Callable[..., PiholeSim]) -> None:
        sim = start_sim(session_timeout=0.2)
        with httpx.Client(base_url=sim.url, trust_env=False) as raw:
            sid = sid_of(raw)
            time.sleep(0.3)
            response = raw.get("/api/auth", headers={"X-FTL-SID": sid})
            assert response.status_code == 401 and ftl(response)["session"]["message"] == "session expired"


class TestConfigProtocol:
    @pytest.fixture
    def sid(self, raw: httpx.Client) -> str:
        return sid_of(raw)

    def test_hosts_are_read_from_the_config_subtree(
        self, raw: httpx.Client, sim: PiholeSim, sid: str
    ) -> None:
        sim.add_host("192.168.1.10", "nas.lan")
        response = raw.get("/api/config/dns/hosts", params={"detailed": "false"}, headers={"X-FTL-SID": sid})
        assert ftl(response)["config"] == {"dns": {"hosts": ["192.168.1.10 nas.lan"]}}

    def test_put_then_delete_one_encoded_item(self, raw: httpx.Client, sim: PiholeSim, sid: str) -> None:
        path = "/api/config/dns/hosts/192.168.1.10%20nas.lan"
        added = raw.put(path, headers={"X-FTL-SID": sid})
        assert (added.status_code, set(ftl(added))) == (201, {"took"})
        assert sim.hosts() == ["192.168.1.10 nas.lan"]
        deleted = raw.delete(path, headers={"X-FTL-SID": sid})
        assert (deleted.status_code, deleted.content) == (204, b"")
        absent = raw.delete(path, headers={"X-FTL-SID": sid})
        assert (absent.status_code, set(ftl(absent))) == (404, {"took"})

    def test_a_path_too_short_is_invalid_path_depth(self, raw: httpx.Client, sid: str) -> None:
        for method in ("PUT", "DELETE"):
            status, key, message, hint = envelope(
                raw.request(method, "/api/config/dns", headers={"X-FTL-SID": sid})
            )
            assert (status, key, message) == (400, "bad_request", "Invalid path depth")
            assert hint is not None and hint.startswith(f"Use, e.g., {method} /api/config/")

    def test_patch_replaces_the_array_and_answers_the_config(
        self, raw: httpx.Client, sim: PiholeSim, sid: str
    ) -> None:
        sim.add_host("192.168.20.10", "immich.lan")
        body = {"config": {"dns": {"hosts": ["192.168.30.10 immich.lan", "fd00::30 immich.lan"]}}}
        response = raw.patch("/api/config", json=body, headers={"X-FTL-SID": sid})
        assert response.status_code == 200
        assert ftl(response)["config"]["dns"]["hosts"] == ["192.168.30.10 immich.lan", "fd00::30 immich.lan"]
        assert sim.hosts() == ["192.168.30.10 immich.lan", "fd00::30 immich.lan"]

    def test_patch_with_an_invalid_item_changes_nothing(
        self, raw: httpx.Client, sim: PiholeSim, sid: str
    ) -> None:
        body = {"config": {"dns": {"hosts": ["192.168.30.10 Immich.lan"]}}}
        status, _, message, hint = envelope(raw.patch("/api/config", json=body, headers={"X-FTL-SID": sid}))
        assert (status, message, hint) == (
            400,
            "Config item validation failed",
            'dns.hosts[0]: invalid hostname ("Immich.lan")',
        )
        assert sim.hosts() == []

    def test_version_and_blocking(self, raw: httpx.Client, sid: str) -> None:
        version = ftl(raw.get("/api/info/version", headers={"X-FTL-SID": sid}))["version"]
        assert version["core"]["local"]["version"] == "v6.4.1"
        assert version["ftl"]["local"]["version"] == "v6.4.1"
        blocking = ftl(raw.get("/api/dns/blocking", headers={"X-FTL-SID": sid}))
        assert (blocking["blocking"], blocking["timer"]) == ("enabled", None)

    def test_an_unknown_endpoint_is_not_found_with_the_uri(self, raw: httpx.Client, sid: str) -> None:
        response = raw.get("/api/nothing/here", headers={"X-FTL-SID": sid})
        assert envelope(response) == (404, "not_found", "Not found", "/api/nothing/here")


# -- Pi-hole v5 ----------------------------------------------------------------------------------


class TestLegacyV5:
    @pytest.fixture
    def v5(self, start_sim: Callable[..., PiholeSim]) -> PiholeSim:
        return start_sim(legacy_v5=True)

    def test_the_v5_box_answers_like_lighttpd_and_api_php(self, v5: PiholeSim) -> None:
        with httpx.Client(base_url=v5.url, trust_env=False) as raw:
            auth = raw.post("/api/auth", json={"password": PASSWORD})
            assert (auth.status_code, auth.headers["content-type"], auth.content) == (
                404,
                "text/html",
                LIGHTTPD_404,
            )
            assert raw.get("/admin/api.php", params={"version": ""}).json() == {"version": 3}

    def test_customdns_get_add_delete(self, v5: PiholeSim) -> None:
        token = v5_api_token(PASSWORD)

        def call(**params: str) -> Any:
            with httpx.Client(base_url=v5.url, trust_env=False) as raw:
                response = raw.get("/admin/api.php", params={"customdns": "", "auth": token, **params})
            return response.json() if response.content.startswith((b"{", b"[")) else response.text

        assert call(action="add", ip="192.168.1.10", domain="nas.lan") == {"success": True, "message": ""}
        assert call(action="add", ip="192.168.1.11", domain="nas.lan") == {
            "success": False,
            "message": "The domain nas.lan already has a custom DNS entry for an IPv4",
        }
        assert call(action="add", ip="", domain="x.lan")["message"] == "IP must be set"
        assert call(action="add", ip="1.2.3", domain="x.lan")["message"] == "IP must be valid"
        assert call(action="get") == {"data": [["nas.lan", "192.168.1.10"]]}
        assert call(action="get", auth="wrong") == []
        assert call(action="nope") == "Wrong action"
        assert call(action="delete", ip="192.168.1.99", domain="nas.lan") == {
            "success": False,
            "message": "This domain/ip association does not exist",
        }
        assert call(action="delete", ip="192.168.1.10", domain="nas.lan") == {"success": True, "message": ""}
        assert call(action="get") == {"data": []}

    def test_the_adapter_refuses_a_v5_as_end_of_life(self, v5: PiholeSim) -> None:
        for operation in (PiholeClient.version, PiholeClient.list_hosts):
            with PiholeClient(v5.url, PASSWORD) as pihole, pytest.raises(Unsupported) as caught:
                operation(pihole)
            message = str(caught.value)
            assert "Pi-hole v5 has reached its end of life" in message and "needs Pi-hole v6" in message

    def test_something_else_without_api_auth_is_not_called_a_v5(self) -> None:
        transport = httpx.MockTransport(lambda request: httpx.Response(404, text="nope"))
        pihole = PiholeClient("http://127.0.0.1:9", PASSWORD, transport=transport)
        with pihole, pytest.raises(MalformedResponse, match="no Pi-hole v6 API"):
            pihole.version()


# -- faults ---------------------------------------------------------------------------------------


class TestFaults:
    def test_latency_slows_answers_and_beyond_the_timeout_is_timeout(self) -> None:
        # its own switchboard: the request that times out is still asleep in the server when the
        # test ends, and must not take a fault meant for the next test
        own = Faults()
        own.set_latency("pihole", 150)
        with PiholeSim(own) as sim:
            with PiholeClient(sim.url, PASSWORD) as pihole:
                started = time.perf_counter()
                pihole.list_hosts()  # login + GET: two slowed answers
                assert time.perf_counter() - started >= 0.3
            with PiholeClient(sim.url, PASSWORD, timeout=0.05) as pihole, pytest.raises(Timeout):
                pihole.list_hosts()

    def test_injected_errors_are_server_errors_then_it_recovers(self, sim: PiholeSim, faults: Faults) -> None:
        with PiholeClient(sim.url, PASSWORD) as pihole:
            pihole.list_hosts()
            faults.set_errors("pihole", 2)
            for _ in range(2):
                with pytest.raises(ServerError) as caught:
                    pihole.list_hosts()
                assert caught.value.status == 500 and "Internal server error" in str(caught.value)
            assert pihole.list_hosts() == []
            assert sim.login_count == 1  # a 500 is not taken for an expired session

    def test_injected_errors_answer_in_the_ftl_envelope(self, raw: httpx.Client, faults: Faults) -> None:
        faults.set_errors("pihole", 1)
        assert envelope(login(raw))[:3] == (500, "internal_error", "Internal server error")

    def test_a_down_pihole_is_unreachable(self, sim: PiholeSim, faults: Faults) -> None:
        faults.set_down("pihole")
        with PiholeClient(sim.url, PASSWORD) as pihole, pytest.raises(Unreachable):
            pihole.list_hosts()
        faults.set_down("pihole", False)
        with PiholeClient(sim.url, PASSWORD) as pihole:
            assert pihole.list_hosts() == []

    def test_a_down_dns_server_lets_queries_time_out(self, sim: PiholeSim, faults: Faults) -> None:
        sim.add_host("192.168.1.10", "nas.lan")
        faults.set_dns_down("pihole")
        host, port = sim.dns_address.rsplit(":", 1)
        with pytest.raises(dns.exception.Timeout):
            dns.query.udp(dns.message.make_query("nas.lan", "A"), host, port=int(port), timeout=0.3)
        faults.set_dns_down("pihole", False)
        assert addresses(dns_query(sim, "nas.lan", "A")) == ["192.168.1.10"]


# -- the loopback guard ------------------------------------------------------------------------------


class TestLoopbackGuard:
    @pytest.mark.parametrize("url", ["http://192.168.10.54", "http://pi.hole/admin/"])
    def test_a_real_pihole_is_refused_before_any_connection(
        self, monkeypatch: pytest.MonkeyPatch, url: str
    ) -> None:
        monkeypatch.setenv(netguard.ENV, "1")
        attempts: list[object] = []

        def refuse(*args: object, **kwargs: object) -> None:
            attempts.append(args)
            raise AssertionError("a connection was attempted")

        monkeypatch.setattr(socket, "create_connection", refuse)
        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket, "getaddrinfo", refuse)

        def answer(request: httpx.Request) -> httpx.Response:
            attempts.append(request)
            return httpx.Response(200)

        for transport in (None, httpx.MockTransport(answer)):
            with pytest.raises(netguard.GuardRefused) as caught:
                PiholeClient(url, PASSWORD, transport=transport).list_hosts()
            assert PASSWORD not in str(caught.value)
        assert attempts == []  # neither a socket nor even the injected transport was used

    def test_the_loopback_simulator_passes_the_guard(
        self, sim: PiholeSim, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv(netguard.ENV, "1")
        with PiholeClient(sim.url, PASSWORD) as pihole:
            assert pihole.list_hosts() == []


# -- DNS ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
class TestDns:
    def test_a_records_with_ttl_0_one_per_item(self, sim: PiholeSim, tcp: bool) -> None:
        sim.add_host("192.168.10.20", "nas.lan")
        sim.add_host("192.168.30.20", "nas.lan")
        response = dns_query(sim, "nas.lan", "A", tcp=tcp)
        assert response.rcode() == dns.rcode.NOERROR
        assert addresses(response) == ["192.168.10.20", "192.168.30.20"]
        assert [rrset.ttl for rrset in response.answer] == [0]

    def test_aaaa_and_every_name_of_an_item(self, sim: PiholeSim, tcp: bool) -> None:
        sim.add_host("fd00::10", "nas6.lan nas6")
        assert addresses(dns_query(sim, "nas6.lan", "AAAA", tcp=tcp)) == ["fd00::10"]
        assert addresses(dns_query(sim, "NAS6", "AAAA", tcp=tcp)) == ["fd00::10"]

    def test_a_name_with_only_a_records_asked_aaaa_is_nodata(self, sim: PiholeSim, tcp: bool) -> None:
        sim.add_host("192.168.10.20", "nas.lan")
        response = dns_query(sim, "nas.lan", "AAAA", tcp=tcp)
        assert (response.rcode(), response.answer) == (dns.rcode.NOERROR, [])

    def test_anything_else_is_nxdomain(self, sim: PiholeSim, tcp: bool) -> None:
        sim.add_host("192.168.10.20", "nas.lan")
        assert dns_query(sim, "other.lan", "A", tcp=tcp).rcode() == dns.rcode.NXDOMAIN

    def test_an_api_change_is_answered_at_once(self, sim: PiholeSim, tcp: bool) -> None:
        with PiholeClient(sim.url, PASSWORD) as pihole:
            pihole.add_host("192.168.10.20", "immich.lan")
            assert addresses(dns_query(sim, "immich.lan", "A", tcp=tcp)) == ["192.168.10.20"]
            pihole.remove_host("192.168.10.20", "immich.lan")
            assert dns_query(sim, "immich.lan", "A", tcp=tcp).rcode() == dns.rcode.NXDOMAIN

    def test_the_v5_pose_answers_with_v5s_local_ttl(
        self, start_sim: Callable[..., PiholeSim], tcp: bool
    ) -> None:
        v5 = start_sim(legacy_v5=True)
        v5.add_host("192.168.10.20", "nas.lan")
        assert [rrset.ttl for rrset in dns_query(v5, "nas.lan", "A", tcp=tcp).answer] == [2]


@pytest.fixture
def dig() -> str:
    path = shutil.which("dig")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("dig is missing on CI: install it (Debian: apt-get install dnsutils)")
        pytest.skip("dig is not installed (Debian: apt-get install dnsutils); it must run on CI")
    return path


@pytest.mark.parametrize("transport", ["+notcp", "+tcp"])
def test_dig_reads_the_records(sim: PiholeSim, dig: str, transport: str) -> None:
    sim.add_host("192.168.10.20", "nas.lan")
    sim.add_host("fd00::20", "nas.lan")
    host, port = sim.dns_address.rsplit(":", 1)
    run = functools.partial(subprocess.run, capture_output=True, text=True, timeout=10, check=True)
    base = [dig, f"@{host}", "-p", port, transport, "+tries=1", "+time=2"]
    assert run([*base, "+short", "nas.lan", "A"]).stdout.split() == ["192.168.10.20"]
    assert run([*base, "+short", "nas.lan", "AAAA"]).stdout.split() == ["fd00::20"]
    assert "status: NXDOMAIN" in run([*base, "missing.lan", "A"]).stdout


# -- a third-party client, unchanged ----------------------------------------------------------------------


def test_pihole6api_works_unchanged_against_the_simulator(
    sim: PiholeSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pihole6api.client
    from pihole6api.conn import PiHole6Connection

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    # its defaults retry with 1 s, 2 s back-off; one quick try keeps the test fast
    quick = functools.partial(PiHole6Connection, max_retries=1, retry_delay=0, connection_timeout=5)
    monkeypatch.setattr(pihole6api.client, "PiHole6Connection", quick)

    client = pihole6api.client.PiHole6Client(sim.url, PASSWORD)
    assert sim.session_count() == 1
    assert "took" in client.config.add_local_a_record("nas.lan", "192.168.10.20")
    assert addresses(dns_query(sim, "nas.lan", "A")) == ["192.168.10.20"]
    duplicate = client.config.add_local_a_record("nas.lan", "192.168.10.20")
    assert duplicate["error"]["message"] == "Item already present"
    section = client.config.get_config_section("dns/hosts")
    assert section["config"] == {"dns": {"hosts": ["192.168.10.20 nas.lan"]}}
    assert client.config.remove_local_a_record("nas.lan", "192.168.10.20") == {}
    assert sim.hosts() == []
    client.close_session()
    assert sim.session_count() == 0
