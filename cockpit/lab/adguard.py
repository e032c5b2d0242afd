"""Provides an AdGuard Home simulator: the /control API of v0.107.x, and DNS answered from its rewrites.

What it copies from the real server (the specs README, section 1, and AdGuard Home's own source where
the README is silent; the code wins over the OpenAPI yaml):

- Auth (`home/authhttp.go`): the `agh_session` cookie from `POST /control/login`, or Basic auth on
  each call. A cookie, when sent, is the only thing checked (a stale one is 401 even with good Basic).
  Refusals are 401 with an empty body and no WWW-Authenticate. A wrong login is 403 (the yaml says
  400); after 5 failures from one address within a minute, `/control/login` answers 429 with
  Retry-After for 15 minutes. Failed Basic attempts count toward that limit, and a blocked address
  gets the same silent 401 from Basic auth as a wrong password does.
- Every handler (`home/control.go`, `ensure`): auth first, then the method (405 `only method X is
  allowed`), then for POST/PUT/DELETE the Content-Type, which must be exactly `application/json`
  when there is a body and absent when there is none (415). Errors are Go's `http.Error`:
  `text/plain; charset=utf-8`, `<message>\\n`. JSON is Go's encoder: compact, ending in a newline.
  Write handlers answer 200 with an empty body; an unknown path is `404 page not found`.
- Rewrites (`filtering/rewritehttp.go`): add lowercases the domain, checks the answer and never
  refuses a duplicate; delete drops every exact match (without lowercasing) and answers 200 even
  for none; update replaces the first exact match in place under one lock, keeps `enabled` when the
  update leaves it out, and says `target rule not found` (400) otherwise.
- Versions: the constructor's version decides which endpoints exist, as the release tags do:
  `PUT /control/rewrite/update` from v0.107.33, the rewrite settings and each entry's `enabled`
  from v0.107.68, `POST /control/cache_clear` from v0.107.20. An older pose answers a newer path
  with `404 page not found`, as that server's router would.
- DNS (`filtering/rewrites.go`, `dnsforward`): A/AAAA answers with TTL 10 (blocked_response_ttl),
  one record per matching rewrite; CNAME rewrites are followed through further rewrites and
  answered as one CNAME from the asked name to the final name plus its records; an exact name
  beats a wildcard and a wildcard never matches its apex; a known name without a record of the
  asked type is NOERROR with no data; disabled entries, and all entries while rewrites are off,
  are ignored.

Not simulated: an upstream (whatever the real server would forward, the lab answers NXDOMAIN),
filtering and blocking, gzip, the install wizard, TLS, the rest of the API (404). Go's JSON error
texts after `json.Decode: ` and the reason after `invalid CNAME target` are close copies, not exact.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import ipaddress
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import dns.rcode
import dns.rdatatype

from cockpit.lab.dnsserver import Answer, LabDnsServer, Record
from cockpit.lab.faults import Faults
from cockpit.lab.httpserver import LabHandler, LabHTTPServer

BACKEND = "adguard"
DEFAULT_VERSION = "v0.107.79"
Version = tuple[int, int, int]

SINCE_CACHE_CLEAR: Version = (0, 107, 20)
SINCE_UPDATE: Version = (0, 107, 33)
SINCE_ENABLED: Version = (0, 107, 68)  # the rewrite settings and each entry's `enabled`
NEWEST: Version = (0, 999, 999)  # what a version that does not parse (a dev build) is taken for

BLOCKED_RESPONSE_TTL = 10  # dns.blocked_response_ttl's default: the TTL of rewrite answers
AUTH_ATTEMPTS = 5  # auth_attempts
BLOCK_SECONDS = 15 * 60.0  # block_auth_min
FAILED_AUTH_TTL = 60.0  # how long a failed attempt is remembered (authratelimiter.go)
SESSION_COOKIE = "agh_session"
COOKIE_DAYS = 365

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"


def parse_version(text: str) -> Version | None:
    """`v0.107.79` -> (0, 107, 79); None for what is not a release version (a dev build, "")."""
    # Deliberately not shared with the adapter: the simulator must not inherit the client's mistakes.
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", text.strip())
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


@dataclass(frozen=True)
class SimRewrite:
    """One entry of `filtering.rewrites`, as stored (domain lowercased, answer as sent)."""

    domain: str
    answer: str
    enabled: bool = True


# -- normalization (filtering/rewrites.go: LegacyRewrite.normalize) ---------------------------------


class AnswerError(ValueError):
    """An answer that is neither an IP address, `A`/`AAAA`, nor a valid hostname."""


_LABEL = re.compile(r"[A-Za-z0-9-]+")


def hostname_problem(name: str) -> str | None:
    """Why `name` is no valid hostname (golibs netutil.ValidateHostname), or None."""
    if not name:
        return 'bad hostname "": hostname is empty'
    if len(name) > 253:
        return f"bad hostname {_go_quote(name)}: hostname is too long"
    for label in name.split("."):
        if not label:
            return f"bad hostname label {_go_quote(label)}: hostname label is empty"
        if len(label) > 63:
            return f"bad hostname label {_go_quote(label)}: hostname label is too long"
        if not _LABEL.fullmatch(label):
            rune = next(c for c in label if not _LABEL.fullmatch(c))
            return f"bad hostname label {_go_quote(label)}: bad hostname label rune '{rune}'"
        if label[0] == "-" or label[-1] == "-":
            return f"bad hostname label {_go_quote(label)}: hostname label starts or ends with a hyphen"
    return None


def check_answer(answer: str) -> None:
    """Raise AnswerError with the server's message unless `answer` normalizes."""
    if _answer_kind(answer)[0] == dns.rdatatype.CNAME:
        problem = hostname_problem(answer)
        if problem:
            raise AnswerError(f"invalid CNAME target {_go_quote(answer)}: {problem}")


def _answer_kind(answer: str) -> tuple[int, str | None]:
    """(record type, IP or CNAME target); the IP is None for the `A`/`AAAA` exceptions."""
    if answer in ("A", "AAAA"):
        return dns.rdatatype.from_text(answer), None
    try:
        ip = ipaddress.ip_address(answer)
    except ValueError:
        return dns.rdatatype.CNAME, answer
    if isinstance(ip, ipaddress.IPv4Address):
        return dns.rdatatype.A, str(ip)
    return dns.rdatatype.AAAA, ip.compressed.split("%")[0]  # a zone is not part of an AAAA record


# -- DNS (filtering/rewrites.go: findRewrites, processRewrites; dnsforward: the answer) -------------

UPSTREAM = Answer(dns.rcode.NXDOMAIN)  # what the real server forwards: the lab has no upstream


@dataclass(frozen=True)
class _Rule:
    domain: str
    rdtype: int
    value: str | None  # the IP, the CNAME target, or None for the A/AAAA exceptions

    @property
    def wildcard(self) -> bool:
        return len(self.domain) > 1 and self.domain.startswith("*.")

    def matches(self, host: str) -> bool:
        # "*.lan" matches "x.lan" and "a.x.lan", never "lan" itself.
        return self.domain == host or (self.wildcard and host.endswith(self.domain[1:]))

    def answers(self, qtype: int) -> bool:
        if self.rdtype == dns.rdatatype.CNAME:
            return True
        if qtype not in (dns.rdatatype.A, dns.rdatatype.AAAA):
            return False
        return self.rdtype == qtype or self.value is None

    def priority(self) -> tuple[int, int, int]:
        """CNAME first, then exact before wildcard, then the longer (more specific) domain."""
        return (0 if self.rdtype == dns.rdatatype.CNAME else 1, int(self.wildcard), -len(self.domain))


def _find(rules: list[_Rule], host: str, qtype: int) -> tuple[list[_Rule], bool]:
    """The rules for `host` and `qtype`, best first, and whether `host` matched any rule at all."""
    matched = [rule for rule in rules if rule.matches(host)]
    found = sorted((rule for rule in matched if rule.answers(qtype)), key=_Rule.priority)
    for index, rule in enumerate(found):
        if rule.wildcard:
            # An exact match drops every wildcard; among wildcards only the most specific one stays.
            found = found[: max(1, index)]
            break
    return found, bool(matched)


def resolve(rules: list[_Rule], qname: str, qtype: int) -> Answer:
    """What AdGuard Home answers for `qname`/`qtype` from its rewrites alone."""
    found, matched = _find(rules, qname, qtype)
    if not matched:
        return UPSTREAM
    host, canon = qname, ""
    seen: set[str] = set()
    while found and found[0].rdtype == dns.rdatatype.CNAME:
        rule = found[0]
        target = rule.value or ""
        if target in (qname, rule.domain.removeprefix("*.")):
            return UPSTREAM  # a rewrite onto itself is an exception rule: ask upstream
        if target == host and rule.wildcard:
            canon = host  # "*.x.org -> sub.x.org" matching its own target: stop here
            break
        host = canon = target
        if host in seen:
            return UPSTREAM  # a CNAME loop
        seen.add(host)
        found, _ = _find(rules, host, qtype)
    return _answer(qname, qtype, canon, found)


def _answer(qname: str, qtype: int, canon: str, found: list[_Rule]) -> Answer:
    ips: list[str] = []
    for rule in found:
        if rule.rdtype == qtype and qtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            if rule.value is None:
                return UPSTREAM  # the "A"/"AAAA" exception: that type goes upstream
            ips.append(rule.value)
    if canon and not ips:
        return UPSTREAM  # the canonical name is resolved upstream
    records = []
    owner = qname
    if canon:
        records.append(Record(qname, dns.rdatatype.CNAME, BLOCKED_RESPONSE_TTL, canon.rstrip(".") + "."))
        owner = canon
    records += [Record(owner, qtype, BLOCKED_RESPONSE_TTL, ip) for ip in ips]
    return Answer(dns.rcode.NOERROR, records)


# -- auth rate limiting (home/authratelimiter.go) ---------------------------------------------------


class _RateLimiter:
    """Failed logins per client address: AUTH_ATTEMPTS within FAILED_AUTH_TTL block for BLOCK_SECONDS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failed: dict[str, tuple[int, float]] = {}  # address -> (attempts, until)

    def blocked_for(self, address: str) -> float:
        """Seconds left of the block on `address`; 0 or less when not blocked."""
        now = time.monotonic()
        with self._lock:
            self._failed = {k: v for k, v in self._failed.items() if v[1] >= now}
            attempts, until = self._failed.get(address, (0, now))
            return until - now if attempts >= AUTH_ATTEMPTS else 0.0

    def fail(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            attempts, until = self._failed.get(address, (0, now + FAILED_AUTH_TTL))
            attempts += 1
            if attempts >= AUTH_ATTEMPTS:
                until = now + BLOCK_SECONDS
            self._failed[address] = (attempts, until)

    def forget(self, address: str) -> None:
        with self._lock:
            self._failed.pop(address, None)


# -- the simulator --------------------------------------------------------------------------------


class AdGuardSim:
    """One AdGuard Home: its HTTP API (backend "adguard" in the fault switchboard) and its DNS server."""

    def __init__(
        self,
        faults: Faults,
        *,
        host: str = "127.10.0.53",
        username: str = "admin",
        password: str = "adguard-lab-password",
        version: str = DEFAULT_VERSION,
        api_port: int = 0,
        dns_port: int = 0,
    ) -> None:
        self.faults = faults
        self.host = host
        self.username = username
        self.password = password
        self.version = version
        self.version_tuple = parse_version(version) or NEWEST
        self._api_port = api_port
        self._dns_port = dns_port
        self._lock = threading.Lock()  # the config lock: rewrites, settings, sessions
        self._rewrites: list[SimRewrite] = []
        self._rewrites_enabled = True
        self._sessions: set[str] = set()
        self.limiter = _RateLimiter()
        self.start_time_ms = int(time.time() * 1000)
        self._http: LabHTTPServer | None = None
        self._dns: LabDnsServer | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        # Serve HTTP before binding DNS: stop() can only shut down a server that is serving.
        self.start_time_ms = int(time.time() * 1000)
        self._http = LabHTTPServer(
            (self.host, self._api_port), AdGuardHandler, self.faults, backend=BACKEND, app=self
        )
        self._http.start()
        self._dns = LabDnsServer(self.host, self.lookup, self.faults, BACKEND, port=self._dns_port)
        self._dns.start()

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
            self._http = None
        if self._dns is not None:
            self._dns.stop()
            self._dns = None

    def __enter__(self) -> AdGuardSim:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._http is not None, "start() the simulator first"
        return f"http://{self.host}:{self._http.port}"

    @property
    def dns_address(self) -> str:
        assert self._dns is not None, "start() the simulator first"
        return self._dns.address

    @property
    def api_port(self) -> int:
        assert self._http is not None, "start() the simulator first"
        return self._http.port

    @property
    def dns_port(self) -> int:
        assert self._dns is not None, "start() the simulator first"
        return self._dns.port

    def has(self, since: Version) -> bool:
        """Whether the version posed as has a feature added in release `since`."""
        return self.version_tuple >= since

    # -- state (thread-safe: the servers' threads and the tests read and write it) ------------

    def add_rewrite(self, domain: str, answer: str, enabled: bool = True) -> None:
        """Seed one rewrite as `POST /control/rewrite/add` would (AnswerError if the answer is invalid)."""
        check_answer(answer)
        if not enabled and not self.has(SINCE_ENABLED):
            raise ValueError(f"AdGuard Home {self.version} has no per-rewrite `enabled` (since v0.107.68)")
        with self._lock:
            self._rewrites.append(SimRewrite(domain.lower(), answer, enabled))

    def rewrites(self) -> list[SimRewrite]:
        with self._lock:
            return list(self._rewrites)

    def set_rewrites_enabled(self, enabled: bool) -> None:
        with self._lock:
            self._rewrites_enabled = enabled

    def reset(self) -> None:
        """Back to a fresh start: no rewrites, rewrites on, no sessions, no blocked address.

        The faults are left alone: the switchboard is shared with the lab's other simulators.
        """
        with self._lock:
            self._rewrites.clear()
            self._rewrites_enabled = True
            self._sessions.clear()
        self.limiter = _RateLimiter()

    @property
    def lock(self) -> threading.Lock:
        return self._lock

    @property
    def rewrites_enabled(self) -> bool:
        """Caller holds `lock`."""
        return self._rewrites_enabled

    @rewrites_enabled.setter
    def rewrites_enabled(self, value: bool) -> None:
        self._rewrites_enabled = value

    @property
    def live_rewrites(self) -> list[SimRewrite]:
        """The stored list itself, changed in place by the handlers (caller holds `lock`)."""
        return self._rewrites

    # -- sessions and credentials --------------------------------------------------------------

    def new_session(self) -> str:
        token = secrets.token_hex(16)
        with self._lock:
            self._sessions.add(token)
        return token

    def session_valid(self, token: str) -> bool:
        with self._lock:
            return token in self._sessions

    def end_session(self, token: str) -> None:
        with self._lock:
            self._sessions.discard(token)

    def credentials_ok(self, name: str, password: str) -> bool:
        return secrets.compare_digest(name.encode(), self.username.encode()) and secrets.compare_digest(
            password.encode(), self.password.encode()
        )

    # -- DNS ------------------------------------------------------------------------------------

    def lookup(self, name: str, rdtype: int) -> Answer:
        with self._lock:
            active = self._rewrites if self._rewrites_enabled else []
            rules = [_Rule(r.domain, *_answer_kind(r.answer)) for r in active if r.enabled]
        try:
            return resolve(rules, name, rdtype)
        except Exception:  # noqa: BLE001 - a bug here must not kill the DNS server's thread
            return Answer(dns.rcode.SERVFAIL)


# -- Go's JSON: decoding errors and the encoder's output ---------------------------------------------


class DecodeError(Exception):
    """What Go's json.Decoder would report (the text after `json.Decode: `)."""


# A field's Go type: "string", "bool", "aghalg.NullBool", or a nested struct (name, fields).
Field = Any


def _go_quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def go_decode(raw: bytes, struct: str, fields: dict[str, Field]) -> dict[str, Any]:
    """Decode the first JSON value of `raw` into a Go struct: unknown keys are ignored, keys match
    case-insensitively, null leaves a field unset, and a wrong type is an error."""
    text = raw.decode("utf-8", errors="replace").lstrip(" \t\r\n")
    if not text:
        raise DecodeError("EOF")
    try:
        value, _ = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text):
            raise DecodeError("unexpected EOF") from None
        raise DecodeError(f"invalid character '{text[exc.pos]}' looking for beginning of value") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DecodeError(f"json: cannot unmarshal {_json_kind(value)} into Go value of type {struct}")
    return _decode_struct(value, struct.rsplit(".", 1)[-1], fields)


def _decode_struct(value: dict[str, Any], path: str, fields: dict[str, Field]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, item in value.items():
        name = key if key in fields else next((f for f in fields if f.lower() == key.lower()), None)
        if name is None or item is None:
            continue
        result[name] = _decode_field(item, f"{path}.{name}", fields[name])
    return result


def _decode_field(item: Any, path: str, go_type: Field) -> Any:
    if isinstance(go_type, tuple):
        struct, fields = go_type
        if not isinstance(item, dict):
            raise DecodeError(_type_error(item, path, struct))
        return _decode_struct(item, path, fields)
    expected = str if go_type == "string" else bool
    if not isinstance(item, expected):
        raise DecodeError(_type_error(item, path, go_type))
    return item


def _type_error(item: Any, path: str, go_type: str) -> str:
    return f"json: cannot unmarshal {_json_kind(item)} into Go struct field {path} of type {go_type}"


def go_json(payload: Any) -> bytes:
    """Go's json.Encoder: compact, UTF-8, `<>&` escaped, a newline at the end."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.encode() + b"\n"


def go_duration(seconds: float) -> str:
    """A duration as Go's time.Duration prints it (`14m59.5s`)."""
    minutes, rest = divmod(max(seconds, 0.0), 60)
    hours, minutes = divmod(int(minutes), 60)
    text = f"{rest:.6f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{hours}h{minutes}m{text}"
    return f"{minutes}m{text}" if minutes else text


# -- HTTP -------------------------------------------------------------------------------------------

ENTRY_FIELDS: dict[str, Field] = {"domain": "string", "answer": "string", "enabled": "aghalg.NullBool"}
LEGACY_ENTRY_FIELDS: dict[str, Field] = {"domain": "string", "answer": "string"}
PUBLIC_PATHS = ("/control/login",)


@dataclass(frozen=True)
class Route:
    """One registered handler: its method, the release that added it, and the handler's name."""

    method: str
    since: Version
    handler: str


ROUTES: dict[str, Route] = {
    "/control/status": Route("GET", (0, 0, 0), "status"),
    "/control/login": Route("POST", (0, 0, 0), "login"),
    "/control/logout": Route("GET", (0, 0, 0), "logout"),
    "/control/cache_clear": Route("POST", SINCE_CACHE_CLEAR, "cache_clear"),
    "/control/rewrite/list": Route("GET", (0, 0, 0), "rewrite_list"),
    "/control/rewrite/add": Route("POST", (0, 0, 0), "rewrite_add"),
    "/control/rewrite/delete": Route("POST", (0, 0, 0), "rewrite_delete"),
    "/control/rewrite/update": Route("PUT", SINCE_UPDATE, "rewrite_update"),
    "/control/rewrite/settings": Route("GET", SINCE_ENABLED, "rewrite_settings"),
    "/control/rewrite/settings/update": Route("PUT", SINCE_ENABLED, "rewrite_settings_update"),
}


class AdGuardHandler(LabHandler):
    """The /control API: auth, then the method and content-type rules, then the handler."""

    app: AdGuardSim

    def send_response(self, code: int, message: str | None = None) -> None:
        """Like the stdlib's, minus the Server header: Go's net/http sends none."""
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def fault_error(self) -> None:
        self.error(500, "injected fault")

    # -- answers ------------------------------------------------------------------------------

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        """Go's http.Error: plain text, the message and a newline."""
        self.send(
            status,
            (message + "\n").encode(),
            TEXT_TYPE,
            headers={"X-Content-Type-Options": "nosniff", **(headers or {})},
        )

    def reply_json(self, payload: Any) -> None:
        self.send(200, go_json(payload), JSON_TYPE)

    def done(self) -> None:
        """A write handler that wrote nothing: 200, empty body, no Content-Type."""
        self.send(200)

    # -- the pipeline -------------------------------------------------------------------------

    def route(self) -> None:
        path = self.url_path
        if path not in PUBLIC_PATHS and not self.authenticated():
            if path in ("/", "/index.html"):
                self.send(302, headers={"Location": "login.html"})
            else:
                self.send(401)  # no body, no WWW-Authenticate: the web UI has its own login page
            return
        route = ROUTES.get(path)
        if route is None or not self.app.has(route.since):
            self.error(404, "404 page not found")
            return
        if self.command != route.method:
            self.error(405, f"only method {route.method} is allowed")
            return
        if self.command in ("POST", "PUT", "DELETE") and not self.content_type_ok():
            return
        getattr(self, route.handler)()

    def content_type_ok(self) -> bool:
        content_type = self.headers.get("Content-Type", "")
        if int(self.headers.get("Content-Length") or 0) == 0:
            if not content_type:
                return True
            self.error(415, f"empty body with content-type {_go_quote(content_type)} not allowed")
            return False
        if content_type == JSON_TYPE:
            return True
        self.error(415, f"only content-type {JSON_TYPE} is allowed")
        return False

    # -- auth ---------------------------------------------------------------------------------

    def authenticated(self) -> bool:
        cookie = self.cookie(SESSION_COOKIE)
        if cookie is not None:
            return self.app.session_valid(cookie)  # a cookie alone decides, even next to good Basic
        credentials = self.basic_credentials()
        if credentials is None:
            return False
        address = self.client_address[0]
        if self.app.limiter.blocked_for(address) > 0:
            return False
        if self.app.credentials_ok(*credentials):
            self.app.limiter.forget(address)
            return True
        self.app.limiter.fail(address)
        return False

    def cookie(self, name: str) -> str | None:
        for header in self.headers.get_all("Cookie") or []:
            for part in header.split(";"):
                key, _, value = part.strip().partition("=")
                if key == name:
                    return value.strip('"')
        return None

    def basic_credentials(self) -> tuple[str, str] | None:
        scheme, _, encoded = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        name, colon, password = decoded.partition(":")
        return (name, password) if colon else None

    def decode(
        self, struct: str, fields: dict[str, Field], prefix: str = "json.Decode"
    ) -> dict[str, Any] | None:
        """The body as a Go struct, or None after answering 400 with Go's error."""
        try:
            return go_decode(self.body(), struct, fields)
        except DecodeError as exc:
            self.error(400, f"{prefix}: {exc}")
            return None

    # -- handlers -------------------------------------------------------------------------------

    def status(self) -> None:
        app = self.app
        dns_port = app.dns_port
        address = app.host if dns_port == 53 else f"{app.host}:{dns_port}"
        self.reply_json(
            {
                "version": app.version,
                "language": "en",
                "dns_addresses": [address],
                "dns_port": dns_port,
                "http_port": app.api_port,
                "protection_disabled_duration": 0,
                "start_time": app.start_time_ms,
                "protection_enabled": True,
                "dhcp_available": False,
                "running": True,
            }
        )

    def login(self) -> None:
        request = self.decode("home.loginJSON", {"name": "string", "password": "string"}, "json decode")
        if request is None:
            return
        address = self.client_address[0]
        left = self.app.limiter.blocked_for(address)
        if left > 0:
            self.error(429, f"auth: blocked for {go_duration(left)}", {"Retry-After": str(int(left))})
            return
        if not self.app.credentials_ok(request.get("name", ""), request.get("password", "")):
            self.app.limiter.fail(address)
            self.error(403, "invalid username or password")
            return
        self.app.limiter.forget(address)
        expires = email.utils.formatdate(time.time() + COOKIE_DAYS * 86400, usegmt=True)
        cookie = (
            f"{SESSION_COOKIE}={self.app.new_session()}; Path=/; Expires={expires}; HttpOnly; SameSite=Lax"
        )
        headers = {
            "Set-Cookie": cookie,
            "Cache-Control": "no-store, no-cache, must-revalidate, proxy-revalidate",
            "Pragma": "no-cache",
            "Expires": "0",
        }
        self.send(200, b"OK\n", TEXT_TYPE, headers=headers)

    def logout(self) -> None:
        headers = {"Location": "/login.html"}
        token = self.cookie(SESSION_COOKIE)
        if token is not None:
            self.app.end_session(token)
            headers["Set-Cookie"] = (
                f"{SESSION_COOKIE}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax"
            )
        self.send(302, headers=headers)

    def cache_clear(self) -> None:
        self.done()  # nothing cached: rewrite answers are built before the cache is consulted

    def entry_fields(self) -> dict[str, Field]:
        return ENTRY_FIELDS if self.app.has(SINCE_ENABLED) else LEGACY_ENTRY_FIELDS

    def rewrite_list(self) -> None:
        with_enabled = self.app.has(SINCE_ENABLED)
        entries = []
        for rewrite in self.app.rewrites():
            entry: dict[str, Any] = {"domain": rewrite.domain, "answer": rewrite.answer}
            if with_enabled:
                entry["enabled"] = rewrite.enabled
            entries.append(entry)
        self.reply_json(entries)

    def normalized(self, entry: dict[str, Any]) -> SimRewrite | None:
        """The entry as add/update store it, or None after answering 400 `normalizing: ...`."""
        answer = entry.get("answer", "")
        try:
            check_answer(answer)
        except AnswerError as exc:
            self.error(400, f"normalizing: {exc}")
            return None
        return SimRewrite(entry.get("domain", "").lower(), answer, entry.get("enabled", True))

    def rewrite_add(self) -> None:
        entry = self.decode("filtering.rewriteEntryJSON", self.entry_fields())
        rewrite = None if entry is None else self.normalized(entry)
        if rewrite is None:
            return
        with self.app.lock:
            self.app.live_rewrites.append(rewrite)  # no duplicate check, as the real handler
        self.done()

    def rewrite_delete(self) -> None:
        entry = self.decode("filtering.rewriteEntryJSON", self.entry_fields())
        if entry is None:
            return
        key = (entry.get("domain", ""), entry.get("answer", ""))  # not lowercased, as the real handler
        with self.app.lock:
            live = self.app.live_rewrites
            live[:] = [r for r in live if (r.domain, r.answer) != key]
        self.done()

    def rewrite_update(self) -> None:
        entry_type = ("filtering.rewriteEntryJSON", self.entry_fields())
        request = self.decode("filtering.rewriteUpdateJSON", {"target": entry_type, "update": entry_type})
        if request is None:
            return
        target, update = request.get("target", {}), request.get("update", {})
        replacement = self.normalized(update)
        if replacement is None:
            return
        if self.replace(target, replacement, "enabled" in update):
            self.done()
        else:
            self.error(400, "target rule not found")

    def replace(self, target: dict[str, Any], replacement: SimRewrite, sets_enabled: bool) -> bool:
        """Replace the first entry equal to `target` in place, under one lock (the atomic update)."""
        key = (target.get("domain", ""), target.get("answer", ""))
        with self.app.lock:
            live = self.app.live_rewrites
            index = next((i for i, r in enumerate(live) if (r.domain, r.answer) == key), None)
            if index is None:
                return False
            if not sets_enabled:
                replacement = SimRewrite(replacement.domain, replacement.answer, live[index].enabled)
            live[index] = replacement
            return True

    def rewrite_settings(self) -> None:
        with self.app.lock:
            enabled = self.app.rewrites_enabled
        self.reply_json({"enabled": enabled})

    def rewrite_settings_update(self) -> None:
        request = self.decode("filtering.rewriteSettings", {"enabled": "bool"})
        if request is None:
            return
        with self.app.lock:
            self.app.rewrites_enabled = request.get("enabled", False)  # `{}` turns rewrites off
        self.done()
