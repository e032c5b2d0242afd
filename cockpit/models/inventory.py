"""Provides the inventory model of cockpit.toml: hosts, DNS servers, backends and services.

Secrets never sit in the TOML: a secret field is `{ env = "NAME" }` or `{ file = "PATH" }`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Annotated, Literal, get_args

from pydantic import BeforeValidator, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from cockpit.models.base import Address, FilePath, Slug, StatusRange, Strict, Subnet

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


HostKind = Literal["bare-metal", "vm", "lxc"]
GUEST_KINDS: tuple[str, ...] = ("vm", "lxc")


class Host(Strict):
    """A machine of the homelab, and the facts the principles linter reads from it.

    `kind` says whether the host is a physical machine or a guest (VM, LXC) of the host named by
    `hypervisor`. Boot facts: `boot_disks` lists the disks of the boot pool, `boot_mirror` says
    whether they are mirrored; with only the disks written, two or more count as a mirror.
    """

    name: Slug
    role: HostRole
    address: Address
    vlan: int = Field(ge=1, le=4094)
    description: str = ""
    kind: HostKind | None = Field(default=None, description="bare-metal, vm or lxc; unset: not stated")
    hypervisor: Slug | None = Field(default=None, description="the host a vm or lxc runs on")
    boot_disks: list[Annotated[str, Field(min_length=1)]] = Field(
        default=[], description="the disks of the boot pool, for example nvme0n1 or a /dev/disk/by-id name"
    )
    boot_mirror: bool | None = Field(default=None, description="whether the boot disks are mirrored")
    docker: bool = Field(default=False, description="runs Docker containers (role docker implies it)")

    @model_validator(mode="after")
    def _consistent(self) -> Host:
        if self.hypervisor is not None and self.kind not in GUEST_KINDS:
            raise ValueError('hypervisor is only for a guest: write kind = "vm" or kind = "lxc"')
        if self.hypervisor == self.name:
            raise ValueError("a host cannot be its own hypervisor")
        if self.boot_mirror and len(self.boot_disks) == 1:
            raise ValueError("boot_mirror = true needs at least two boot_disks")
        if len(set(self.boot_disks)) != len(self.boot_disks):
            raise ValueError("boot_disks lists a disk twice")
        return self

    @property
    def is_guest(self) -> bool:
        return self.kind in GUEST_KINDS

    @property
    def runs_docker(self) -> bool:
        return self.docker or self.role == "docker"

    @property
    def boot_redundant(self) -> bool | None:
        """Whether losing one boot disk leaves the host running; None when the inventory does not say."""
        if self.boot_mirror is not None:
            return self.boot_mirror
        return len(self.boot_disks) >= 2 if self.boot_disks else None


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
    """The NUT server (upsd) on the NAS, and the order in which hosts shut down on battery.

    `shutdown_order` names hosts, first to stop first; guests stop with their hypervisor, so
    only the machines that run a NUT client or the NUT server need to be listed.
    """

    address: HostPort
    ups: Slug
    username: str | None = None
    password: Secret | None = None
    shutdown_order: list[Slug] = Field(default=[], description="host names, first to shut down first")


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


class Runbook(Strict):
    """Runbook-style notes for one service: how to start, stop, back up, restore and roll it back."""

    start: str | None = None
    stop: str | None = None
    backup: str | None = None
    restore: str | None = None
    rollback: str | None = None
    notes: str | None = Field(default=None, description='anything else; a plain `runbook = "..."` lands here')


def _runbook(value: object) -> object:
    """An older `runbook = "text"` is kept, as the runbook's notes."""
    return {"notes": value} if isinstance(value, str) else value


Platform = Literal["docker", "kubernetes", "vm", "lxc", "bare-metal"]


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
    platform: Platform | None = Field(
        default=None, description="what runs it on v3: docker, kubernetes, vm, lxc or bare-metal"
    )
    production: bool = Field(default=True, description="false for a test workload (the k3s sandbox)")
    shares: list[Slug] = Field(default=[], description="the shares it mounts, by name")
    runbook: Annotated[Runbook, BeforeValidator(_runbook)] | None = None

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


SharePurpose = Literal["downloads", "media", "photos", "documents", "backups", "apps", "other"]


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


class Share(Strict):
    """A share of a storage host: the filesystem it lives on and what it holds.

    `filesystem` names the filesystem as the NAS sees it (Unraid's parity "array", a cache pool,
    a ZFS dataset such as "tank/media"): two shares on the same host and filesystem can hardlink.
    """

    name: Slug
    host: Slug
    filesystem: Annotated[str, Field(min_length=1)]
    purpose: Annotated[list[SharePurpose], BeforeValidator(_as_list), Field(min_length=1)]
    path: str = ""


VlanPurpose = Literal["management", "trusted", "services", "iot", "guest", "other"]


class Vlan(Strict):
    """A network of the homelab: its VLAN id, name, subnet and what it is for."""

    id: int = Field(ge=1, le=4094)
    name: Annotated[str, Field(min_length=1)]
    purpose: VlanPurpose
    subnet: Subnet | None = None


class FirewallRule(Strict):
    """One inter-VLAN rule, in the gateway's order: the first rule that matches a flow decides it.

    `from` is a VLAN id or "any"; `to` a VLAN id, "any" (every VLAN) or "internet". Without
    ports the rule covers every port.
    """

    source: int | Literal["any"] = Field(alias="from")
    destination: int | Literal["any", "internet"] = Field(alias="to")
    action: Literal["allow", "deny"]
    ports: list[Annotated[int, Field(ge=1, le=65535)]] = []
    description: str = ""


class Firewall(Strict):
    """The inter-VLAN firewall: what happens to traffic no rule matches, and the rules in order."""

    default: Literal["deny", "allow"]
    rules: list[FirewallRule] = []


def _problem(loc: tuple[str | int, ...], message: str, value: object) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError("reference", message), loc=loc, input=value)


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
    shares: list[Share] = []
    vlans: list[Vlan] = []
    firewall: Firewall | None = None
    commands: Commands = Field(default_factory=Commands)
    cutover: CutoverSettings = Field(default_factory=CutoverSettings)
    lab: LabSection | None = None

    @model_validator(mode="after")
    def _references(self) -> Inventory:
        """Every name and VLAN id the facts refer to exists.

        Raised as a ValidationError with each problem's own location, so the operator gets the
        file and line of the bad reference rather than a message about the whole file.
        """
        problems = [
            *self._host_references(),
            *self._share_references(),
            *self._vlan_references(),
        ]
        if problems:
            raise ValidationError.from_exception_data("Inventory", problems)
        return self

    def _host_references(self) -> Iterable[InitErrorDetails]:
        names = {host.name for host in self.hosts}
        for position, host in enumerate(self.hosts):
            if host.hypervisor is not None and host.hypervisor not in names:
                yield _problem(("hosts", position, "hypervisor"), "no host with this name", host.hypervisor)
        if self.nut is not None:
            seen: Counter[str] = Counter()
            for position, name in enumerate(self.nut.shutdown_order):
                seen[name] += 1
                loc: tuple[str | int, ...] = ("nut", "shutdown_order", position)
                if name not in names:
                    yield _problem(loc, "no host with this name", name)
                elif seen[name] > 1:
                    yield _problem(loc, "this host is already in the shutdown order", name)

    def _share_references(self) -> Iterable[InitErrorDetails]:
        hosts = {host.name for host in self.hosts}
        seen: set[str] = set()
        for position, share in enumerate(self.shares):
            if share.host not in hosts:
                yield _problem(("shares", position, "host"), "no host with this name", share.host)
            if share.name in seen:
                yield _problem(("shares", position, "name"), "duplicate share name", share.name)
            seen.add(share.name)
        for position, service in enumerate(self.services):
            for index, name in enumerate(service.shares):
                if name not in seen:
                    yield _problem(("services", position, "shares", index), "no share with this name", name)

    def _vlan_references(self) -> Iterable[InitErrorDetails]:
        ids: set[int] = set()
        for position, vlan in enumerate(self.vlans):
            if vlan.id in ids:
                yield _problem(("vlans", position, "id"), "duplicate VLAN id", vlan.id)
            ids.add(vlan.id)
        if ids:
            for position, host in enumerate(self.hosts):
                if host.vlan not in ids:
                    yield _problem(("hosts", position, "vlan"), "no [[vlans]] entry with this id", host.vlan)
        if self.firewall is None:
            return
        for position, rule in enumerate(self.firewall.rules):
            for field, value in (("from", rule.source), ("to", rule.destination)):
                if isinstance(value, int) and value not in ids:
                    message = "no [[vlans]] entry with this id"
                    yield _problem(("firewall", "rules", position, field), message, value)
