"""The simulator's JSON against Pi-hole's own OpenAPI spec (FTL v6.4.1, shared/specs/pihole-v6).

Each answer is checked three ways: it validates against the response schema (relative $refs
resolved across the yaml files, OpenAPI's `nullable` turned into JSON Schema), it has no
top-level key the schema does not declare (the schemas declare no `required`, so this is what
catches a wrong shape), and it equals the spec's named example except for dynamic values.

Where the real server differs from its own spec (shared/specs/README.md, section 2; the code
wins), the difference is listed in DEVIATIONS. Exactly those differences must show, no others:
a deviation that stops showing fails too, so the list cannot go stale.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from cockpit.lab.faults import Faults
from cockpit.lab.pihole import DEFAULT_PASSWORD, PiholeSim

SPECS = Path(__file__).resolve().parents[2] / "shared" / "specs" / "pihole-v6"
pytestmark = pytest.mark.skipif(
    not (SPECS / "main.yaml").is_file(), reason=f"Pi-hole's OpenAPI spec is not at {SPECS}"
)

# Where the real FTL v6.4.1 differs from its spec, by checked case: {difference: why}.
# "shape: ..." is a top-level key the schema does not declare; "/a/b: ..." differs from the example.
NO_CSRF = "FTL's no-session object has no csrf key; the example shows csrf: null (README 2a's shape)"
PATH_DEPTH_HINT = (
    "api_config_put_delete() hints at {method} /api/config/dnsmasq/upstreams/...; the example at "
    "DELETE /config/dns/upstreams/... (FTL source, src/api/config.c; the README does not quote it)"
)
DEVIATIONS: dict[str, dict[str, str]] = {
    "login_okay": {
        "/session/message: 'password correct' != 'correct password'": "README 2a: the code's wording"
    },
    "wrong password": {
        "shape: unexpected key 'session'": "README 2a: a wrong password gets the session object, not the envelope",
        "/session/csrf: missing": NO_CSRF,
    },
    "login_failed": {"/session/csrf: missing": NO_CSRF},
    "invalid_path_depth put": {"/error/hint: differs": PATH_DEPTH_HINT.format(method="PUT")},
    "invalid_path_depth delete": {"/error/hint: differs": PATH_DEPTH_HINT.format(method="DELETE")},
}
DYNAMIC = {"took", "sid", "csrf", "validity"}  # compared by type only

# -- the spec ---------------------------------------------------------------------------------------


@functools.cache
def load(name: str) -> Any:
    return yaml.safe_load((SPECS / name).read_text(encoding="utf-8"))


def pointer(document: Any, fragment: str) -> Any:
    node = document
    for part in fragment.lstrip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def resolve(node: Any, base: str, depth: int = 0) -> Any:
    """Inline every $ref (relative to the file it appears in) and turn `nullable` into JSON Schema."""
    assert depth < 40, "a $ref cycle in the spec"
    if isinstance(node, list):
        return [resolve(item, base, depth) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        file, _, fragment = node["$ref"].partition("#")
        file = file or base
        return resolve(pointer(load(file), fragment), file, depth + 1)
    out = {key: resolve(value, base, depth) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def response_spec(path: str, method: str, status: str) -> dict[str, Any]:
    """The response object main.yaml declares for `method path` answering `status`."""
    operation = resolve(load("main.yaml")["paths"][path], "main.yaml")[method]
    return dict(operation["responses"][status])


def schema_of(path: str, method: str, status: str) -> dict[str, Any] | None:
    content = response_spec(path, method, status).get("content")
    return content["application/json"]["schema"] if content else None


def example(path: str, method: str, status: str, name: str) -> Any:
    examples = response_spec(path, method, status)["content"]["application/json"]["examples"]
    return examples[name]["value"]


def component(ref: str) -> Any:
    """A component by reference, e.g. 'common.yaml#/components/schemas/took'."""
    return resolve({"$ref": ref}, "main.yaml")


def named_example(name: str) -> Any:
    return component(f"auth.yaml#/components/examples/{name}")["value"]


def declared_keys(schema: dict[str, Any]) -> set[str]:
    keys = set(schema.get("properties", {}))
    for part in schema.get("allOf", []) + schema.get("oneOf", []) + schema.get("anyOf", []):
        keys |= declared_keys(part)
    return keys


def differences(actual: Any, expected: Any, where: str = "") -> list[str]:
    """Where `actual` differs from the example (dynamic values: by type only)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = [f"{where}/{k}: missing" for k in expected if k not in actual]
        found += [f"{where}/{k}: unexpected" for k in actual if k not in expected]
        for key in expected.keys() & actual.keys():
            if key in DYNAMIC:
                numbers = (int, float)
                same = isinstance(actual[key], numbers) if isinstance(expected[key], numbers) else True
                found += [] if same else [f"{where}/{key}: type {type(actual[key]).__name__}"]
            else:
                found += differences(actual[key], expected[key], f"{where}/{key}")
        return found
    if actual == expected:
        return []
    if isinstance(actual, str) and isinstance(expected, str) and len(actual) + len(expected) > 60:
        return [f"{where}: differs"]
    return [f"{where}: {actual!r} != {expected!r}"]


def check(
    response: httpx.Response, path: str, method: str, case: str, *, schema: Any = None, ex: Any = None
) -> None:
    """Validate one answer against the spec; exactly the allow-listed deviations of `case` may show."""
    status = str(response.status_code)
    body = response.json()
    schema = schema if schema is not None else schema_of(path, method, status)
    assert schema is not None, f"the spec declares no JSON body for {method.upper()} {path} {status}"
    jsonschema.Draft7Validator(schema).validate(body)
    found = [f"shape: unexpected key {key!r}" for key in body if key not in declared_keys(schema)]
    if ex is not None:
        found += differences(body, ex)
    assert sorted(found) == sorted(DEVIATIONS.get(case, {})), body


def took_only() -> dict[str, Any]:
    return component("common.yaml#/components/schemas/took")


def with_took(ref: str) -> dict[str, Any]:
    return {"allOf": [component(ref), took_only()]}


# -- the simulator ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim() -> Iterator[PiholeSim]:
    with PiholeSim(Faults(), max_sessions=4) as running:
        yield running


@pytest.fixture
def raw(sim: PiholeSim) -> Iterator[httpx.Client]:
    sim.reset()
    with httpx.Client(base_url=sim.url, timeout=5, trust_env=False) as client:
        yield client
        client.cookies.clear()


def login(raw: httpx.Client, password: str = DEFAULT_PASSWORD) -> httpx.Response:
    response = raw.post("/api/auth", json={"password": password})
    raw.cookies.clear()  # every check below states its SID explicitly
    return response


@pytest.fixture
def sid(raw: httpx.Client) -> dict[str, str]:
    return {"X-FTL-SID": login(raw).json()["session"]["sid"]}


# -- auth -------------------------------------------------------------------------------------------


def test_login(raw: httpx.Client) -> None:
    ex = example("/auth", "post", "200", "login_okay")
    check(login(raw), "/auth", "post", "login_okay", ex=ex)


def test_wrong_password(raw: httpx.Client) -> None:
    check(login(raw, "wrong"), "/auth", "post", "wrong password", ex=named_example("login_required"))


def test_no_password_field(raw: httpx.Client) -> None:
    ex = example("/auth", "post", "400", "no_password")
    check(raw.post("/api/auth", json={}), "/auth", "post", "no_password", ex=ex)


def test_no_free_seat(raw: httpx.Client, sim: PiholeSim) -> None:
    for _ in range(sim.max_sessions):
        login(raw)
    check(login(raw), "/auth", "post", "no_seats", ex=example("/auth", "post", "429", "no_seats"))


def test_session_status(raw: httpx.Client, sid: dict[str, str]) -> None:
    check(raw.get("/api/auth", headers=sid), "/auth", "get", "session status")


def test_session_status_without_a_sid(raw: httpx.Client) -> None:
    ex = named_example("login_failed")  # message "no SID provided"
    check(raw.get("/api/auth"), "/auth", "get", "login_failed", ex=ex)


def test_logout_has_no_body(raw: httpx.Client, sid: dict[str, str]) -> None:
    response = raw.delete("/api/auth", headers=sid)
    assert (response.status_code, response.content) == (204, b"")
    assert "content" not in response_spec("/auth", "delete", "204")


def test_unauthenticated_call(raw: httpx.Client) -> None:
    schema = schema_of("/config/{element}", "get", "401")
    properties = component("common.yaml#/components/errors/unauthorized")["properties"]["error"]["properties"]
    ex = {"error": {key: spec["example"] for key, spec in properties.items()}, "took": 0.003}
    check(raw.get("/api/config/dns/hosts"), "/config/{element}", "get", "unauthorized", schema=schema, ex=ex)


# -- config -----------------------------------------------------------------------------------------


def test_dns_hosts(raw: httpx.Client, sim: PiholeSim, sid: dict[str, str]) -> None:
    sim.add_host("192.168.1.10", "nas.lan")
    response = raw.get("/api/config/dns/hosts", params={"detailed": "false"}, headers=sid)
    # the spec gives /config/{element} no schema: "a filtered subset of the full GET /config response"
    check(response, "/config/{element}", "get", "dns hosts", schema=schema_of("/config", "get", "200"))
    assert response.json()["config"] == {"dns": {"hosts": ["192.168.1.10 nas.lan"]}}


def test_patch_config(raw: httpx.Client, sid: dict[str, str]) -> None:
    body = {"config": {"dns": {"hosts": ["192.168.1.10 nas.lan"]}}}
    check(raw.patch("/api/config", json=body, headers=sid), "/config", "patch", "patch")


def test_item_already_present(raw: httpx.Client, sim: PiholeSim, sid: dict[str, str]) -> None:
    sim.add_host("192.168.1.10", "nas.lan")
    response = raw.put("/api/config/dns/hosts/192.168.1.10%20nas.lan", headers=sid)
    ex = example("/config/{element}/{value}", "put", "400", "item_already_present")
    check(response, "/config/{element}/{value}", "put", "item_already_present", ex=ex)


@pytest.mark.parametrize("method", ["put", "delete"])
def test_invalid_path_depth(raw: httpx.Client, sid: dict[str, str], method: str) -> None:
    response = raw.request(method.upper(), "/api/config/dns", headers=sid)
    ex = example("/config/{element}/{value}", method, "400", "invalid_path_depth")
    check(response, "/config/{element}/{value}", method, f"invalid_path_depth {method}", ex=ex)


def test_invalid_value(raw: httpx.Client, sid: dict[str, str]) -> None:
    response = raw.put("/api/config/dns/hosts/x%20nas.lan", headers=sid)
    check(response, "/config/{element}/{value}", "put", "invalid value")
    assert response.json()["error"]["message"] == "Invalid value"


def test_delete_absent_item(raw: httpx.Client, sid: dict[str, str]) -> None:
    response = raw.delete("/api/config/dns/hosts/192.168.1.10%20nas.lan", headers=sid)
    check(response, "/config/{element}/{value}", "delete", "absent item", ex={"took": 0.003})


def test_put_item_answers_took(raw: httpx.Client, sid: dict[str, str]) -> None:
    response = raw.put("/api/config/dns/hosts/192.168.1.10%20nas.lan", headers=sid)
    assert response.status_code == 201  # the spec declares no body: "There will be no content"
    check(response, "/config/{element}/{value}", "put", "item added", schema=took_only(), ex={"took": 0.003})


# -- info, dns, errors ----------------------------------------------------------------------------


def test_version(raw: httpx.Client, sid: dict[str, str]) -> None:
    check(raw.get("/api/info/version", headers=sid), "/info/version", "get", "version")


def test_blocking(raw: httpx.Client, sid: dict[str, str]) -> None:
    check(raw.get("/api/dns/blocking", headers=sid), "/dns/blocking", "get", "blocking")


def test_unknown_endpoint_and_injected_fault_use_the_error_envelope(
    raw: httpx.Client, sim: PiholeSim, sid: dict[str, str]
) -> None:
    # neither has a spec path of its own: both must fit the generic envelope
    envelope = with_took("common.yaml#/components/errors/bad_request")
    ex = {"error": {"key": "not_found", "message": "Not found", "hint": "/api/none"}, "took": 0.003}
    check(raw.get("/api/none", headers=sid), "/none", "get", "not_found", schema=envelope, ex=ex)
    sim.faults.set_errors("pihole", 1)
    try:
        check(raw.get("/api/dns/blocking", headers=sid), "/fault", "get", "fault", schema=envelope)
    finally:
        sim.faults.clear()


def test_the_allow_list_is_short() -> None:
    assert sum(len(entries) for entries in DEVIATIONS.values()) <= 6


def test_the_checker_catches_drift() -> None:
    """A wrong type, an undeclared top-level key or a changed message each fail the check."""
    ok = {"error": {"key": "bad_request", "message": "No password found in JSON payload", "hint": None}}
    ex = example("/auth", "post", "400", "no_password")
    drifted = [
        {**ok, "took": "fast"},
        {**ok, "took": 0.1, "status": "error"},
        {"error": {**ok["error"], "message": "no password"}, "took": 0.1},
    ]
    for body in drifted:
        with pytest.raises((AssertionError, jsonschema.ValidationError)):
            check(httpx.Response(400, json=body), "/auth", "post", "drift", ex=ex)
    check(httpx.Response(400, json={**ok, "took": 0.1}), "/auth", "post", "drift", ex=ex)
