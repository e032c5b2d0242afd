"""AdGuard Home contract: the simulator and the adapter against the server's own OpenAPI document.

The yaml (AdGuardHome v0.107.79 `openapi/openapi.yaml`, in `../shared/specs/`) is loaded as it is and
its schemas are made strict here (no property the schema does not name), so neither side can invent a
field. Where the real server's code differs from its own spec, the simulator copies the code; those
places are the short allow-list DEVIATIONS below, and nothing else may differ. The last test checks
that every entry of the list is still needed, so it cannot grow stale.
"""

from __future__ import annotations

import copy
import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from cockpit.adapters.adguard import AdGuardClient, Rewrite
from cockpit.lab.adguard import ROUTES, AdGuardSim
from cockpit.lab.faults import Faults

SPECS = Path(__file__).resolve().parents[2] / "shared" / "specs"
SPEC_FILE = SPECS / "adguardhome-openapi.yaml"
SPEC_URI = "urn:adguardhome:openapi"
USER, PASSWORD = "admin", "adguard-lab-password"
AUTH = (USER, PASSWORD)

# The places where the real server differs from its own spec (specs README, section 1). Allowed, and
# nothing else: a response that matches neither the spec nor one of these fails the contract.
DEVIATIONS = {
    "login-403": "POST /login with wrong credentials answers 403 `invalid username or password`; the spec says 400.",
    "login-ok-body": "POST /login answers 200 with the body `OK\\n` (text/plain); the spec declares no body.",
    "plain-text-errors": (
        "Errors are Go's http.Error, `text/plain` `<message>\\n`, never the spec's `Error` JSON schema, and the "
        "shared middleware's refusals are not declared per operation: 401 with an empty body (auth), "
        "405 (method), 415 (content type), 400 (`json.Decode: ...`, `normalizing: ...`, `target rule not found`); "
        "the 429 of POST /login is declared without a body but carries `auth: blocked for ...`."
    ),
}


def deviation(method: str, path: str, response: httpx.Response) -> str | None:
    """The allow-list entry that explains a response the spec does not declare, if any."""
    status = response.status_code
    if (method, path, status) == ("post", "/login", 403):
        return "login-403"
    if (method, path, status) == ("post", "/login", 200) and response.content == b"OK\n":
        return "login-ok-body"
    if status in (400, 401, 405, 415, 429) and _plain_text_error(response):
        return "plain-text-errors"
    return None


def _plain_text_error(response: httpx.Response) -> bool:
    if response.status_code == 401:
        return response.content == b"" and "WWW-Authenticate" not in response.headers
    return response.headers.get("Content-Type") == "text/plain; charset=utf-8" and response.text.endswith(
        "\n"
    )


# -- the spec ------------------------------------------------------------------------------------------


def _require(module: str) -> ModuleType:
    if os.environ.get("CI") == "true":
        return importlib.import_module(module)
    return pytest.importorskip(
        module, reason=f"{module} is needed for the contract tests; CI=true makes this a failure"
    )


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not SPEC_FILE.is_file():
        pytest.skip(
            f"the AdGuard Home OpenAPI document is not here: {SPEC_FILE} (the shared specs folder is absent)"
        )
    yaml = _require("yaml")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return dict(yaml.load(SPEC_FILE.read_text(), Loader=loader))


def _strict(node: Any) -> Any:
    """Every object schema that names its properties allows no others (the yaml leaves that open)."""
    if isinstance(node, dict):
        node = {key: _strict(value) for key, value in node.items()}
        if "properties" in node and "additionalProperties" not in node and "allOf" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


@pytest.fixture(scope="module")
def validate(spec: dict[str, Any]) -> Any:
    """validate(instance, *pointer): check `instance` against the schema at that JSON pointer of the yaml."""
    jsonschema = _require("jsonschema")
    referencing = _require("referencing")
    drafts = _require("referencing.jsonschema")
    document = _strict(copy.deepcopy(spec))
    resource = referencing.Resource.from_contents(document, default_specification=drafts.DRAFT202012)
    registry = referencing.Registry().with_resource(SPEC_URI, resource)

    def check(instance: Any, *pointer: str) -> None:
        escaped = "/".join(part.replace("~", "~0").replace("/", "~1") for part in pointer)
        schema = {"$ref": f"{SPEC_URI}#/{escaped}"}
        jsonschema.Draft202012Validator(schema, registry=registry).validate(instance)

    return check


def operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return dict(spec["paths"][path][method])


def request_schema(spec: dict[str, Any], method: str, path: str) -> tuple[str, ...]:
    """The JSON pointer of an operation's request body schema (following a requestBodies $ref)."""
    body = operation(spec, method, path)["requestBody"]
    if "$ref" in body:
        name = body["$ref"].rsplit("/", 1)[-1]
        return ("components", "requestBodies", name, "content", "application/json", "schema")
    return ("paths", path, method, "requestBody", "content", "application/json", "schema")


# -- simulators --------------------------------------------------------------------------------------------


@pytest.fixture
def sim() -> Iterator[AdGuardSim]:
    with AdGuardSim(Faults()) as running:
        yield running


@pytest.fixture
def legacy() -> Iterator[AdGuardSim]:
    with AdGuardSim(Faults(), version="v0.107.32") as running:
        yield running


def seed(sim: AdGuardSim) -> None:
    sim.add_rewrite("immich.home.arpa", "127.20.0.11")
    sim.add_rewrite("*.svc.home.arpa", "127.30.0.60")
    sim.add_rewrite("photos.home.arpa", "immich.home.arpa")
    sim.add_rewrite("nas.home.arpa", "fd00::10")
    if sim.has((0, 107, 68)):
        sim.add_rewrite("old.home.arpa", "127.20.0.99", enabled=False)


# == tests ====================================================================================================


def test_every_path_the_simulator_serves_is_in_the_spec_with_that_method(spec: dict[str, Any]) -> None:
    for path, route in ROUTES.items():
        api_path = path.removeprefix("/control")
        assert api_path in spec["paths"], f"{path} is not in the spec"
        assert route.method.lower() in spec["paths"][api_path], f"{route.method} {path} is not in the spec"


@pytest.mark.parametrize("pose", ["sim", "legacy"])
def test_status_and_rewrite_list_match_the_spec(
    request: pytest.FixtureRequest, validate: Any, pose: str
) -> None:
    simulator: AdGuardSim = request.getfixturevalue(pose)
    seed(simulator)
    with httpx.Client(base_url=simulator.url, auth=AUTH) as http:
        for path in ("/status", "/rewrite/list"):
            response = http.get(f"/control{path}")
            assert response.headers["Content-Type"] == "application/json"
            body = response.json()
            validate(body, "paths", path, "get", "responses", "200", "content", "application/json", "schema")
        assert len(body) == len(simulator.rewrites())


def test_rewrite_settings_match_the_spec(sim: AdGuardSim, validate: Any) -> None:
    with httpx.Client(base_url=sim.url, auth=AUTH) as http:
        body = http.get("/control/rewrite/settings").json()
    validate(
        body, "paths", "/rewrite/settings", "get", "responses", "200", "content", "application/json", "schema"
    )


class Recording(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return super().handle_request(request)


@pytest.mark.parametrize("pose", ["sim", "legacy"])
def test_the_request_bodies_the_adapter_sends_match_the_spec(
    request: pytest.FixtureRequest, spec: dict[str, Any], validate: Any, pose: str
) -> None:
    simulator: AdGuardSim = request.getfixturevalue(pose)
    recorder = Recording()
    with AdGuardClient(simulator.url, USER, PASSWORD, transport=recorder) as client:
        client.login()
        client.add_rewrite("immich.home.arpa", "127.20.0.11")
        before, after = (
            Rewrite(domain="immich.home.arpa", answer="127.20.0.11"),
            Rewrite(domain="immich.home.arpa", answer="127.30.0.10", enabled=True),
        )
        client.update_rewrite(before, after)  # the legacy pose takes the add-then-delete path
        client.delete_rewrite("immich.home.arpa", "127.30.0.10")
    bodies = [r for r in recorder.sent if r.content]
    assert {f"{r.method} {r.url.path}" for r in bodies} >= {
        "POST /control/login",
        "POST /control/rewrite/add",
        "POST /control/rewrite/delete",
    }
    for sent in bodies:
        method, path = sent.method.lower(), sent.url.path.removeprefix("/control")
        assert sent.headers["Content-Type"] == "application/json"
        validate(httpx.Response(200, content=sent.content).json(), *request_schema(spec, method, path))


def _scenarios(sim: AdGuardSim) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, httpx keyword arguments): every answer the API gives, good and bad, in order."""
    entry = {"domain": "nas.home.arpa", "answer": "192.168.1.10"}
    moved = {"domain": "nas.home.arpa", "answer": "192.168.1.20"}
    wrong_login = {"json": {"name": USER, "password": "wrong"}}
    return [
        ("get", "/status", {"auth": AUTH}),
        ("get", "/status", {}),  # 401
        ("post", "/rewrite/add", {"auth": AUTH, "json": entry}),
        ("post", "/rewrite/add", {"auth": AUTH, "json": {"domain": "x", "answer": "bad name"}}),  # 400
        (
            "post",
            "/rewrite/add",
            {"auth": AUTH, "content": b"{", "headers": {"Content-Type": "application/json"}},
        ),
        (
            "post",
            "/rewrite/add",
            {"auth": AUTH, "content": b"{}", "headers": {"Content-Type": "text/json"}},
        ),  # 415
        ("get", "/rewrite/add", {"auth": AUTH}),  # 405
        ("get", "/rewrite/list", {"auth": AUTH}),
        ("put", "/rewrite/update", {"auth": AUTH, "json": {"target": entry, "update": moved}}),
        (
            "put",
            "/rewrite/update",
            {"auth": AUTH, "json": {"target": entry, "update": moved}},
        ),  # 400 not found
        ("post", "/rewrite/delete", {"auth": AUTH, "json": moved}),
        ("post", "/rewrite/delete", {"auth": AUTH, "json": moved}),  # a miss: still 200
        ("get", "/rewrite/settings", {"auth": AUTH}),
        ("put", "/rewrite/settings/update", {"auth": AUTH, "json": {"enabled": True}}),
        ("post", "/cache_clear", {"auth": AUTH}),
        ("post", "/login", {"json": {"name": USER, "password": PASSWORD}}),
        ("get", "/logout", {}),
        *[("post", "/login", wrong_login)] * 5,  # 403, five times
        ("post", "/login", wrong_login),  # 429: blocked
    ]


def test_every_answer_matches_the_spec_or_a_listed_deviation(
    sim: AdGuardSim, spec: dict[str, Any], validate: Any
) -> None:
    used: set[str] = set()
    with httpx.Client(base_url=sim.url) as http:
        for method, path, kwargs in _scenarios(sim):
            response = http.request(method.upper(), f"/control{path}", **kwargs)
            where = f"{method.upper()} {path} -> {response.status_code} {response.text[:80]!r}"
            # A wrong method has no operation in the spec: only a deviation can explain its answer.
            responses = spec["paths"][path].get(method, {}).get("responses", {})
            declared = responses.get(str(response.status_code))
            if declared is not None and _matches(declared, response, validate, (path, method)):
                continue
            reason = deviation(method, path, response)
            assert reason is not None, f"{where}: neither the spec nor an allowed deviation explains it"
            used.add(reason)
    assert used == set(DEVIATIONS), f"allow-list entries no answer needed: {set(DEVIATIONS) - used}"


def _matches(
    declared: dict[str, Any], response: httpx.Response, validate: Any, where: tuple[str, str]
) -> bool:
    """Whether a response fits what the spec declares for its status."""
    content = declared.get("content")
    if content is None:
        return response.content == b""  # the spec declares no body
    if "application/json" not in content or response.headers.get("Content-Type") != "application/json":
        return False
    path, method = where
    status = str(response.status_code)
    validate(
        response.json(), "paths", path, method, "responses", status, "content", "application/json", "schema"
    )
    return True
