"""Provides the inventory model of cockpit.toml: hosts, DNS servers, backends and services.

Secrets never sit in the TOML: a secret field is `{ env = "NAME" }` or `{ file = "PATH" }`.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BeforeValidator, Field, model_validator

from cockpit.models.base import Address, FilePath, Slug, StatusRange, Strict

HostRole = Literal[
    "nas",
    "hypervisor-primary",
    "hypervisor-secondary",
    "docker",
    "idp",
    "gateway",
    "switch",
    "dns",
    "backup",
    "k3s-server",
    "k3s-agent",
    "workstation",
    "other",
]
HOST_ROLES: tuple[str, ...] = get_args(HostRole)


def _no_plain_secret(value: object) -> object:
    if isinstance(value, str):
        raise ValueError(
            'secrets never sit in the TOML: write { env = "VARIABLE" } or { file = "/path/0600-file" }'
        )
    return value


class SecretRef(Strict):
    """Where a secret comes from: an environment variable or a file readable only by its owner."""

    env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    file: FilePath | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of env or file")
        return self


Secret = Annotated[SecretRef, BeforeValidator(_no_plain_secret)]


class Host(Strict):
    """A machine of the homelab."""

    name: Slug
    role: HostRole
    address: Address
    vlan: int = Field(ge=1, le=4094)
    description: str = ""


class Endpoint(Strict):
    """An address and port, written `host:port` in TOML."""

    host: str
    port: int = Field(ge=1, le=65535)

    @classmethod
    def parse(cls, value: object) -> object:
        if isinstance(value, str):
            host, sep, port = value.rpartition(":")
            if not sep or not port.isdigit() or not host:
                raise ValueError(f"expected host:port, got '{value}'")
            return {"host": host.strip("[]"), "port": int(port)}
        return value

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


HostPort = Annotated[Endpoint, BeforeValidator(Endpoint.parse)]


class Tls(Strict):
    """TLS verification: on by default; a CA file or a SHA-256 pin for a self-signed certificate.

    `insecure = true` turns verification off; only when written explicitly, and then cockpit warns
    on every run and audits it.
    """

    ca_file: FilePath | None = None
    fingerprint: str | None = Field(default=None, pattern=r"^([0-9A-Fa-f]{2}:?){32}$")
    insecure: bool = False

    @model_validator(mode="after")
    def _one_way(self) -> Tls:
        if self.insecure and (self.ca_file or self.fingerprint):
            raise ValueError(
                "insecure = true turns verification off; it cannot go with ca_file or fingerprint"
            )
        return self

    @property
    def pinned(self) -> str | None:
        """The fingerprint as 64 hex digits without colons, lowercase (how urllib3 compares it)."""
        return self.fingerprint.replace(":", "").lower() if self.fingerprint else None


class DnsServer(Strict):
    """A DNS server that answers the services' names: its API and its DNS port."""

    name: Slug
    kind: Literal["adguard", "pihole"]
    role: Literal["primary", "secondary"]
    api_url: Annotated[str, Field(pattern=r"^https?://")]
    dns: HostPort
    username: str | None = None
    password: Secret | None = None
    tls: Tls = Tls()


class Proxmox(Strict):
    """The Proxmox VE API, reached with an API token."""

    api_url: Annotated[str, Field(pattern=r"^https://")]
    token_id: Annotated[str, Field(pattern=r"^[^@\s]+@[^!\s]+![^\s]+$")]
    token_secret: Secret
    tls: Tls = Tls()


class Nut(Strict):
    """The NUT server (upsd) on the NAS."""

    address: HostPort
    ups: Slug
    username: str | None = None
    password: Secret | None = None


class Unifi(Strict):
    """The UniFi gateway, read-only, through a local account (the classic API holds the subnets).

    `api_key` is for the official Integration API, which some checks may use where it suffices.
    """

    api_url: Annotated[str, Field(pattern=r"^https://")]
    username: str
    password: Secret
    api_key: Secret | None = None
    site: str = "default"
    tls: Tls = Tls()


class HealthCheck(Strict):
    """How to tell that a service answers: scheme, port, path and expected status range."""

    scheme: Literal["http", "https"] = "https"
    port: int | None = Field(default=None, ge=1, le=65535)
    path: str = Field(default="/", pattern=r"^/")
    expect_status: StatusRange = (200, 399)

    @property
    def effective_port(self) -> int:
        return self.port or (443 if self.scheme == "https" else 80)


class Service(Strict):
    """One move of a service: from its v2 address to its v3 address, owned by a phase.

    A later move of the same service (Docker to the cluster in phase 6) is a service of its own
    that `follows` the earlier one: its hostnames default to the earlier move's, and its v2 (the
    address it moves from) to the earlier move's v3.
    """

    name: Slug
    title: str = ""
    hostnames: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9*][A-Za-z0-9.-]*$")]] = []
    v2: Address | None = None
    v3: Address
    health: HealthCheck = HealthCheck()
    phase: int = Field(ge=0)
    cutover: Literal["dns", "manual"] = "dns"
    rollback: Literal["automatic", "manual"] = Field(
        default="automatic", description="when verification fails: roll back, or stop in needs_attention"
    )
    follows: Slug | None = None
    runbook: str = ""

    @property
    def hostname(self) -> str:
        return self.hostnames[0]


DEFAULT_REMOTE = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "{host}", "--"]


class Commands(Strict):
    """How a command reaches an inventory host: a remote shell whose `{host}` is the host's name.

    The default is ssh without a password prompt (keys or an agent); the lab puts its host simulator
    here. The command's own arguments follow the remote shell's.
    """

    remote: list[str] = Field(default_factory=lambda: list(DEFAULT_REMOTE), min_length=1)

    @model_validator(mode="after")
    def _names_the_host(self) -> Commands:
        if not any("{host}" in part for part in self.remote):
            raise ValueError("the remote shell must contain {host} where the host's name goes")
        return self


class CutoverSettings(Strict):
    """The waits and limits of a cutover; the defaults suit a real homelab, tests use short ones."""

    dns_wait_s: float = Field(
        default=20.0, ge=0, description="wait for every server to answer (rewrite TTL 10 s + margin)"
    )
    dns_poll_s: float = Field(default=0.5, gt=0)
    dns_timeout_s: float = Field(default=2.0, gt=0)
    http_successes: int = Field(
        default=3, ge=1, description="consecutive healthy answers that verify a cutover"
    )
    http_failures: int = Field(default=3, ge=1, description="failed answers that fail a verification")
    http_interval_s: float = Field(default=1.0, ge=0)
    http_timeout_s: float = Field(default=5.0, gt=0)
    grace_period_s: float = Field(
        default=86400.0, ge=0, description="how long cut_over must hold before finalize"
    )
    max_batch_share: float = Field(
        default=0.5, gt=0, le=1, description="largest share of services in one batch"
    )
    api_timeout_s: float = Field(default=10.0, gt=0, description="each call to a DNS server's API")


class LabSection(Strict):
    """Written by `cockpit lab`: where its fault control endpoint listens, and its token."""

    control_url: Annotated[str, Field(pattern=r"^http://127\.0\.0\.1:\d+$")]
    token: Secret


class Inventory(Strict):
    """The whole cockpit.toml."""

    state_dir: FilePath | None = None
    phases_dir: FilePath | None = None
    example: bool = Field(default=False, description="an example inventory: never contacted")
    hosts: list[Host] = []
    dns_servers: list[DnsServer] = []
    proxmox: Proxmox | None = None
    nut: Nut | None = None
    unifi: Unifi | None = None
    services: list[Service] = []
    commands: Commands = Field(default_factory=Commands)
    cutover: CutoverSettings = Field(default_factory=CutoverSettings)
    lab: LabSection | None = None
