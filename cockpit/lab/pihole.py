"""Provides a Pi-hole simulator: FTL v6.4.1's /api, or a Pi-hole v5 web server, plus its DNS server.

What it copies from the real server (the specs README, section 2, and FTL's own source where the
README is silent; the code wins over the OpenAPI yaml):

- Every JSON body carries `"took"`; errors are `{"error":{"key","message","hint"},"took"}`.
- Sessions (`api/auth.c`): a login takes one of `max_sessions` seats (expired ones are freed at
  the next login), the SID is read from the body, the `sid`/`X-FTL-SID` header, the `sid` cookie
  (API calls then need `X-CSRF-TOKEN`) or `?sid=`, in that order; every authenticated call renews
  the session. A failed login answers 401 with a *session object*, not the error envelope.
- Local DNS records are the config array `dns.hosts` of "IP HOSTNAME [HOSTNAME...]" strings,
  changed with PUT/DELETE on `/api/config/dns/hosts/<item>` (`api_config_put_delete`) and checked
  by a port of `validate_dns_hosts` (hostnames must be lowercase, as in FTL's `valid_domain`).
- The DNS server answers from `dns.hosts` at once (FTL writes a dnsmasq hostsdir, read live).
  TTL: FTL v6 writes no `local-ttl` line into its dnsmasq config and the yaml documents no
  hosts TTL, so dnsmasq's default `local-ttl` of 0 applies. Pi-hole v5's `01-pihole.conf` set
  `local-ttl=2`, so the v5 pose answers with TTL 2.

With `legacy_v5=True` the HTTP side poses as Pi-hole v5 (pi-hole/web v5.21 behind lighttpd):
`/admin/api.php` answers `?version` and the `customdns` get/add/delete calls, and every other
path, `/api/...` included, gets lighttpd's built-in 404 page (HTML), as a v5 box does.

Not simulated (a client of this lab gets 404 `not_found` or nothing): 2FA, app passwords and the
403 `forbidden` they bring, login rate limiting, `/api/auth/sessions`, the rest of the API,
PTR answers, CNAME answers from `dns.cnameRecords` (stored, not served), and FTL restarts.
`PATCH /api/config` applies `dns.hosts` and `dns.cnameRecords` and ignores everything else.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import math
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qs, unquote

import dns.rcode
import dns.rdatatype

from cockpit.lab.dnsserver import Answer, LabDnsServer, Record
from cockpit.lab.faults import Faults
from cockpit.lab.httpserver import LabHandler, LabHTTPServer

BACKEND = "pihole"
DEFAULT_HOST = "127.10.0.54"
DEFAULT_PASSWORD = "pihole-lab-password"
HOSTS_TTL = 0  # dnsmasq's default local-ttl: FTL v6 sets none
V5_HOSTS_TTL = 2  # Pi-hole v5's 01-pihole.conf: local-ttl=2
JSON_TYPE = "application/json; charset=utf-8"

# The hints FTL's api_config_put_delete() sends with "Invalid path depth" (the yaml's example differs).
PUT_DEPTH_HINT = (
    'Use, e.g., PUT /api/config/dnsmasq/upstreams/127.0.0.1 to add "127.0.0.1" to config.dns.upstreams'
)
DELETE_DEPTH_HINT = 'Use, e.g., DELETE /api/config/dnsmasq/upstreams/127.0.0.1 to remove "127.0.0.1" from config.dns.upstreams'

LIGHTTPD_404 = b"""<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
         "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title>404 Not Found</title>
 </head>
 <body>
  <h1>404 Not Found</h1>
 </body>
</html>
"""


def compact(payload: Any) -> bytes:
    """JSON as cJSON (prettyJSON off) and PHP's json_encode write it: no spaces, no newline."""
    return json.dumps(payload, separators=(",", ":")).encode()


# -- validation (ports of FTL's validator.c and gravity-parseList.c) ---------------------------


def valid_domain(name: str) -> bool:
    """FTL's valid_domain(name, len, fqdn_only=false, allow_utf8=true): lowercase labels, a TLD of 2+."""
    raw = name.encode()
    if not 0 < len(raw) <= 255:
        return False
    last_dot = -1
    for i, byte in enumerate(raw):
        char = chr(byte)
        if byte < 0x80 and char not in "-._" and not ("a" <= char <= "z" or "0" <= char <= "9"):
            return False
        if char == ".":
            if i - last_dot == 1 or i - last_dot > 64:
                return False
            last_dot = i
    if raw[last_dot + 1 : last_dot + 2] == b"-" or raw.endswith(b"-"):
        return False
    return (len(raw) - 1) - last_dot >= 2


def valid_ip(text: str) -> bool:
    """inet_pton for either family, exactly as FTL checks (no zone ids, no leading zeros)."""
    for family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError, ValueError):
            socket.inet_pton(family, text)
            return True
    return False


def _split_hosts_item(item: str) -> tuple[str, list[str]]:
    """The IP and the hostnames of one HOSTS line, split on spaces and tabs as FTL does.

    A hostname token starting with '#' begins a comment that ends the line.
    """
    tokens = re.split(r"[ \t]", item.lstrip())
    names: list[str] = []
    for token in (t.lstrip() for t in tokens[1:]):
        if not token:
            continue
        if token.startswith("#"):
            break
        names.append(token)
    return tokens[0], names


def hosts_error(items: Any, key: str = "dns.hosts") -> str | None:
    """What FTL's validate_dns_hosts() would say about the whole array, or None when valid."""
    if not isinstance(items, list):
        return f"{key}: not an array"
    for i, item in enumerate(items):
        if not isinstance(item, str):
            return f"{key}[{i}]: not a string"
        if "\n" in item or "\r" in item:
            return f"{key}[{i}]: contains newline characters"
        ip, names = _split_hosts_item(item.lstrip())
        if not ip:
            return f'{key}[{i}]: found no first element ("{item}")'
        if not valid_ip(ip):
            return f'{key}[{i}]: neither a valid IPv4 nor IPv6 address ("{ip}")'
        for name in names:
            if not valid_domain(name):
                return f'{key}[{i}]: invalid hostname ("{name}")'
        if not names:
            return f'{key}[{i}]: entry does not have at least one hostname ("{item}")'
    return None


def cname_records_error(items: Any, key: str = "dns.cnameRecords") -> str | None:
    """What FTL's validate_dns_cnames() would say, or None when valid."""
    if not isinstance(items, list):
        return f"{key}: not an array"
    for i, item in enumerate(items):
        if not isinstance(item, str):
            return f"{key}[{i}]: not a string"
        parts = item.split(",")
        for position, part in enumerate(parts):
            if not part:
                return f"{key}[{i}]: contains an empty string at position {position}"
        if len(parts) < 2:
            return f"{key}[{i}]: not a valid CNAME definition (too few elements)"
        if "\n" in item or "\r" in item:
            return f"{key}[{i}]: contains newline characters"
    return None


ARRAY_VALIDATORS = {"dns.hosts": hosts_error, "dns.cnameRecords": cname_records_error}


def v5_api_token(password: str) -> str:
    """Pi-hole v5's WEBPASSWORD: sha256 of the hex sha256 of the password."""
    return hashlib.sha256(hashlib.sha256(password.encode()).hexdigest().encode()).hexdigest()


# -- sessions ------------------------------------------------------------------------------------


def _new_token() -> str:
    """Like FTL's generateSID(): 16 random bytes, base64 (24 characters, may hold '+' and '/')."""
    return base64.b64encode(secrets.token_bytes(16)).decode()


@dataclass
class _Session:
    sid: str
    csrf: str
    valid_until: float


class _Seats:
    """FTL's auth_data[]: at most `max_sessions` sessions, expired ones freed at the next login."""

    def __init__(self, max_sessions: int, timeout: float) -> None:
        self.max_sessions = max_sessions
        self.timeout = timeout
        self._sessions: dict[str, _Session] = {}
        self.logins = 0

    def login(self, now: float) -> _Session | None:
        for sid in [s.sid for s in self._sessions.values() if s.valid_until < now]:
            del self._sessions[sid]
        if len(self._sessions) >= self.max_sessions:
            return None
        session = _Session(_new_token(), _new_token(), now + self.timeout)
        self._sessions[session.sid] = session
        self.logins += 1
        return session

    def check(self, sid: str, now: float) -> tuple[_Session | None, str]:
        """The live session for `sid` (renewed) or None, with FTL's message for the outcome."""
        session = self._sessions.get(sid)
        if session is None:
            return None, "session unknown"
        if session.valid_until < now:
            return None, "session expired"
        session.valid_until = now + self.timeout
        return session, "correct password"

    def delete(self, sid: str) -> bool:
        return self._sessions.pop(sid, None) is not None

    def live(self, now: float) -> int:
        return sum(1 for s in self._sessions.values() if s.valid_until >= now)


# -- the simulator ------------------------------------------------------------------------------


class PiholeSim:
    """One Pi-hole: its HTTP API (backend "pihole" in the fault switchboard) and its DNS server."""

    def __init__(
        self,
        faults: Faults,
        *,
        host: str = DEFAULT_HOST,
        password: str = DEFAULT_PASSWORD,
        version: str = "v6.4.1",
        max_sessions: int = 16,
        session_timeout: float = 1800.0,
        legacy_v5: bool = False,
        api_port: int = 0,
        dns_port: int = 0,
    ) -> None:
        self.faults = faults
        self.host = host
        self.password = password
        self.version = version
        self.legacy_v5 = legacy_v5
        self._api_port = api_port
        self._dns_port = dns_port
        self._lock = threading.Lock()
        self._hosts: list[str] = []
        self._cname_records: list[str] = []
        self._seats = _Seats(max_sessions, session_timeout)
        self._http: LabHTTPServer | None = None
        self._dns: LabDnsServer | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        handler = PiholeV5Handler if self.legacy_v5 else PiholeHandler
        self._http = LabHTTPServer(
            (self.host, self._api_port), handler, self.faults, backend=BACKEND, app=self
        )
        self._dns = LabDnsServer(self.host, self.lookup, self.faults, BACKEND, port=self._dns_port)
        self._http.start()
        self._dns.start()

    def stop(self) -> None:
        """Stop both servers side by side: each waits out its poll interval, so in turn they add up."""
        stoppers = [server.stop for server in (self._http, self._dns) if server is not None]
        threads = [threading.Thread(target=stop) for stop in stoppers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def reset(self) -> None:
        """Back to a fresh Pi-hole (no records, no sessions), so one running simulator serves many tests."""
        with self._lock:
            self._hosts.clear()
            self._cname_records.clear()
            self._seats = _Seats(self._seats.max_sessions, self._seats.timeout)

    def __enter__(self) -> PiholeSim:
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

    # -- state (thread-safe: the servers' threads and the test read and write it) --------------

    def add_host(self, ip: str, name: str) -> None:
        """Seed one record as `PUT /api/config/dns/hosts/<ip name>` would (ValueError if invalid)."""
        item = f"{ip} {name}"
        with self._lock:
            problem = hosts_error([*self._hosts, item])
            if problem:
                raise ValueError(problem)
            if item not in self._hosts:
                self._hosts.append(item)

    def hosts(self) -> list[str]:
        with self._lock:
            return list(self._hosts)

    def session_count(self) -> int:
        """Sessions holding a seat now (expired ones do not)."""
        with self._lock:
            return self._seats.live(time.monotonic())

    @property
    def login_count(self) -> int:
        """Successful logins since start: how tests count sessions opened."""
        with self._lock:
            return self._seats.logins

    @property
    def session_timeout(self) -> float:
        return self._seats.timeout

    @property
    def max_sessions(self) -> int:
        return self._seats.max_sessions

    def config_items(self) -> dict[str, Any]:
        """The config items the simulator knows, by dotted key, as FTL would report them."""
        with self._lock:
            return {
                "dns.hosts": list(self._hosts),
                "dns.cnameRecords": list(self._cname_records),
                "dns.port": 53,
                "webserver.session.timeout": math.ceil(self._seats.timeout),
                "webserver.api.max_sessions": self._seats.max_sessions,
            }

    def array(self, key: str) -> list[str] | None:
        """The live list behind a string-array config item (caller holds `lock`)."""
        return {"dns.hosts": self._hosts, "dns.cnameRecords": self._cname_records}.get(key)

    @property
    def lock(self) -> threading.Lock:
        return self._lock

    @property
    def seats(self) -> _Seats:
        """The session table (caller holds `lock`)."""
        return self._seats

    # -- DNS ------------------------------------------------------------------------------------

    def lookup(self, name: str, rdtype: int) -> Answer:
        """Answer from dns.hosts: A/AAAA per item; a known name without that family is NODATA."""
        found: list[tuple[int, str]] = []
        for item in self.hosts():
            ip, names = _split_hosts_item(item.lstrip())
            if name in (n.lower().rstrip(".") for n in names):
                family = dns.rdatatype.AAAA if ":" in ip else dns.rdatatype.A
                if (family, ip) not in found:
                    found.append((family, ip))
        if not found:
            return Answer(dns.rcode.NXDOMAIN)
        ttl = V5_HOSTS_TTL if self.legacy_v5 else HOSTS_TTL
        return Answer(records=[Record(name, rdtype, ttl, ip) for family, ip in found if family == rdtype])


# -- v6 HTTP ---------------------------------------------------------------------------------------


class _PerRequestHandler(LabHandler):
    """Starts each request's clock (for the `took` every answer carries)."""

    def parse_request(self) -> bool:
        self._t0 = time.perf_counter()
        return super().parse_request()


class FtlHandler(_PerRequestHandler):
    """What every FTL answer shares: JSON with "took", the error envelope, the request's SID."""

    @property
    def sim(self) -> PiholeSim:
        return cast(PiholeSim, self.server.app)

    def took(self) -> float:
        return round(time.perf_counter() - self._t0, 6)

    def send_ftl(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        body = compact({**payload, "took": self.took()})
        self.send(status, body, JSON_TYPE, headers=headers)

    def send_ftl_error(self, status: int, key: str, message: str, hint: str | None = None) -> None:
        self.send_ftl(status, {"error": {"key": key, "message": message, "hint": hint}})

    def fault_error(self) -> None:
        self.send_ftl_error(500, "internal_error", "Internal server error", "injected fault (lab)")

    def payload(self) -> tuple[Any, str | None]:
        """The body as JSON (None when empty) and cJSON's complaint when it is not JSON."""
        raw = self.body()
        if not raw.strip():
            return None, None
        try:
            return json.loads(raw), None
        except ValueError as exc:
            return None, raw.decode(errors="replace")[getattr(exc, "pos", 0) :][:64]

    def request_sid(self) -> tuple[str | None, bool]:
        """The SID the client sent and whether it came from the cookie (FTL's order of sources)."""
        raw = self.body()
        if raw:
            form = parse_qs(raw.decode(errors="replace")).get("sid")
            if form:
                return form[0].replace(" ", "+"), False
            with contextlib.suppress(ValueError):
                data = json.loads(raw)
                if isinstance(data, dict) and isinstance(data.get("sid"), str):
                    return data["sid"], False
        header = self.headers.get("sid") or self.headers.get("X-FTL-SID")
        if header is not None:
            return header, False
        cookie = self._cookie("sid")
        if cookie is not None:
            return cookie, True
        query = self.query.get("sid")
        if query:
            return query[0].replace(" ", "+"), False
        return None, False

    def _cookie(self, name: str) -> str | None:
        for part in (self.headers.get("Cookie") or "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
        return None

    def authenticate(self, is_api: bool) -> tuple[_Session | None, str]:
        """FTL's check_client_auth(): the renewed session, or None, with the session message."""
        sid, from_cookie = self.request_sid()
        if sid is None:
            return None, "no SID provided"
        csrf = self.headers.get("X-CSRF-TOKEN")
        if from_cookie and is_api and csrf is None:
            return None, "Cookie authentication without CSRF token"
        with self.sim.lock:
            session, message = self.sim.seats.check(sid, time.monotonic())
        if session is not None and from_cookie and is_api and csrf != session.csrf:
            return None, "CSRF token mismatch"
        return session, message


class PiholeHandler(FtlHandler):
    """FTL v6's web server: /api routes; everything else is the (absent) web interface."""

    def route(self) -> None:
        path = self.url_path
        if path != "/api" and not path.startswith("/api/"):
            self.send(404, b"<html><body><h1>Error 404: Not Found</h1></body></html>\n", "text/html")
        elif path == "/api/auth":
            AuthRoute(self).answer()
        elif path.startswith("/api/auth/"):
            self.not_found()
        elif not self.sim.password:
            self.dispatch(path)  # no password set: every endpoint works without a SID
        elif self.authenticate(is_api=True)[0] is None:
            self.send_ftl_error(401, "unauthorized", "Unauthorized", None)
        else:
            self.dispatch(path)

    def not_found(self) -> None:
        self.send_ftl_error(404, "not_found", "Not found", self.url_path)

    def dispatch(self, path: str) -> None:
        if path == "/api/config" or path.startswith("/api/config/"):
            ConfigRoute(self, path[len("/api/config") :].strip("/")).answer()
        elif path == "/api/info/version" and self.command == "GET":
            self.send_ftl(200, {"version": version_payload(self.sim.version)})
        elif path == "/api/dns/blocking" and self.command == "GET":
            self.send_ftl(200, {"blocking": "enabled", "timer": None})
        else:
            self.not_found()


def version_payload(version: str) -> dict[str, Any]:
    """GET /api/info/version's object; the lab reports `version` for core, web and FTL alike."""

    def component(hash_: str, **local: Any) -> dict[str, Any]:
        return {
            "local": {"branch": "master", "version": version, "hash": hash_, **local},
            "remote": {"version": version, "hash": hash_},
        }

    return {
        "core": component("1b3c5d7e"),
        "web": component("2c4e6f80"),
        "ftl": component("8d1add8d", date="2025-11-27 18:04:11 +0000"),
        "docker": {"local": None, "remote": None},
    }


class AuthRoute:
    """/api/auth: GET (status), POST (login), DELETE (logout), as FTL's api_auth()."""

    def __init__(self, handler: PiholeHandler) -> None:
        self.h = handler
        self.sim = handler.sim

    def answer(self) -> None:
        if not self.sim.password:
            self.session_reply(200, {"valid": True, "sid": None, "validity": -1}, "no password set")
            return
        password: str | None = None
        if self.h.command == "POST":
            password = self.password_from_body()
            if password is None:
                return  # the 400 is sent
        session, message = self.h.authenticate(is_api=False)
        if session is not None and not password:
            self.status(session, message)
        elif self.h.command == "DELETE" or password is None:
            self.invalid(message)
        elif secrets.compare_digest(password.encode(), self.sim.password.encode()):
            self.login()
        elif session is not None:
            self.status(session, "password incorrect")  # FTL's quirk: a valid SID still gets its session
        else:
            self.invalid("password incorrect")

    def password_from_body(self) -> str | None:
        data, error = self.h.payload()
        if data is None:
            if error is None:
                self.h.send_ftl_error(400, "bad_request", "No request body data", None)
            else:
                message = "Invalid request body data (no valid JSON), error at hint"
                self.h.send_ftl_error(400, "bad_request", message, error)
            return None
        password = data.get("password") if isinstance(data, dict) else None
        if password is None:
            self.h.send_ftl_error(400, "bad_request", "No password found in JSON payload", None)
            return None
        if not isinstance(password, str):
            self.h.send_ftl_error(400, "bad_request", "Field password has to be of type 'string'", None)
            return None
        return password

    def status(self, session: _Session, message: str) -> None:
        if self.h.command == "DELETE":
            with self.sim.lock:
                deleted = self.sim.seats.delete(session.sid)
            self.h.send(204 if deleted else 404, b"", headers={"Set-Cookie": self.cookie("deleted", -1)})
            return
        self.session_reply(200, self.session_object(session), message, self.cookie(session.sid))

    def login(self) -> None:
        with self.sim.lock:
            session = self.sim.seats.login(time.monotonic())
        if session is None:
            hint = "increase webserver.api.max_sessions"
            self.h.send_ftl_error(429, "api_seats_exceeded", "API seats exceeded", hint)
            return
        self.session_reply(200, self.session_object(session), "password correct", self.cookie(session.sid))

    def invalid(self, message: str) -> None:
        no_session = {"valid": False, "sid": None, "validity": -1}
        self.session_reply(401, no_session, message, self.cookie("deleted", -1))

    def session_object(self, session: _Session) -> dict[str, Any]:
        remaining = math.ceil(session.valid_until - time.monotonic())
        return {"valid": True, "sid": session.sid, "csrf": session.csrf, "validity": max(remaining, 0)}

    def session_reply(
        self, status: int, fields: dict[str, Any], message: str, cookie: str | None = None
    ) -> None:
        # FTL's key order: valid, totp, sid, [csrf,] validity, message
        session = {"valid": fields["valid"], "totp": False, "sid": fields["sid"]}
        if "csrf" in fields:
            session["csrf"] = fields["csrf"]
        session.update(validity=fields["validity"], message=message)
        self.h.send_ftl(status, {"session": session}, headers={"Set-Cookie": cookie} if cookie else None)

    def cookie(self, value: str, max_age: int | None = None) -> str:
        age = math.ceil(self.sim.session_timeout) if max_age is None else max_age
        return f"sid={value}; SameSite=Strict; Path=/; Max-Age={age}; HttpOnly"


class ConfigRoute:
    """/api/config[/...]: GET a subtree, PATCH items, PUT/DELETE one item of a string array."""

    def __init__(self, handler: PiholeHandler, item: str) -> None:
        self.h = handler
        self.sim = handler.sim
        self.item = item

    def answer(self) -> None:
        method = self.h.command
        if method == "GET":
            self.get()
        elif method == "PATCH":
            self.patch()
        elif method in ("PUT", "DELETE"):
            self.put_delete()
        else:
            self.h.not_found()

    def get(self, elements: list[str] | None = None) -> None:
        if elements is None:
            elements = [unquote(part) for part in self.item.split("/") if part]
        detailed = (self.h.query.get("detailed") or ["false"])[0].lower() == "true"
        tree: dict[str, Any] = {}
        for key, value in self.sim.config_items().items():
            path = key.split(".")
            if path[: len(elements)] != elements:
                continue
            parent = tree
            for part in path[:-1]:
                parent = parent.setdefault(part, {})
            parent[path[-1]] = self.detail(key, value) if detailed else value
        self.h.send_ftl(200, {"config": tree})

    @staticmethod
    def detail(key: str, value: Any) -> dict[str, Any]:
        """The `?detailed=true` leaf (without FTL's topics and DNS server suggestions)."""
        default: Any = [] if isinstance(value, list) else value
        kind = "string array" if isinstance(value, list) else "integer"
        flags = {
            "restart_dnsmasq": key != "dns.hosts",
            "advanced": False,
            "session_reset": False,
            "env_var": False,
        }
        return {
            "description": f"{key} (lab)",
            "allowed": None,
            "type": kind,
            "value": value,
            "default": default,
            "modified": value != default,
            "flags": flags,
        }

    def patch(self) -> None:
        data, error = self.h.payload()
        if data is None:
            if error is None:
                self.h.send_ftl_error(400, "bad_request", "No request body data", None)
            else:
                message = "Invalid request body data (no valid JSON), error at hint"
                self.h.send_ftl_error(400, "bad_request", message, error)
            return
        config = data.get("config") if isinstance(data, dict) else None
        if not isinstance(config, dict):
            self.h.send_ftl_error(400, "body_error", 'No "config" object in body data', None)
            return
        changes = self.patched_arrays(config)
        for key, value in changes.items():
            type_problem = self.array_type_error(key, value)
            if type_problem:
                self.h.send_ftl_error(400, "bad_request", "Config item is invalid", type_problem)
                return
            problem = ARRAY_VALIDATORS[key](value)
            if problem:
                self.h.send_ftl_error(400, "bad_request", "Config item validation failed", problem)
                return
        with self.sim.lock:
            for key, value in changes.items():
                target = self.sim.array(key)
                assert target is not None
                target[:] = value
        self.get(elements=[])

    @staticmethod
    def patched_arrays(config: dict[str, Any]) -> dict[str, Any]:
        """The string arrays the lab applies from a PATCH body, by dotted key."""
        dns_part = config.get("dns")
        if not isinstance(dns_part, dict):
            return {}
        return {f"dns.{name}": dns_part[name] for name in ("hosts", "cnameRecords") if name in dns_part}

    @staticmethod
    def array_type_error(key: str, value: Any) -> str | None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"{key}: not an array of strings"
        return None

    def put_delete(self) -> None:
        """FTL's api_config_put_delete(): the last path segment is the item, the rest names the array."""
        parts = [unquote(part) for part in self.item.split("/")] if self.item else []
        if len(parts) < 2:
            hint = PUT_DEPTH_HINT if self.h.command == "PUT" else DELETE_DEPTH_HINT
            self.h.send_ftl_error(400, "bad_request", "Invalid path depth", hint)
            return
        key, value = ".".join(parts[:-1]), parts[-1]
        with self.sim.lock:
            target = self.sim.array(key)
            outcome = None if target is None else self.change(key, target, value)
        if outcome is None:
            self.h.send_ftl(404, {})
        elif outcome == "present":
            self.h.send_ftl_error(
                400, "bad_request", "Item already present", "Uniqueness of items is enforced"
            )
        elif outcome.startswith("invalid:"):
            self.h.send_ftl_error(400, "bad_request", "Invalid value", outcome[len("invalid:") :])
        elif self.h.command == "PUT":
            self.h.send_ftl(201, {})
        else:
            self.h.send(204)  # FTL's 204 carries no body

    def change(self, key: str, target: list[str], value: str) -> str | None:
        """Apply the PUT or DELETE to `target` (lock held): None when absent, else what happened."""
        if self.h.command == "DELETE":
            if value not in target:
                return None
            target.remove(value)
            return "deleted"
        if value in target:
            return "present"
        problem = ARRAY_VALIDATORS[key]([*target, value])
        if problem:
            return f"invalid:{problem}"
        target.append(value)
        return "added"


# -- v5 HTTP ---------------------------------------------------------------------------------------


class PiholeV5Handler(_PerRequestHandler):
    """A Pi-hole v5 box: lighttpd serving pi-hole/web v5.21; only /admin/api.php is simulated."""

    server_version = "lighttpd/1.4.59"

    @property
    def sim(self) -> PiholeSim:
        return cast(PiholeSim, self.server.app)

    def route(self) -> None:
        if self.url_path != "/admin/api.php" or self.command not in ("GET", "HEAD"):
            self.send(404, LIGHTTPD_404, "text/html")
            return
        query = self.query
        if "customdns" in query and self.authorized(query):
            V5CustomDns(self, query).answer()
        elif "version" in query:
            self.send(200, compact({"version": 3}), "application/json")
        else:
            self.send(200, b"[]", "application/json")  # what api.php answers a bad or missing auth

    def fault_error(self) -> None:
        self.send(500, LIGHTTPD_404.replace(b"404 Not Found", b"500 Internal Server Error"), "text/html")

    def authorized(self, query: dict[str, list[str]]) -> bool:
        if not self.sim.password:
            return True
        token = (query.get("auth") or [""])[0]
        return secrets.compare_digest(token.encode(), v5_api_token(self.sim.password).encode())


class V5CustomDns:
    """api.php?customdns&action=get|add|delete (scripts/pi-hole/php/func.php, v5.21)."""

    def __init__(self, handler: PiholeV5Handler, query: dict[str, list[str]]) -> None:
        self.h = handler
        self.sim = handler.sim
        self.query = query

    def arg(self, name: str) -> str:
        return (self.query.get(name) or [""])[0].strip()

    def answer(self) -> None:
        action = self.arg("action")
        if action == "get":
            pairs = [[names[0], ip] for ip, names in map(_split_hosts_item, self.sim.hosts()) if names]
            self.h.send(200, compact({"data": pairs}), "application/json")
        elif action in ("add", "delete"):
            problem = self.add() if action == "add" else self.delete()
            body = {"success": problem is None, "message": problem or ""}
            self.h.send(200, compact(body), "application/json")
        else:
            self.h.send(200, b"Wrong action", "application/json")

    def add(self) -> str | None:
        ip, domain = self.arg("ip"), self.arg("domain")
        if not ip:
            return "IP must be set"
        if not valid_ip(ip):
            return "IP must be valid"
        if not domain:
            return "Domain must be set"
        for name in domain.split(","):
            if not valid_domain(name.lower()):
                return f"Domain '{name}' is not valid"
        family = 6 if ":" in ip else 4
        with self.sim.lock:
            for existing_ip, names in map(_split_hosts_item, self.sim.array("dns.hosts") or []):
                if names and names[0] == domain and (6 if ":" in existing_ip else 4) == family:
                    return f"The domain {domain} already has a custom DNS entry for an IPv{family}"
            hosts = self.sim.array("dns.hosts")
            assert hosts is not None
            hosts.extend(f"{ip} {name}" for name in domain.split(","))
        return None

    def delete(self) -> str | None:
        ip, domain = self.arg("ip"), self.arg("domain")
        if not ip:
            return "IP must be set"
        if not domain:
            return "Domain must be set"
        with self.sim.lock:
            hosts = self.sim.array("dns.hosts")
            assert hosts is not None
            for item in hosts:
                existing_ip, names = _split_hosts_item(item)
                if existing_ip == ip and names[:1] == [domain]:
                    hosts.remove(item)
                    return None
        return "This domain/ip association does not exist"
