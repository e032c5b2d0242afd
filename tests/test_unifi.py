"""UniFi: the simulator answers like a UDM SE, and the adapter and the unifi.* checks read the design back.

Everything runs over real loopback TLS on ephemeral ports: one simulator per module, reset before each
test (safe under pytest-xdist). Where a socket adds nothing (a body in the wrong shape),
httpx.MockTransport stands in for the console. aiounifi, a third-party client, runs unchanged
against the simulator when it is installed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cockpit import netguard
from cockpit.adapters.errors import (
    AuthFailed,
    BadRequest,
    MalformedResponse,
    ServerError,
    Timeout,
    Unreachable,
)
from cockpit.adapters.unifi import (
    FirewallPolicy,
    FlowVerdict,
    PinMismatch,
    TlsRefused,
    UnifiClient,
    legacy_rules,
    normalise,
    parse_network,
    zone_rules,
)
from cockpit.checks.context import CheckContext
from cockpit.checks.runner import evaluate as engine_evaluate
from cockpit.checks.unifi import EVALUATORS, evaluate_default_deny
from cockpit.lab import catalog
from cockpit.lab.faults import Faults
from cockpit.lab.unifi import INTEGRATION_SITE_ID, NETWORK_VERSION, UnifiSim
from cockpit.models.checks import UnifiDefaultDeny
from cockpit.models.phases import Criterion
from cockpit.project import load_project
from cockpit.results import CheckResult
from cockpit.secrets import REDACTOR

DESIGN_VLANS = [v.vlan for v in catalog.VLANS]

# -- fixtures and helpers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab_faults() -> Faults:
    return Faults()


@pytest.fixture(scope="module")
def shared_sim(lab_faults: Faults, tmp_path_factory: pytest.TempPathFactory) -> Iterator[UnifiSim]:
    with UnifiSim(lab_faults, directory=tmp_path_factory.mktemp("unifi")) as sim:
        yield sim


@pytest.fixture
def faults(lab_faults: Faults) -> Iterator[Faults]:
    lab_faults.clear()
    yield lab_faults
    lab_faults.clear()


@pytest.fixture
def sim(shared_sim: UnifiSim, faults: Faults) -> UnifiSim:
    """The module's console, back to the design: networks, rules, no session, no failed login."""
    shared_sim.reset()
    return shared_sim


@pytest.fixture
def raw(sim: UnifiSim) -> Iterator[httpx.Client]:
    """A plain HTTPS client on the console (trusting its CA file), for the protocol itself."""
    context = ssl.create_default_context(cafile=str(sim.cert_file))
    with httpx.Client(base_url=sim.url, verify=context, timeout=5, trust_env=False) as client:
        yield client


def pinned(sim: UnifiSim, **options: Any) -> UnifiClient:
    options.setdefault("fingerprint", sim.fingerprint)
    options.setdefault("timeout", 5)
    return UnifiClient(sim.url, sim.username, sim.password, **options)


def login(raw: httpx.Client, sim: UnifiSim, password: str | None = None) -> httpx.Response:
    body = {"username": sim.username, "password": password or sim.password, "rememberMe": True}
    return raw.post("/api/auth/login", json=body)


def classic(raw: httpx.Client, endpoint: str) -> Any:
    response = raw.get(f"/proxy/network/api/s/default/{endpoint}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"] == {"rc": "ok"}
    return body["data"]


def envelope_error(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert body["data"] == [] and body["meta"]["rc"] == "error"
    return response.status_code, body["meta"]["msg"]


# -- the simulator speaks like a UniFi OS console ---------------------------------------------------


class TestUnifiOsLogin:
    def test_the_root_is_the_login_page_which_tells_clients_this_is_unifi_os(self, raw: httpx.Client) -> None:
        response = raw.get("/")
        assert response.status_code == 200 and response.headers["content-type"] == "text/html"

    def test_login_answers_the_user_a_token_cookie_and_the_csrf_token(
        self, raw: httpx.Client, sim: UnifiSim
    ) -> None:
        response = login(raw, sim)
        assert response.status_code == 200
        assert response.json()["username"] == sim.username
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("TOKEN=") and "httponly" in cookie and "secure" in cookie
        payload = raw.cookies["TOKEN"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert claims["csrfToken"] == response.headers["x-csrf-token"]

    def test_a_wrong_password_is_403_in_unifi_os_shape(self, raw: httpx.Client, sim: UnifiSim) -> None:
        response = login(raw, sim, "wrong")
        assert response.status_code == 403
        assert response.json()["code"] == "AUTHENTICATION_FAILED_INVALID_CREDENTIALS"
        assert "TOKEN" not in raw.cookies

    def test_five_failures_lock_every_login_out_with_429(self, raw: httpx.Client, sim: UnifiSim) -> None:
        for _ in range(5):
            assert login(raw, sim, "wrong").status_code == 403
        response = login(raw, sim)
        assert response.status_code == 429
        assert response.json()["code"] == "AUTHENTICATION_FAILED_LIMIT_REACHED"
        sim.reset()
        assert login(raw, sim).status_code == 200

    def test_without_a_session_classic_and_v2_say_login_required(self, raw: httpx.Client) -> None:
        assert envelope_error(raw.get("/proxy/network/api/s/default/rest/networkconf")) == (
            401,
            "api.err.LoginRequired",
        )
        response = raw.get("/proxy/network/v2/api/site/default/firewall-policies")
        assert response.status_code == 401
        assert response.json() == {"errorCode": 401, "message": "api.err.LoginRequired"}

    def test_logout_ends_the_session(self, raw: httpx.Client, sim: UnifiSim) -> None:
        login(raw, sim)
        assert raw.post("/api/auth/logout").status_code == 200
        assert raw.get("/proxy/network/api/s/default/rest/networkconf").status_code == 401


class TestClassicApi:
    @pytest.fixture(autouse=True)
    def logged_in(self, raw: httpx.Client, sim: UnifiSim) -> None:
        assert login(raw, sim).status_code == 200

    def test_networkconf_lists_the_default_lan_and_the_design_vlans(self, raw: httpx.Client) -> None:
        networks = {n["name"]: n for n in classic(raw, "rest/networkconf")}
        default = networks["Default"]
        assert default["vlan_enabled"] is False and "vlan" not in default
        assert default["ip_subnet"] == "192.168.1.1/24" and default["purpose"] == "corporate"
        for vlan in catalog.VLANS:
            record = networks[vlan.name]
            assert record["vlan_enabled"] is True and record["vlan"] == vlan.vlan
            assert record["ip_subnet"] == f"{vlan.gateway}/24"
        assert networks["Internet 1"]["purpose"] == "wan"

    def test_legacy_rules_allow_first_then_drop_all_inter_vlan(self, raw: httpx.Client) -> None:
        rules = classic(raw, "rest/firewallrule")
        groups = {g["_id"]: g for g in classic(raw, "rest/firewallgroup")}
        assert [r["ruleset"] for r in rules] == ["LAN_IN"] * len(rules)
        assert [r["rule_index"] for r in rules] == sorted(r["rule_index"] for r in rules)
        last = rules[-1]
        assert last["action"] == "drop" and last["state_new"] is False
        rfc1918 = groups[last["src_firewallgroup_ids"][0]]
        assert rfc1918["group_members"] == ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
        admin = next(r for r in rules if r["dst_firewallgroup_ids"] and r["action"] == "accept")
        assert admin["protocol"] == "tcp"
        assert groups[admin["dst_firewallgroup_ids"][0]]["group_members"] == ["8006", "22", "443"]

    def test_zone_policies_express_the_same_policy(self, raw: httpx.Client) -> None:
        zones = raw.get("/proxy/network/v2/api/site/default/firewall/zone").json()
        internal = next(z for z in zones if z["zone_key"] == "internal")
        assert len(internal["network_ids"]) == 1 + len(catalog.VLANS)
        policies = raw.get("/proxy/network/v2/api/site/default/firewall-policies").json()
        custom = [p for p in policies if not p["predefined"]]
        assert [p["action"] for p in custom] == ["ALLOW", "ALLOW", "BLOCK"]
        assert custom[1]["destination"]["port"] == "8006,22,443"
        assert max(p["index"] for p in custom) < min(p["index"] for p in policies if p["predefined"])

    def test_the_view_only_account_cannot_write(self, raw: httpx.Client) -> None:
        response = raw.put("/proxy/network/api/s/default/rest/networkconf/x", json={"name": "x"})
        assert envelope_error(response) == (403, "api.err.NoPermission")

    def test_an_unknown_site_is_no_site_context(self, raw: httpx.Client) -> None:
        response = raw.get("/proxy/network/api/s/nosuch/rest/networkconf")
        assert envelope_error(response) == (400, "api.err.NoSiteContext")

    def test_sysinfo_and_self_sites(self, raw: httpx.Client) -> None:
        assert classic(raw, "stat/sysinfo")[0]["version"] == NETWORK_VERSION
        sites = raw.get("/proxy/network/api/self/sites").json()["data"]
        assert [s["name"] for s in sites] == ["default"]


class TestIntegrationApi:
    def test_without_the_api_key_is_401_in_the_integration_shape(self, raw: httpx.Client) -> None:
        response = raw.get("/proxy/network/integration/v1/sites")
        assert response.status_code == 401
        body = response.json()
        assert set(body) == {
            "statusCode",
            "statusName",
            "code",
            "message",
            "timestamp",
            "requestPath",
            "requestId",
        }
        assert body["requestPath"] == "/integration/v1/sites"

    def test_sites_and_networks_in_pages(self, raw: httpx.Client, sim: UnifiSim) -> None:
        headers = {"X-API-KEY": sim.api_key}
        sites = raw.get("/proxy/network/integration/v1/sites", headers=headers).json()
        assert sites["data"][0]["id"] == INTEGRATION_SITE_ID and sites["totalCount"] == 1
        path = f"/proxy/network/integration/v1/sites/{INTEGRATION_SITE_ID}/networks"
        networks = raw.get(path, headers=headers).json()
        assert [n["vlanId"] for n in networks["data"]] == [1, *DESIGN_VLANS]
        page = raw.get(path, headers=headers, params={"offset": 1, "limit": 2}).json()
        assert (page["count"], page["totalCount"], page["data"][0]["vlanId"]) == (2, 5, 10)
        assert raw.get(path, headers=headers, params={"limit": "x"}).status_code == 400


# -- the adapter reads the design back ----------------------------------------------------------------


class TestNetworksAndPolicy:
    def test_networks_are_the_designs(self, sim: UnifiSim) -> None:
        with pinned(sim) as unifi:
            networks = unifi.networks()
            assert unifi.version() == NETWORK_VERSION
        lans = {n.vlan: n for n in networks if n.routed}
        assert lans[1].untagged and lans[1].name == "Default"
        for vlan in catalog.VLANS:
            network = lans[vlan.vlan]
            assert (network.name, str(network.subnet), network.untagged) == (vlan.name, vlan.subnet, False)
        wan = next(n for n in networks if n.purpose == "wan")
        assert wan.vlan is None and not wan.routed

    @pytest.mark.parametrize("api", ["legacy", "zone"])
    def test_the_policy_is_the_designs_from_either_firewall(self, sim: UnifiSim, api: Any) -> None:
        with pinned(sim) as unifi:
            policy = unifi.firewall(api)
        assert (policy.api, policy.default) == (api, "deny")
        allowed = {(f.source, f.destination): f for f in policy.flows if f.allowed}
        inter_vlan = {pair for pair in allowed if pair[1] != "internet"}
        assert inter_vlan == {(20, 30), (20, 10)}
        assert allowed[(20, 30)].ports is None
        assert (allowed[(20, 10)].ports, allowed[(20, 10)].protocols) == ((22, 443, 8006), ("tcp",))
        assert (40, "internet") in allowed
        assert all(f.fallback == "deny" for f in policy.flows if f.destination != "internet")

    def test_auto_reads_the_zone_policies_and_both_agree(self, sim: UnifiSim) -> None:
        with pinned(sim) as unifi:
            auto, legacy = unifi.firewall(), unifi.firewall("legacy")

        def shape(policy: FirewallPolicy) -> list[tuple[Any, ...]]:
            return [(f.source, f.destination, f.allowed, f.ports, f.fallback) for f in policy.flows]

        assert auto.api == "zone" and shape(auto) == shape(legacy)

    @pytest.mark.parametrize("api", ["legacy", "zone"])
    def test_the_changers_show_in_the_policy(self, sim: UnifiSim, api: Any) -> None:
        sim.allow_between(30, 10)
        with pinned(sim) as unifi:
            hole = unifi.firewall(api).verdict(30, 10)
            assert hole is not None and hole.allowed and hole.ports is None and hole.fallback == "deny"
            sim.remove_default_drop()
            assert unifi.firewall(api).default == "allow"


class TestTls:
    def test_the_default_refuses_the_self_signed_certificate_before_login(self, sim: UnifiSim) -> None:
        with pytest.raises(TlsRefused) as caught, UnifiClient(sim.url, sim.username, sim.password) as unifi:
            unifi.networks()
        assert "tls.fingerprint" in str(caught.value) and not isinstance(caught.value, PinMismatch)
        assert sim.login_count == 0

    def test_the_right_pin_passes_in_any_spelling(self, sim: UnifiSim) -> None:
        spelling = sim.fingerprint.replace(":", "").lower()
        with pinned(sim, fingerprint=spelling) as unifi:
            assert len(unifi.networks()) == 6

    def test_a_wrong_pin_is_refused_and_nothing_is_sent(self, sim: UnifiSim) -> None:
        wrong = ":".join(["AB"] * 32)
        with pytest.raises(PinMismatch) as caught, pinned(sim, fingerprint=wrong) as unifi:
            unifi.networks()
        assert sim.fingerprint in str(caught.value) and "nothing was sent" in str(caught.value)
        assert sim.login_count == 0

    def test_the_ca_file_passes(self, sim: UnifiSim) -> None:
        with pinned(sim, fingerprint=None, ca_file=sim.cert_file) as unifi:
            assert unifi.version() == NETWORK_VERSION

    def test_insecure_only_when_asked_and_with_a_warning(
        self, sim: UnifiSim, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.WARNING), pinned(sim, fingerprint=None, insecure=True) as unifi:
            unifi.networks()
        assert "TLS verification is off" in caplog.text


class TestErrors:
    def test_a_wrong_password_is_auth_failed_and_never_echoed(self, sim: UnifiSim) -> None:
        wrong = UnifiClient(sim.url, sim.username, "s3cret-wrong-pw", fingerprint=sim.fingerprint)
        with pytest.raises(AuthFailed) as caught, wrong:
            wrong.networks()
        assert "AUTHENTICATION_FAILED_INVALID_CREDENTIALS" in str(caught.value)
        assert "local account" in str(caught.value) and "s3cret-wrong-pw" not in str(caught.value)
        assert caught.value.status == 403

    def test_too_many_failures_is_auth_failed_saying_so(self, sim: UnifiSim) -> None:
        for _ in range(5):
            wrong = UnifiClient(sim.url, sim.username, "wrong", fingerprint=sim.fingerprint)
            with pytest.raises(AuthFailed), wrong:
                wrong.networks()
        with pytest.raises(AuthFailed) as caught, pinned(sim) as unifi:
            unifi.networks()
        assert caught.value.status == 429 and "too many failed attempts" in str(caught.value)

    def test_no_permission_is_auth_failed_naming_the_role(self, sim: UnifiSim) -> None:
        sim.set_network_access(False)
        with pytest.raises(AuthFailed) as caught, pinned(sim) as unifi:
            unifi.networks()
        assert "api.err.NoPermission" in str(caught.value) and "View Only" in str(caught.value)

    def test_an_envelope_error_is_bad_request_with_its_msg(self, sim: UnifiSim) -> None:
        with pytest.raises(BadRequest) as caught, pinned(sim, site="nosuch") as unifi:
            unifi.networks()
        assert "api.err.NoSiteContext" in str(caught.value) and caught.value.status == 400

    def test_an_ended_session_is_renewed_once(self, sim: UnifiSim) -> None:
        with pinned(sim) as unifi:
            unifi.networks()
            sim.expire_sessions()
            unifi.networks()
        assert sim.login_count == 2

    def test_the_session_is_given_back_at_close(self, sim: UnifiSim) -> None:
        with pinned(sim) as unifi:
            unifi.networks()
            assert sim.session_count == 1
        assert sim.session_count == 0

    def test_no_password_reaches_a_log_line(self, sim: UnifiSim, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.DEBUG), pinned(sim) as unifi:
            unifi.firewall()
        assert sim.password not in caplog.text and "/api/auth/login" in caplog.text
        assert REDACTOR.redact(f"pw={sim.password}") == "pw=********"


def mock_console(answer: Callable[[httpx.Request], httpx.Response]) -> UnifiClient:
    """A client on a MockTransport: login succeeds, every other request gets `answer`."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/auth/login":
            return httpx.Response(
                200, json={"username": "u"}, headers={"Set-Cookie": "TOKEN=a.e30.b; path=/"}
            )
        if request.url.path == "/api/auth/logout":
            return httpx.Response(200, json={})
        return answer(request)

    return UnifiClient("https://127.10.0.1", "u", "pw", transport=httpx.MockTransport(handler))


class TestMalformed:
    @pytest.mark.parametrize(
        ("response", "error", "words"),
        [
            (httpx.Response(200, text="<html>"), MalformedResponse, "without a JSON body"),
            (httpx.Response(200, json={"data": []}), MalformedResponse, "envelope"),
            (httpx.Response(200, json={"meta": {"rc": "ok"}, "data": {}}), MalformedResponse, "envelope"),
            (
                httpx.Response(200, json={"meta": {"rc": "error", "msg": "api.err.X"}, "data": []}),
                BadRequest,
                "api.err.X",
            ),
            (
                httpx.Response(500, json={"meta": {"rc": "error", "msg": "api.err.Y"}, "data": []}),
                ServerError,
                "api.err.Y",
            ),
            (httpx.Response(502, text="<html>502 Bad Gateway</html>"), ServerError, "restarting"),
            (httpx.Response(418, text="teapot"), MalformedResponse, "HTTP 418"),
        ],
    )
    def test_bodies_in_the_wrong_shape(self, response: httpx.Response, error: type, words: str) -> None:
        with pytest.raises(error) as caught, mock_console(lambda _: response) as unifi:
            unifi.networks()
        assert words in str(caught.value)

    def test_a_login_without_a_token_cookie(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json={"username": "u"})

        client = UnifiClient("https://127.10.0.1", "u", "pw", transport=httpx.MockTransport(handler))
        with pytest.raises(MalformedResponse, match="without a TOKEN cookie"), client:
            client.networks()

    def test_a_classic_controllers_invalid_envelope_at_login_is_auth_failed(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(400, json={"meta": {"rc": "error", "msg": "api.err.Invalid"}, "data": []})

        client = UnifiClient("https://127.10.0.1", "u", "pw", transport=httpx.MockTransport(handler))
        with pytest.raises(AuthFailed, match="api.err.Invalid"), client:
            client.networks()

    def test_vlan_strings_are_coerced_and_nonsense_is_malformed(self) -> None:
        record = {
            "_id": "a",
            "name": "IoT",
            "vlan_enabled": True,
            "vlan": "40",
            "ip_subnet": "192.168.40.1/24",
        }
        network = parse_network(record)
        assert (network.vlan, str(network.subnet), network.untagged) == (40, "192.168.40.0/24", False)
        with pytest.raises(MalformedResponse):
            parse_network({**record, "vlan": "forty"})
        with pytest.raises(MalformedResponse):
            parse_network({**record, "ip_subnet": "192.168.40.1/99"})
        assert parse_network({**record, "vlan_enabled": False}).vlan == 1


class TestFaults:
    def test_a_down_console_is_unreachable(self, sim: UnifiSim, faults: Faults) -> None:
        faults.set_down("unifi")
        with pytest.raises(Unreachable), pinned(sim) as unifi:
            unifi.networks()

    def test_latency_slows_answers_and_beyond_the_timeout_is_timeout(
        self, sim: UnifiSim, faults: Faults
    ) -> None:
        faults.set_latency("unifi", 150)
        started = time.perf_counter()
        with pinned(sim) as unifi:
            unifi.version()
        assert time.perf_counter() - started >= 0.3  # the login and the call, each late
        with pytest.raises(Timeout), pinned(sim, timeout=0.05) as unifi:
            unifi.version()
        time.sleep(0.2)  # the late login still lands: let it, before the next test resets the console

    def test_injected_errors_are_server_errors_then_it_recovers(self, sim: UnifiSim, faults: Faults) -> None:
        faults.set_errors("unifi", 1)
        with pinned(sim) as unifi:
            with pytest.raises(ServerError, match="HTTP 502"):
                unifi.networks()
            assert len(unifi.networks()) == 6

    def test_the_loopback_guard_refuses_a_real_console_before_any_connection(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def no_socket(*args: Any, **kwargs: Any) -> None:
            raise AssertionError("a connection was attempted")

        monkeypatch.setattr(socket, "create_connection", no_socket)
        for options in ({}, {"fingerprint": "AB" * 32}):
            with pytest.raises(netguard.GuardRefused, match="192.168.10.1"):
                UnifiClient("https://192.168.10.1", "u", "pw", **options)


# -- the normaliser on its own --------------------------------------------------------------------------


NETS = [
    {
        "_id": "n20",
        "name": "Trusted",
        "purpose": "corporate",
        "vlan_enabled": True,
        "vlan": 20,
        "ip_subnet": "192.168.20.1/24",
    },
    {
        "_id": "n30",
        "name": "Services",
        "purpose": "corporate",
        "vlan_enabled": True,
        "vlan": 30,
        "ip_subnet": "192.168.30.1/24",
    },
]


def legacy_policy(*rules: dict[str, Any], groups: list[dict[str, Any]] | None = None) -> FirewallPolicy:
    networks = [parse_network(n) for n in NETS]
    records = [
        {"ruleset": "LAN_IN", "enabled": True, "rule_index": 2000 + i, **r} for i, r in enumerate(rules)
    ]
    return normalise("legacy", networks, lambda n: legacy_rules(records, groups or []), len(records))


def test_legacy_rules_replies_only_a_host_and_port_ranges() -> None:
    policy = legacy_policy(
        {"name": "replies", "action": "accept", "state_established": True, "state_related": True},
        {
            "name": "one host",
            "action": "accept",
            "src_address": "192.168.20.5",
            "dst_networkconf_id": "n30",
            "protocol": "tcp",
            "dst_port": "8000-8002,22",
        },
        {"name": "drop", "action": "drop", "src_address": "192.168.0.0/16", "dst_address": "192.168.0.0/16"},
    )
    flow = policy.verdict(20, 30)
    assert flow is not None and flow.allowed and flow.rules == ("one host",)
    assert flow.ports == (22, 8000, 8001, 8002) and flow.fallback == "deny"
    back = policy.verdict(30, 20)
    assert back is not None and not back.allowed and policy.default == "deny"


def test_a_partial_drop_never_counts_as_a_default_deny() -> None:
    policy = legacy_policy({"name": "drop one host", "action": "drop", "dst_address": "192.168.30.9"})
    flow = policy.verdict(20, 30)
    assert flow is not None and flow.allowed and flow.fallback == "allow" and policy.default == "allow"


def test_zone_policies_skip_replies_and_honour_opposite_ports() -> None:
    networks = [parse_network(n) for n in NETS]
    zones = [{"_id": "zi", "zone_key": "internal", "network_ids": ["n20", "n30"]}]
    base = {"enabled": True, "protocol": "all", "connection_state_type": "ALL"}
    records = [
        {
            **base,
            "name": "replies",
            "action": "ALLOW",
            "index": 1,
            "connection_state_type": "RESPOND_ONLY",
            "source": {"zone_id": "zi"},
            "destination": {"zone_id": "zi"},
        },
        {
            **base,
            "name": "all but 22",
            "action": "ALLOW",
            "index": 2,
            "protocol": "tcp",
            "source": {"zone_id": "zi", "matching_target": "NETWORK", "network_ids": ["n20"]},
            "destination": {
                "zone_id": "zi",
                "port_matching_type": "SPECIFIC",
                "port": "22",
                "match_opposite_ports": True,
            },
        },
        {
            **base,
            "name": "block",
            "action": "BLOCK",
            "index": 3,
            "source": {"zone_id": "zi"},
            "destination": {"zone_id": "zi"},
        },
    ]
    policy = normalise("zone", networks, lambda n: zone_rules(records, zones, []), 3)
    flow = policy.verdict(20, 30)
    assert flow is not None and flow.allowed and flow.ports is None and flow.protocols == ("tcp",)
    assert flow.rules == ("all but 22",) and policy.default == "deny"


# -- the evaluators ---------------------------------------------------------------------------------------

PHASE = """\
id = 0
title = "Network"
goal = "Segmentation"

[[tasks]]
id = "vlans"
title = "VLANs"
principle = "vlan-segmentation"
runbook = "Create them."
{criteria}
"""

CRITERIA: dict[str, dict[str, Any]] = {
    **{
        f"vlan-{v.vlan}": {"type": "unifi.vlan", "vlan": v.vlan, "subnet": v.subnet, "name": v.name}
        for v in catalog.VLANS
    },
    "management": {"type": "unifi.management_vlan", "vlan": 10, "subnet": "192.168.10.0/24"},
    "deny": {"type": "unifi.default_deny", "vlans": DESIGN_VLANS},
}
DENY_FLOWS = """
[[exit.check.allow]]
from = 20
to = 30
[[exit.check.allow]]
from = 20
to = 10
ports = [8006, 22, 443]
[[exit.check.allow]]
from = 40
to = "internet"
[[exit.check.deny]]
from = 30
to = 10
[[exit.check.deny]]
from = 40
to = "any"
"""


def write_project(root: Path, sim: UnifiSim, monkeypatch: pytest.MonkeyPatch, *, unifi: bool = True) -> Path:
    (root / "phases").mkdir(parents=True, exist_ok=True)
    criteria = ""
    for name, check in CRITERIA.items():
        fields = "\n".join(f"{key} = {json.dumps(value)}" for key, value in check.items())
        criteria += f'\n[[exit]]\nid = "{name}"\ntitle = "{name}"\nprinciple = "vlan-segmentation"\n[exit.check]\n{fields}\n'
    (root / "phases" / "0.toml").write_text(PHASE.format(criteria=criteria + DENY_FLOWS))
    lines = ['phases_dir = "phases"']
    if unifi:
        monkeypatch.setenv("TEST_UNIFI_PASSWORD", sim.password)
        lines += [
            "[unifi]",
            f'api_url = "{sim.url}"',
            f'username = "{sim.username}"',
            'password = { env = "TEST_UNIFI_PASSWORD" }',
            f'tls = {{ fingerprint = "{sim.fingerprint}" }}',
        ]
    (root / "cockpit.toml").write_text("\n".join(lines) + "\n")
    return root / "cockpit.toml"


@pytest.fixture
def run(
    sim: UnifiSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], dict[str, CheckResult]]:
    def run_criteria() -> dict[str, CheckResult]:
        project = load_project(str(write_project(tmp_path, sim, monkeypatch)))
        ctx = CheckContext(project, store=None)  # type: ignore[arg-type]  # no unifi evaluator reads the store

        async def run_all() -> list[CheckResult]:
            jobs = [EVALUATORS[c.check.type](c, ctx) for _, c in project.phases[0].criteria()]
            return list(await asyncio.gather(*jobs))

        return {r.criterion: r for r in asyncio.run(run_all())}

    return run_criteria


def outcomes(results: dict[str, CheckResult]) -> dict[str, str]:
    return {name: r.result for name, r in results.items()}


def test_the_healthy_console_passes_every_criterion(
    run: Callable[[], dict[str, CheckResult]], sim: UnifiSim
) -> None:
    results = run()
    assert set(outcomes(results).values()) == {"pass"}, {n: r.detail for n, r in results.items()}
    assert results["vlan-10"].observed == [
        {
            "name": "Management",
            "vlan": 10,
            "subnet": "192.168.10.0/24",
            "untagged": False,
            "purpose": "corporate",
        }
    ]
    assert sim.url in (results["vlan-10"].evidence or "")
    deny = results["deny"]
    assert deny.observed["api"] == "zone" and deny.observed["default"] == "deny"
    assert "zone-based policies" in (deny.evidence or "")
    assert {
        "from": 20,
        "to": 10,
        "allowed": True,
        "ports": [22, 443, 8006],
        "default": "deny",
        "rules": ["Allow Trusted to Management on 8006, 22, 443"],
    } in deny.observed["flows"]
    assert sim.session_count == 0  # every evaluation logged out


def test_an_allow_between_vlans_fails_default_deny(
    run: Callable[[], dict[str, CheckResult]], sim: UnifiSim
) -> None:
    sim.allow_between(30, 10)
    sim.allow_between(10, 40)
    results = run()
    assert outcomes(results) == {
        **{f"vlan-{v}": "pass" for v in DESIGN_VLANS},
        "management": "pass",
        "deny": "fail",
    }
    detail = results["deny"].detail
    assert "deny 30 -> 10: allowed on every port by Allow Services to Management" in detail
    assert "extra allow 10 -> 40 on every port by Allow Management to IoT" in detail


def test_removing_the_default_drop_fails_default_deny(
    run: Callable[[], dict[str, CheckResult]], sim: UnifiSim
) -> None:
    sim.remove_default_drop()
    result = run()["deny"]
    assert result.result == "fail" and result.observed["default"] == "allow"
    assert "not denied by default" in result.detail and "deny 40 -> 20: allowed" in result.detail


def test_management_on_the_default_network_fails(
    run: Callable[[], dict[str, CheckResult]], sim: UnifiSim
) -> None:
    sim.move_management_to_default()
    results = run()
    assert results["management"].result == "fail"
    assert "untagged Default network (VLAN 1)" in results["management"].detail
    assert results["vlan-10"].result == "fail" and "no network carries VLAN 10" in results["vlan-10"].detail
    assert results["deny"].result == "fail" and "VLAN 10 is not a routed network" in results["deny"].detail


def test_a_removed_vlan_fails(run: Callable[[], dict[str, CheckResult]], sim: UnifiSim) -> None:
    sim.remove_vlan(40)
    results = run()
    assert outcomes(results)["vlan-40"] == "fail" and outcomes(results)["vlan-30"] == "pass"
    assert "VLAN 40 is not a routed network" in results["deny"].detail


def test_a_down_console_is_an_error_never_a_pass(
    run: Callable[[], dict[str, CheckResult]], faults: Faults
) -> None:
    faults.set_down("unifi")
    results = run()
    assert set(outcomes(results).values()) == {"error"}
    assert all("unifi:" in r.detail and r.expected for r in results.values())


def test_no_unifi_section_is_an_error_through_the_engine(
    sim: UnifiSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cockpit.checks import runner as engine

    for check_type, evaluator in EVALUATORS.items():
        monkeypatch.setitem(engine.EVALUATORS, check_type, evaluator)
    config = write_project(tmp_path, sim, monkeypatch, unifi=False)
    project = load_project(str(config))
    criterion = project.phases[0].criterion("vlan-10")
    assert criterion is not None
    outcome = asyncio.run(engine_evaluate(criterion, CheckContext(project, store=None)))  # type: ignore[arg-type]
    assert outcome.result == "error" and "has no [unifi] section" in outcome.detail
    assert str(config) in outcome.detail


def test_ports_wider_or_narrower_than_the_allow_are_findings() -> None:
    def flow(source: int, destination: Any, allowed: bool, ports: tuple[int, ...] | None) -> FlowVerdict:
        protocols = ("tcp",) if allowed else ()
        return FlowVerdict(
            source=source,
            destination=destination,
            allowed=allowed,
            ports=ports,
            protocols=protocols,
            fallback="deny",
            rules=("r",) if allowed else (),
        )

    policy = FirewallPolicy(
        api="legacy",
        default="deny",
        rule_count=1,
        flows=(
            flow(20, 10, True, (22, 3493)),
            flow(10, 20, False, ()),
            flow(20, "internet", True, None),
            flow(10, "internet", True, None),
        ),
    )
    check = UnifiDefaultDeny.model_validate(
        {
            "type": "unifi.default_deny",
            "vlans": [10, 20],
            "allow": [{"from": 20, "to": 10, "ports": [22, 443]}],
        }
    )
    criterion = Criterion(id="c", title="c", principle="vlan-segmentation", check=check)

    class Fake:
        base_url = "https://127.10.0.1"

        def path(self, endpoint: str, v2: bool = False) -> str:
            return endpoint

        def __enter__(self) -> Fake:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def firewall(self) -> FirewallPolicy:
            return policy

    import cockpit.checks.unifi as module

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "client_for", lambda project: Fake())
        outcome = asyncio.run(evaluate_default_deny(criterion, CheckContext(None, store=None)))  # type: ignore[arg-type]
    assert outcome.result == "fail"
    assert "allow 20 -> 10: not open on 443" in outcome.detail
    assert "allow 20 -> 10: also open on 3493" in outcome.detail


# -- a third-party client, unchanged ----------------------------------------------------------------------


def test_aiounifi_logs_in_and_reads_networkconf_unchanged(sim: UnifiSim) -> None:
    aiounifi = pytest.importorskip("aiounifi")
    import aiohttp
    from aiounifi.models.api import ApiRequest
    from aiounifi.models.configuration import Configuration

    host, port = sim.url.removeprefix("https://").rsplit(":", 1)

    async def scenario() -> tuple[list[dict[str, Any]], type[Exception]]:
        context = ssl.create_default_context(cafile=str(sim.cert_file))
        jar = aiohttp.CookieJar(unsafe=True)  # the console is addressed by IP, as Home Assistant does
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            config = Configuration(
                session,
                host,
                username=sim.username,
                password=sim.password,
                port=int(port),
                ssl_context=context,
            )
            controller = aiounifi.Controller(config)
            await controller.login()
            networks = await controller.request(ApiRequest("get", "/rest/networkconf"))
            await controller.sites.update()
            assert list(controller.sites.values())[0].name == "default"
            wrong = aiounifi.Controller(
                Configuration(
                    session,
                    host,
                    username=sim.username,
                    password="wrong",
                    port=int(port),
                    ssl_context=context,
                )
            )
            try:
                await wrong.login()
            except aiounifi.AiounifiException as exc:
                return networks["data"], type(exc)
            raise AssertionError("a wrong password logged in")

    data, refused = asyncio.run(scenario())
    assert [n.get("vlan") for n in data if n["purpose"] == "corporate"] == [None, *DESIGN_VLANS]
    assert refused.__name__ == "Forbidden"  # aiounifi's name for UniFi OS's 403
