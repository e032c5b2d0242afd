"""Provides a UniFi OS console simulator: a UDM SE on UniFi OS 4.1 running UniFi Network 9.0, over HTTPS.

What it copies from the real console (the specs README, section 5, which is brief, and the
third-party clients aiounifi and go-unifi, with console answers quoted in their issue trackers):

- `GET /` answers 200 with the UniFi OS login page: how clients (aiounifi) tell UniFi OS from a
  classic controller, which redirects.
- Login is UniFi OS's, not the Network application's: `POST /api/auth/login`
  `{"username","password","rememberMe"}` answers the user object with a `TOKEN` cookie (a JWT whose
  payload carries `csrfToken`) and an `X-CSRF-Token` header. Wrong credentials are **403**
  `{"code":"AUTHENTICATION_FAILED_INVALID_CREDENTIALS","message":"Invalid username or password"}`
  (UniFi OS's own shape: `api.err.Invalid` with HTTP 400 is what a classic controller's
  `/api/login` says, and UniFi OS has no such route); after 5 failures from one address within a
  minute every login is **429** `AUTHENTICATION_FAILED_LIMIT_REACHED` until the minute is over.
- The classic API under `/proxy/network/api/s/{site}/...` answers `{"meta":{"rc":"ok"},"data":[...]}`;
  without a valid TOKEN it is 401 `api.err.LoginRequired`, for an account without access to the
  Network application 403 `api.err.NoPermission`, and every write (the lab's account is View Only)
  403 `api.err.NoPermission`. `GET /proxy/network/api/self/sites` lists the site.
- The v2 API (`/proxy/network/v2/api/site/{site}/firewall-policies`, `.../firewall/zone`) answers
  bare JSON; its errors are `{"errorCode","message"}` with the same `api.err.*` messages.
- The Integration API (`/proxy/network/integration/v1/...`) wants `X-API-KEY`; lists are pages
  `{offset,limit,count,totalCount,data}`; errors `{statusCode,statusName,code,message,timestamp,
  requestPath,requestId}`.
- An injected error is nginx's `502 Bad Gateway` page: what the console's front end answers while
  the Network application restarts.

What the networks and rules are: `cockpit.lab.unifi_state` (the design's intent, changed by tests)
and `cockpit.lab.unifi_render` (the same intent in each API's shape).

Not faithful (see also those modules): a real console holds either legacy rules or zone policies
(migrating to zones converts and hides the legacy rules); this one serves both, always agreeing.
CSRF tokens are issued but not enforced; sessions do not expire on their own (`expire_sessions()`
ends them); `api.err.NoSiteContext` (400) for an unknown site and `api.err.NotFound` (404) for an
unknown classic path, the Integration API's error `code` strings and the predefined zone policies'
names and indexes are plausible rather than captured from a console; no 2FA/MFA (HTTP 499), no
websocket, no `/api/system`, no writes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from cockpit.lab import catalog
from cockpit.lab.faults import Faults
from cockpit.lab.httpserver import LabHTTPServer
from cockpit.lab.tls import LabCertificate, make_certificate
from cockpit.lab.unifi_api import (
    INTEGRATION_SITE_ID,
    NETWORK_VERSION,
    SITE_NAME,
    UNIFI_OS_VERSION,
    UnifiHandler,
    compact,
)
from cockpit.lab.unifi_state import ConsoleState

__all__ = [
    "BACKEND",
    "DEFAULT_API_KEY",
    "DEFAULT_PASSWORD",
    "DEFAULT_USERNAME",
    "INTEGRATION_SITE_ID",
    "NETWORK_VERSION",
    "SITE_NAME",
    "UNIFI_OS_VERSION",
    "UnifiSim",
]

BACKEND = "unifi"
DEFAULT_USERNAME = "cockpit-ro"
DEFAULT_PASSWORD = "unifi-lab-password"
DEFAULT_API_KEY = "unifi-lab-integration-key"
USER_ID = "5b1d6f7e-0c3a-4e55-9d2e-2a7b4c1f0a11"
LOGIN_FAILURES_ALLOWED = 5
LOGIN_WINDOW_S = 60.0


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class _Sessions:
    """UniFi OS sessions: the TOKEN JWT of each login, its CSRF token, and the failed-login window."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}  # TOKEN -> csrf token
        self.failures: dict[str, list[float]] = {}
        self.logins = 0
        self._key = secrets.token_bytes(32)

    def open(self, remember: bool) -> tuple[str, str]:
        csrf = str(uuid.uuid4())
        now = int(time.time())
        header = _b64url(compact({"alg": "HS256", "typ": "JWT"}))
        claims = {
            "userId": USER_ID,
            "passwordRevision": 0,
            "isRemembered": remember,
            "csrfToken": csrf,
            "iat": now,
            "exp": now + (30 * 86400 if remember else 7200),
            "jti": str(uuid.uuid4()),
        }
        body = _b64url(compact(claims))
        signature = _b64url(hmac.new(self._key, f"{header}.{body}".encode(), hashlib.sha256).digest())
        token = f"{header}.{body}.{signature}"
        self.tokens[token] = csrf
        self.logins += 1
        return token, csrf

    def locked_out(self, address: str, now: float) -> bool:
        recent = [t for t in self.failures.get(address, []) if now - t < LOGIN_WINDOW_S]
        self.failures[address] = recent
        return len(recent) >= LOGIN_FAILURES_ALLOWED


class UnifiSim:
    """One UniFi console (backend "unifi" in the fault switchboard), HTTPS with a throwaway certificate."""

    def __init__(
        self,
        faults: Faults,
        *,
        directory: Path,
        host: str = catalog.UNIFI_HOST,
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        api_key: str = DEFAULT_API_KEY,
        api_port: int = 0,
    ) -> None:
        self.faults = faults
        self.directory = directory
        self.host = host
        self.username = username
        self.password = password
        self.api_key = api_key
        self._api_port = api_port
        self.state = ConsoleState()
        self._lock = threading.Lock()
        self._sessions = _Sessions()
        self._network_access = True
        self._certificate: LabCertificate | None = None
        self._http: LabHTTPServer | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._certificate = make_certificate(self.directory, "unifi", [self.host], ["unifi", "unifi.local"])
        self._http = LabHTTPServer(
            (self.host, self._api_port),
            UnifiHandler,
            self.faults,
            backend=BACKEND,
            tls=self._certificate.server_context(),
            app=self,
        )
        self._http.start()

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()

    def __enter__(self) -> UnifiSim:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._http is not None, "start() the simulator first"
        return f"https://{self.host}:{self._http.port}"

    @property
    def fingerprint(self) -> str:
        """The certificate's SHA-256 as `AB:CD:...`, as `openssl x509 -fingerprint -sha256` prints it."""
        assert self._certificate is not None, "start() the simulator first"
        return self._certificate.fingerprint

    @property
    def cert_file(self) -> Path:
        assert self._certificate is not None, "start() the simulator first"
        return self._certificate.cert_file

    # -- changers (thread-safe; for tests, faults and the demo) ---------------------------------

    def allow_between(self, source_vlan: int, destination_vlan: int) -> None:
        self.state.allow_between(source_vlan, destination_vlan)

    def remove_default_drop(self) -> None:
        self.state.remove_default_drop()

    def move_management_to_default(self) -> None:
        self.state.move_management_to_default()

    def remove_vlan(self, vlan: int) -> None:
        self.state.remove_vlan(vlan)

    def set_network_access(self, allowed: bool) -> None:
        """Take the account's Network application role away (False): every API call is NoPermission."""
        with self._lock:
            self._network_access = allowed

    def expire_sessions(self) -> None:
        """End every session, as a console restart or a password change does."""
        with self._lock:
            self._sessions.tokens.clear()

    def reset(self) -> None:
        """Back to the design's configuration, with no session, no failed login and full access."""
        self.state.reset()
        with self._lock:
            self._sessions = _Sessions()
            self._network_access = True

    @property
    def login_count(self) -> int:
        with self._lock:
            return self._sessions.logins

    @property
    def session_count(self) -> int:
        with self._lock:
            return len(self._sessions.tokens)

    # -- what the handler asks ------------------------------------------------------------------

    def login(self, address: str, username: Any, password: Any, remember: bool) -> tuple[int, Any]:
        """(status, payload): the session's TOKEN and CSRF token in the payload's `_session` on success."""
        now = time.monotonic()
        with self._lock:
            if self._sessions.locked_out(address, now):
                return 429, {
                    "code": "AUTHENTICATION_FAILED_LIMIT_REACHED",
                    "message": "You've reached the login attempt limit",
                }
            if username != self.username or password != self.password:
                self._sessions.failures.setdefault(address, []).append(now)
                return 403, {
                    "code": "AUTHENTICATION_FAILED_INVALID_CREDENTIALS",
                    "message": "Invalid username or password",
                    "level": "debug",
                }
            token, csrf = self._sessions.open(remember)
        return 200, {**_user_object(self.username), "_session": (token, csrf)}

    def logout(self, token: str | None) -> None:
        with self._lock:
            self._sessions.tokens.pop(token or "", None)

    def session_valid(self, token: str | None) -> bool:
        with self._lock:
            return token is not None and token in self._sessions.tokens

    @property
    def network_access(self) -> bool:
        with self._lock:
            return self._network_access


def _user_object(username: str) -> dict[str, Any]:
    """The user object UniFi OS answers a login with (a View Only local account)."""
    return {
        "unique_id": USER_ID,
        "first_name": "cockpit",
        "last_name": "read-only",
        "full_name": "cockpit read-only",
        "email": "",
        "email_status": "UNVERIFIED",
        "status": "ACTIVE",
        "username": username,
        "local_account_exist": True,
        "requires_new_password": False,
        "isOwner": False,
        "isSuperAdmin": False,
        "permissions": {"network.management": ["readonly"]},
        "scopes": ["view:network"],
    }
