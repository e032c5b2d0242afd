"""Provides the UniFi Network adapter: read-only, through a local account on a UniFi OS console (UDM SE).

It follows UniFi OS 4.x with UniFi Network 9.x (the lab poses as UniFi OS 4.1.13, Network 9.0.114):
login is UniFi OS's `POST /api/auth/login` (a `TOKEN` cookie and an `X-CSRF-Token`), the networks
come from the classic `/proxy/network/api/s/{site}/rest/networkconf`, the firewall from the v2
zone-based policies (`/proxy/network/v2/api/site/{site}/firewall-policies` and `.../firewall/zone`)
where the console uses them, otherwise from the legacy `rest/firewallrule` with `rest/firewallgroup`.
`version()` is the Network application's version from `stat/sysinfo` (the console's UniFi OS
version is not asked: nothing cockpit checks depends on it).

TLS: verification is on by default. A console's certificate is self-signed, so the operator either
gives its CA file or pins its SHA-256 fingerprint. A pin is checked on a probe connection that sends
nothing, and the certificate that matched then becomes the only trust anchor of the HTTP client, so
every later connection (login included) is verified by OpenSSL during the handshake, before a byte
of the request leaves: the password never goes to a certificate that was not checked. `insecure`
turns verification off only when asked, with a warning.

The firewall is normalised (`FirewallPolicy`): for each ordered pair of routed internal networks
(and each network to the internet), whether new connections are allowed, on which TCP/UDP ports,
by which rules, and what the pair gets when no allow matches (its fallback). Anything the normaliser
cannot judge exactly is read conservatively: a partial allow counts as an allow, a partial block does
not count as a block, and traffic no rule decides is allowed (as LAN_IN does by default).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import logging
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv4Network, collapse_addresses, ip_network, summarize_address_range
from ipaddress import ip_address as parse_ip
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict

from cockpit import netguard
from cockpit.adapters import httpbase
from cockpit.adapters.errors import (
    AdapterError,
    AuthFailed,
    BadRequest,
    MalformedResponse,
    NotFound,
    ServerError,
    Timeout,
    Unreachable,
)
from cockpit.errors import CockpitError
from cockpit.secrets import REDACTOR

BACKEND = "unifi"
WHAT = "the UniFi adapter"
LOGIN_PATH = "/api/auth/login"
LOGOUT_PATH = "/api/auth/logout"
NOT_ROUTED = ("wan", "vlan-only", "remote-user-vpn", "site-vpn", "vpn-client")
NO_CHECK_TIME = 0x200000  # OpenSSL's X509_V_FLAG_NO_CHECK_TIME: a pin names one certificate, expired or not
log = logging.getLogger(__name__)

Endpoint = int | Literal["internet"]
Verdict = Literal["deny", "allow"]


class TlsRefused(AdapterError):
    """The console's certificate is not one cockpit trusts: nothing was sent to it."""


class PinMismatch(TlsRefused):
    """The console's certificate does not have the pinned SHA-256 fingerprint."""


# -- the models the adapter returns -----------------------------------------------------------------


class Network(BaseModel):
    """One network of the console; `vlan` is 1 for the untagged Default network and None for a WAN."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    vlan: int | None
    subnet: IPv4Network | None
    purpose: str
    untagged: bool
    enabled: bool = True

    @property
    def routed(self) -> bool:
        """An internal network the gateway routes between (inter-VLAN rules apply to it)."""
        return self.enabled and self.subnet is not None and self.purpose not in NOT_ROUTED


class FlowVerdict(BaseModel):
    """What the firewall does with new connections from one network to another (or to the internet)."""

    model_config = ConfigDict(frozen=True)

    source: int
    destination: Endpoint
    allowed: bool
    ports: tuple[int, ...] | None  # the TCP/UDP ports allowed; None: every port (or portless protocols too)
    protocols: tuple[str, ...]  # allowed protocol classes: "tcp", "udp", "other"
    fallback: Verdict  # what the pair gets when no allow rule matches
    rules: tuple[str, ...]  # the allow rules that let traffic through


class FirewallPolicy(BaseModel):
    """The console's inter-VLAN policy, normalised from legacy rules or zone policies."""

    model_config = ConfigDict(frozen=True)

    api: Literal["legacy", "zone"]
    default: Verdict  # deny when every pair of internal networks falls back to deny
    flows: tuple[FlowVerdict, ...]
    rule_count: int

    def verdict(self, source: int, destination: Endpoint) -> FlowVerdict | None:
        return next((f for f in self.flows if f.source == source and f.destination == destination), None)


# -- parsing the classic records --------------------------------------------------------------------


def _vlan_number(value: Any) -> int | None:
    """`vlan` is an int, sometimes a string ("10"); None when absent or empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"vlan is {value!r}")
    number = int(value)
    if not 1 <= number <= 4094:
        raise ValueError(f"vlan {number} is out of range")
    return number


def parse_network(record: Any) -> Network:
    """One `rest/networkconf` record; MalformedResponse when it is not one."""
    try:
        if not isinstance(record, dict) or not isinstance(record.get("_id"), str):
            raise ValueError("a network record without an _id")
        purpose = str(record.get("purpose") or "")
        vlan = _vlan_number(record.get("vlan")) if record.get("vlan_enabled") else None
        if record.get("vlan_enabled") and vlan is None and purpose != "wan":
            raise ValueError(f"network '{record.get('name')}' is VLAN-tagged without a VLAN id")
        subnet_text = record.get("ip_subnet")
        subnet = IPv4Interface(subnet_text).network if subnet_text else None
    except ValueError as exc:
        raise MalformedResponse(BACKEND, f"reading the networks: {exc}") from None
    untagged = purpose != "wan" and vlan in (None, 1)  # VLAN 1 is the native, untagged LAN
    return Network(
        id=record["_id"],
        name=str(record.get("name", "")),
        vlan=None if purpose == "wan" else (1 if untagged else vlan),
        subnet=subnet,
        purpose=purpose,
        untagged=untagged,
        enabled=record.get("enabled") is not False,
    )


# -- port sets: a finite set of ports, or every port except a finite set ----------------------------


class PortSet(NamedTuple):
    complement: bool
    ports: frozenset[int]

    def __and__(self, other: tuple[bool, frozenset[int]]) -> PortSet:
        (a_all, a), (b_all, b) = self, other
        if a_all and b_all:
            return PortSet(True, a | b)
        if a_all:
            return PortSet(False, b - a)
        return PortSet(False, a - b if b_all else a & b)

    def __or__(self, other: tuple[bool, frozenset[int]]) -> PortSet:
        (a_all, a), (b_all, b) = self, other
        if a_all and b_all:
            return PortSet(True, a & b)
        if a_all or b_all:
            return PortSet(True, (a - b) if a_all else (b - a))
        return PortSet(False, a | b)

    def __invert__(self) -> PortSet:
        return PortSet(not self.complement, self.ports)

    def __sub__(self, other: tuple[bool, frozenset[int]]) -> PortSet:
        return self & ~PortSet(*other)

    @property
    def empty(self) -> bool:
        return not self.complement and not self.ports


ALL_PORTS = PortSet(True, frozenset())
NO_PORTS = PortSet(False, frozenset())
CLASSES = ("tcp", "udp", "other")


def parse_ports(text: Iterable[str]) -> PortSet:
    """Ports written like "80,443,8000-8100" (or a port group's members); ValueError when not ports."""
    ports: set[int] = set()
    for item in (p.strip() for chunk in text for p in str(chunk).split(",")):
        if not item:
            continue
        low, _, high = item.partition("-")
        first, last = int(low), int(high or low)
        if not 1 <= first <= last <= 65535:
            raise ValueError(f"port {item}")
        ports.update(range(first, last + 1))
    if not ports:
        raise ValueError("no ports")
    return PortSet(False, frozenset(ports))


def protocol_classes(protocol: str) -> frozenset[str]:
    protocol = (protocol or "all").lower()
    if protocol == "all":
        return frozenset(CLASSES)
    if protocol == "tcp_udp":
        return frozenset(("tcp", "udp"))
    return frozenset((protocol,)) if protocol in ("tcp", "udp") else frozenset(("other",))


# -- coverage: how much of an endpoint's traffic a rule's side matches -----------------------------

FULL, PARTIAL, NONE = 2, 1, 0
Side = Callable[[Network | None], int]  # None stands for the internet


def _addresses(items: Iterable[str]) -> list[IPv4Network] | None:
    """CIDRs, addresses and ranges as networks; None when one of them cannot be read."""
    found: list[IPv4Network] = []
    try:
        for item in (i.strip() for i in items if str(i).strip()):
            if "-" in item:
                low, high = (parse_ip(x.strip()) for x in item.split("-", 1))
                found += [n for n in summarize_address_range(low, high) if isinstance(n, IPv4Network)]
            else:
                network = ip_network(item, strict=False)
                if isinstance(network, IPv4Network):
                    found.append(network)
    except ValueError:
        return None
    return list(collapse_addresses(found))


def _address_side(items: list[str]) -> Side:
    networks = _addresses(items)

    def coverage(endpoint: Network | None) -> int:
        if networks is None:
            return PARTIAL
        if endpoint is None:  # the internet: everything outside the private ranges
            if any(n.prefixlen == 0 for n in networks):
                return FULL
            return PARTIAL if any(not n.is_private for n in networks) else NONE
        assert endpoint.subnet is not None
        if any(endpoint.subnet.subnet_of(n) for n in networks):
            return FULL
        return PARTIAL if any(endpoint.subnet.overlaps(n) for n in networks) else NONE

    return coverage


def _both(first: Side, second: Side) -> Side:
    return lambda endpoint: min(first(endpoint), second(endpoint))


def _any_side(endpoint: Network | None) -> int:
    return FULL


@dataclass(frozen=True)
class Rule:
    """One legacy rule or zone policy, reduced to what decides new connections between two endpoints."""

    name: str
    allow: bool
    protocols: frozenset[str]
    ports: PortSet
    partial: bool  # matches only part of the traffic it names (a host, a MAC, source ports, a schedule)
    source: Side
    destination: Side


# -- legacy rules (rest/firewallrule + rest/firewallgroup) ------------------------------------------


class _Groups:
    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.by_id = {str(g.get("_id")): g for g in records if isinstance(g, dict)}

    def of_type(self, ids: Any, kind: str) -> tuple[list[str], bool]:
        """The members of the groups of `kind` among `ids`, and whether every id was known."""
        members: list[str] = []
        known = True
        for group_id in ids if isinstance(ids, list) else []:
            group = self.by_id.get(str(group_id))
            if group is None:
                known = False
            elif str(group.get("group_type", "")) == kind:
                members += [str(m) for m in group.get("group_members") or []]
        return members, known


def _legacy_side(rule: dict[str, Any], side: str, groups: _Groups) -> tuple[Side, bool]:
    """A rule's source or destination as a coverage function, and whether it is partial (ports, MAC)."""
    coverage: Side = _any_side
    network_id = rule.get(f"{side}_networkconf_id") or ""
    if network_id:
        address_only = rule.get(f"{side}_networkconf_type") == "ADDRv4"  # the gateway's own address
        coverage = lambda e: FULL if (e is not None and e.id == network_id and not address_only) else NONE  # noqa: E731
    members, known = groups.of_type(rule.get(f"{side}_firewallgroup_ids"), "address-group")
    if members:
        coverage = _both(coverage, _address_side(members))
    address = str(rule.get(f"{side}_address") or "")
    if address:
        coverage = _both(coverage, _address_side([address]))
    if side != "src":
        return coverage, not known
    source_ports = groups.of_type(rule.get("src_firewallgroup_ids"), "port-group")[0]
    return coverage, not known or bool(rule.get("src_mac_address") or rule.get("src_port") or source_ports)


def _legacy_ports(rule: dict[str, Any], groups: _Groups) -> tuple[PortSet, bool]:
    members, known = groups.of_type(rule.get("dst_firewallgroup_ids"), "port-group")
    text = [*members, str(rule.get("dst_port") or "")] if members or rule.get("dst_port") else []
    if not text:
        return ALL_PORTS, not known
    try:
        return parse_ports(text), not known
    except ValueError:
        return ALL_PORTS, True


def legacy_rules(records: list[Any], groups: list[dict[str, Any]], guest: bool = False) -> list[Rule]:
    """The enabled IPv4 LAN_IN (GUEST_IN for a guest source) rules that see new connections, in order."""
    ruleset = "GUEST_IN" if guest else "LAN_IN"
    known = _Groups(groups)
    chosen = [r for r in records if isinstance(r, dict) and r.get("ruleset") == ruleset and r.get("enabled")]
    rules = []
    for record in sorted(chosen, key=lambda r: int(r.get("rule_index") or 0)):
        states = [record.get(f"state_{s}") for s in ("new", "established", "related", "invalid")]
        if any(states) and not record.get("state_new"):
            continue  # only replies or invalid packets: not a new connection
        source, source_partial = _legacy_side(record, "src", known)
        destination, destination_partial = _legacy_side(record, "dst", known)
        ports, ports_partial = _legacy_ports(record, known)
        excepted = bool(record.get("protocol_match_excepted"))
        partial = source_partial or destination_partial or ports_partial or excepted
        rules.append(
            Rule(
                name=str(record.get("name") or record.get("_id")),
                allow=record.get("action") == "accept",
                protocols=frozenset(CLASSES)
                if excepted
                else protocol_classes(str(record.get("protocol") or "")),
                ports=ports,
                partial=partial or record.get("ipsec") == "match-ipsec",
                source=source,
                destination=destination,
            )
        )
    return rules


# -- zone-based policies (v2 firewall-policies + firewall/zone) -------------------------------------


def _zone_side(endpoint: dict[str, Any], zones: dict[str, dict[str, Any]]) -> tuple[Side, bool]:
    zone = zones.get(str(endpoint.get("zone_id")))
    if zone is None:
        return (lambda e: NONE), False
    members = {str(i) for i in zone.get("network_ids") or []}
    external = zone.get("zone_key") == "external"

    def in_zone(e: Network | None) -> bool:
        return external if e is None else e.id in members

    target = str(endpoint.get("matching_target") or "ANY").upper()
    if target == "ANY":
        return (lambda e: FULL if in_zone(e) else NONE), False
    if target == "NETWORK":
        ids = {str(i) for i in endpoint.get("network_ids") or []}
        opposite = bool(endpoint.get("match_opposite_networks"))
        return (
            lambda e: FULL if in_zone(e) and e is not None and ((e.id in ids) != opposite) else NONE
        ), False
    if target == "IP" and not endpoint.get("match_opposite_ips"):
        by_address = _address_side([str(i) for i in endpoint.get("ips") or []])
        return (lambda e: by_address(e) if in_zone(e) else NONE), False
    return (lambda e: PARTIAL if in_zone(e) else NONE), True  # clients, MACs, regions, domains, apps


def _zone_ports(endpoint: dict[str, Any], groups: _Groups) -> tuple[PortSet, bool]:
    kind = str(endpoint.get("port_matching_type") or "ANY").upper()
    try:
        if kind == "SPECIFIC":
            ports = parse_ports([str(endpoint.get("port") or "")])
        elif kind == "OBJECT":
            members, known = groups.of_type([endpoint.get("port_group_id")], "port-group")
            if not known:
                return ALL_PORTS, True
            ports = parse_ports(members)
        else:
            return ALL_PORTS, False
    except ValueError:
        return ALL_PORTS, True
    return (~ports if endpoint.get("match_opposite_ports") else ports), False


def _sees_new_connections(policy: dict[str, Any]) -> bool:
    kind = str(policy.get("connection_state_type") or "ALL").upper()
    if kind == "RESPOND_ONLY":
        return False
    states = {str(s).upper() for s in policy.get("connection_states") or []}
    return kind != "CUSTOM" or "NEW" in states


def zone_rules(records: list[Any], zone_records: list[Any], groups: list[dict[str, Any]]) -> list[Rule]:
    """The enabled IPv4 policies that see new connections, in index order (predefined ones included)."""
    zones = {str(z.get("_id")): z for z in zone_records if isinstance(z, dict)}
    known = _Groups(groups)
    chosen = [p for p in records if isinstance(p, dict) and p.get("enabled") and _sees_new_connections(p)]
    rules = []
    for policy in sorted(chosen, key=lambda p: int(p.get("index") or 0)):
        if str(policy.get("ip_version") or "BOTH").upper() == "IPV6":
            continue
        source, source_partial = _zone_side(policy.get("source") or {}, zones)
        destination, destination_partial = _zone_side(policy.get("destination") or {}, zones)
        ports, ports_partial = _zone_ports(policy.get("destination") or {}, known)
        opposite = bool(policy.get("match_opposite_protocol"))
        scheduled = str((policy.get("schedule") or {}).get("mode") or "ALWAYS").upper() != "ALWAYS"
        source_ports = str((policy.get("source") or {}).get("port_matching_type") or "ANY").upper() != "ANY"
        partial = (
            source_partial or destination_partial or ports_partial or opposite or scheduled or source_ports
        )
        rules.append(
            Rule(
                name=str(policy.get("name") or policy.get("_id")),
                allow=str(policy.get("action")).upper() == "ALLOW",
                protocols=frozenset(CLASSES)
                if opposite
                else protocol_classes(str(policy.get("protocol") or "")),
                ports=ports,
                partial=partial,
                source=source,
                destination=destination,
            )
        )
    return rules


# -- judging one pair -------------------------------------------------------------------------------


def judge(rules: list[Rule], source: Network, destination: Network | None) -> FlowVerdict:
    """Walk the rules in order for new connections from `source` to `destination` (None: the internet)."""
    remaining = {c: ALL_PORTS for c in CLASSES}
    allowed = {c: NO_PORTS for c in CLASSES}
    names: list[str] = []
    for rule in rules:
        reach = min(rule.source(source), rule.destination(destination))
        if reach == NONE:
            continue
        partial = rule.partial or reach == PARTIAL
        for cls in rule.protocols:
            if cls == "other" and rule.ports != ALL_PORTS:
                continue  # a port-limited rule never matches a portless protocol
            portion = remaining[cls] & (rule.ports if cls != "other" else ALL_PORTS)
            if portion.empty:
                continue
            if rule.allow:
                allowed[cls] = allowed[cls] | portion
                if rule.name not in names:
                    names.append(rule.name)
            if not partial:
                remaining[cls] = remaining[cls] - portion
    if any(not r.empty for r in remaining.values()):
        names.append("(no rule decides: allowed)")
        allowed = {c: allowed[c] | remaining[c] for c in CLASSES}
    return _verdict(rules, source, destination, allowed, names)


def _fallback(rules: list[Rule], source: Network, destination: Network | None) -> Verdict:
    """Deny when complete block rules cover all of the pair's traffic, whatever the allows before them."""
    remaining = {c: ALL_PORTS for c in CLASSES}
    for rule in rules:
        if rule.allow or rule.partial or min(rule.source(source), rule.destination(destination)) != FULL:
            continue
        for cls in rule.protocols:
            if cls != "other" or rule.ports == ALL_PORTS:
                remaining[cls] = remaining[cls] - (rule.ports if cls != "other" else ALL_PORTS)
    return "deny" if all(r.empty for r in remaining.values()) else "allow"


def _verdict(
    rules: list[Rule],
    source: Network,
    destination: Network | None,
    allowed: dict[str, PortSet],
    names: list[str],
) -> FlowVerdict:
    port_union = allowed["tcp"] | allowed["udp"]
    protocols = tuple(c for c in CLASSES if not allowed[c].empty)
    wide = port_union.complement or not allowed["other"].empty
    assert source.vlan is not None
    return FlowVerdict(
        source=source.vlan,
        destination="internet" if destination is None else (destination.vlan or 0),
        allowed=bool(protocols),
        ports=None if wide else tuple(sorted(port_union.ports)),
        protocols=protocols,
        fallback=_fallback(rules, source, destination),
        rules=tuple(names) if protocols else (),
    )


def normalise(
    api: Literal["legacy", "zone"],
    networks: list[Network],
    rules: Callable[[Network], list[Rule]],
    count: int,
) -> FirewallPolicy:
    """Judge every ordered pair of routed internal networks, and each of them to the internet."""
    internal = [n for n in networks if n.routed and n.vlan is not None]
    flows = []
    for source in internal:
        chain = rules(source)
        flows += [
            judge(chain, source, destination) for destination in internal if destination.id != source.id
        ]
        flows.append(judge(chain, source, None))
    pairs = [f for f in flows if f.destination != "internet"]
    default: Verdict = "deny" if all(f.fallback == "deny" for f in pairs) else "allow"
    return FirewallPolicy(api=api, default=default, flows=tuple(flows), rule_count=count)


# -- the client ---------------------------------------------------------------------------------------


def _root(api_url: str) -> tuple[str, str, int]:
    """The console's origin (whatever path the operator pasted), its host and port."""
    parts = urlsplit(api_url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise CockpitError(f"{BACKEND}: api_url must be https://HOST[:PORT], not '{api_url}'")
    return f"https://{parts.netloc}", parts.hostname, parts.port or 443


def _normalise_pin(fingerprint: str) -> str:
    return fingerprint.replace(":", "").strip().lower()


def _colons(hexdigest: str) -> str:
    return ":".join(hexdigest[i : i + 2] for i in range(0, len(hexdigest), 2)).upper()


def peer_certificate(host: str, port: int, timeout: float) -> bytes:
    """The DER certificate the console presents, read on a probe connection that sends no request."""
    netguard.check_host(host, WHAT)
    probe = ssl.create_default_context()
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            probe.wrap_socket(raw, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except TimeoutError:
        raise Timeout(BACKEND, f"no TLS handshake with {host}:{port} within {timeout:g} s") from None
    except OSError as exc:
        raise Unreachable(BACKEND, f"cannot reach {host}:{port}: {exc.strerror or exc}") from None
    if not der:
        raise TlsRefused(BACKEND, f"{host}:{port} presented no certificate")
    return der


def pinned_context(der: bytes, fingerprint: str) -> ssl.SSLContext:
    """A context that trusts exactly the certificate `der`, after checking it against the pin."""
    seen = hashlib.sha256(der).hexdigest()
    if seen != _normalise_pin(fingerprint):
        raise PinMismatch(
            BACKEND,
            f"the console's certificate has SHA-256 {_colons(seen)}, not the pinned {_colons(_normalise_pin(fingerprint))}; "
            "nothing was sent. If the certificate was renewed, check the new fingerprint on the console and pin it",
        )
    context = ssl.create_default_context(cadata=der)
    context.check_hostname = False  # the pin names the certificate; its names do not matter
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN | NO_CHECK_TIME
    return context


def _certificate_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


def _error_message(body: Any) -> str:
    """`meta.msg` (classic), `message` (v2 and Integration API) or `code` (UniFi OS login)."""
    if not isinstance(body, dict):
        return ""
    meta = body.get("meta")
    if isinstance(meta, dict) and meta.get("msg"):
        return str(meta["msg"])
    return str(body.get("message") or body.get("code") or "")


def _csrf_from_token(token: str) -> str | None:
    """UniFi OS puts the CSRF token in the TOKEN JWT's payload too (some versions send no header)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return None
    value = claims.get("csrfToken") if isinstance(claims, dict) else None
    return value if isinstance(value, str) else None


class UnifiClient:
    """A synchronous, read-only UniFi Network client; use it as a context manager so its session ends."""

    def __init__(
        self,
        api_url: str,
        username: str,
        password: str,
        *,
        site: str = "default",
        ca_file: str | Path | None = None,
        fingerprint: str | None = None,
        insecure: bool = False,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if insecure and (ca_file or fingerprint):
            raise CockpitError(
                f"{BACKEND}: insecure turns verification off; it cannot go with a CA file or a pin"
            )
        REDACTOR.add(password)
        self.base_url, self._host, self._port = _root(api_url)
        netguard.check_url(self.base_url, WHAT)
        self.site = site
        self._username = username
        self._password = password
        self._ca_file = Path(ca_file) if ca_file else None
        self._fingerprint = fingerprint
        self._insecure = insecure
        self._timeout = timeout
        self._transport = transport
        self._http: httpx.Client | None = None
        self._csrf: str | None = None
        self._logged_in = False

    def __enter__(self) -> UnifiClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """End the session on the console (best effort) and close the connections."""
        if self._http is None:
            return
        if self._logged_in:
            with contextlib.suppress(httpx.HTTPError):
                self._http.post(LOGOUT_PATH, headers=self._headers())
            self._logged_in = False
        self._http.close()
        self._http = None

    # -- the operations -------------------------------------------------------------------------

    def networks(self) -> list[Network]:
        """Every network of the site, from the classic `rest/networkconf`."""
        return [parse_network(r) for r in self._classic("rest/networkconf", "reading the networks")]

    def version(self) -> str:
        """The Network application's version (for example "9.0.114"), from `stat/sysinfo`."""
        data = self._classic("stat/sysinfo", "reading the version")
        version = data[0].get("version") if data and isinstance(data[0], dict) else None
        if not isinstance(version, str) or not version:
            raise MalformedResponse(BACKEND, "reading the version: stat/sysinfo carries no version")
        return version

    def firewall(
        self, api: Literal["auto", "legacy", "zone"] = "auto", networks: list[Network] | None = None
    ) -> FirewallPolicy:
        """The inter-VLAN policy: zone-based where the console uses zones, else the legacy LAN_IN rules.

        `auto` takes the zone policies when custom ones exist, the legacy rules when there are any,
        and otherwise whichever the console answers. `networks`, when given, saves reading them again.
        """
        networks = self.networks() if networks is None else networks
        groups = self._classic("rest/firewallgroup", "reading the firewall groups")
        zones, policies = self._zone_records() if api != "legacy" else (None, None)
        legacy = self._classic("rest/firewallrule", "reading the firewall rules") if api != "zone" else []
        custom = any(isinstance(p, dict) and not p.get("predefined") for p in policies or [])
        if api == "zone" or (api == "auto" and zones and (custom or not legacy)):
            if zones is None or policies is None:
                raise NotFound(BACKEND, "this console has no zone-based firewall (Network 9 or later)")
            return normalise("zone", networks, lambda _: zone_rules(policies, zones, groups), len(policies))
        return normalise(
            "legacy",
            networks,
            lambda n: legacy_rules(legacy, groups, guest=n.purpose == "guest"),
            len(legacy),
        )

    def path(self, endpoint: str, v2: bool = False) -> str:
        """The URL path of a site endpoint (for evidence)."""
        if v2:
            return f"/proxy/network/v2/api/site/{self.site}/{endpoint}"
        return f"/proxy/network/api/s/{self.site}/{endpoint}"

    # -- HTTP -------------------------------------------------------------------------------------

    def _zone_records(self) -> tuple[list[Any] | None, list[Any] | None]:
        try:
            zones = self._call("GET", self.path("firewall/zone", v2=True), "reading the firewall zones")
            policies = self._call(
                "GET", self.path("firewall-policies", v2=True), "reading the firewall policies"
            )
        except NotFound:
            return None, None  # before Network 9: no zone-based firewall
        if not isinstance(zones, list) or not isinstance(policies, list):
            raise MalformedResponse(BACKEND, "reading the firewall zones and policies: not JSON lists")
        return zones, policies

    def _classic(self, endpoint: str, what: str) -> list[Any]:
        body = self._call("GET", self.path(endpoint), what)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(body.get("meta"), dict) or not isinstance(data, list):
            raise MalformedResponse(BACKEND, f"{what}: not the {{meta, data}} envelope")
        return data

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpbase.client(
                self.base_url, WHAT, timeout=self._timeout, verify=self._verify(), transport=self._transport
            )
        return self._http

    def _verify(self) -> bool | ssl.SSLContext:
        if self._transport is not None:
            return True
        if self._insecure:
            log.warning("unifi: TLS verification is off for %s (tls.insecure = true)", self.base_url)
            return False
        if self._fingerprint:
            return pinned_context(peer_certificate(self._host, self._port, self._timeout), self._fingerprint)
        if self._ca_file is not None:
            try:
                return ssl.create_default_context(cafile=str(self._ca_file.expanduser()))
            except (OSError, ssl.SSLError) as exc:
                raise CockpitError(f"{BACKEND}: the CA file {self._ca_file} cannot be used: {exc}") from None
        return True

    def _headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self._csrf} if self._csrf else {}

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        client = self._client()
        log.debug("unifi: %s %s", method, path)  # never the body: the login carries the password
        try:
            response = client.request(method, path, headers=self._headers(), **kwargs)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from None
        updated = response.headers.get("X-Updated-CSRF-Token")
        if updated:
            self._csrf = updated
        return response

    def _transport_error(self, exc: httpx.HTTPError) -> AdapterError:
        refused = _certificate_error(exc)
        if refused is None:
            return httpbase.transport_error(BACKEND, exc)
        if self._fingerprint:
            why = "the certificate changed since it was checked against the pin"
        else:
            why = "a console's certificate is self-signed: pin its SHA-256 (tls.fingerprint) or give its CA (tls.ca_file)"
        return TlsRefused(
            BACKEND, f"the console's certificate is not trusted ({refused.verify_message}); {why}"
        )

    def _login(self) -> None:
        credentials = {"username": self._username, "password": self._password, "rememberMe": False}
        response = self._send("POST", LOGIN_PATH, json=credentials)
        if response.status_code != 200:
            raise self._login_error(response)
        token = self._client().cookies.get("TOKEN")
        if not token:
            raise MalformedResponse(
                BACKEND, "login answered 200 without a TOKEN cookie (is this a UniFi OS console?)"
            )
        self._csrf = response.headers.get("X-CSRF-Token") or _csrf_from_token(token)
        self._logged_in = True

    def _login_error(self, response: httpx.Response) -> AdapterError:
        body = _json(response)
        message = _error_message(body)
        code = body.get("code") if isinstance(body, dict) else None
        if isinstance(code, str) and code and code != message:
            message = f"{message}: {code}" if message else code
        status = response.status_code
        if status == 429:
            return AuthFailed(
                BACKEND,
                f"the console refuses logins for now: too many failed attempts ({message or 'HTTP 429'})",
                status,
            )
        if status == 499:
            return AuthFailed(
                BACKEND,
                "the account needs two-factor authentication: use a local account without MFA",
                status,
            )
        if status in (400, 401, 403) and (message or body is not None):
            return AuthFailed(
                BACKEND,
                f"login refused for '{self._username}' ({message}): check the password, and use a local account "
                "(UniFi cloud/SSO accounts cannot log in to the console's API)",
                status,
            )
        return self._status_error(response, body, "logging in")

    def _call(self, method: str, path: str, what: str) -> Any:
        if not self._logged_in:
            self._login()
        response = self._send(method, path)
        if response.status_code == 401:  # the session ended (a restart, a timeout): log in once more
            self._logged_in = False
            self._login()
            response = self._send(method, path)
        body = _json(response)
        if response.is_success and body is not None:
            if (
                isinstance(body, dict)
                and isinstance(body.get("meta"), dict)
                and body["meta"].get("rc") == "error"
            ):
                raise BadRequest(BACKEND, f"{what}: {_error_message(body)}", response.status_code)
            return body
        raise self._status_error(response, body, what)

    def _status_error(self, response: httpx.Response, body: Any, what: str) -> AdapterError:
        status = response.status_code
        message = _error_message(body)
        if response.is_success:
            return MalformedResponse(BACKEND, f"{what}: HTTP {status} without a JSON body")
        if status == 401 or message == "api.err.LoginRequired":
            return AuthFailed(
                BACKEND, f"{what}: the console ended the session ({message or 'HTTP 401'})", status
            )
        if status == 403 or message == "api.err.NoPermission":
            return AuthFailed(
                BACKEND,
                f"{what}: the account may not read this ({message or 'HTTP 403'}); give it the Network "
                "application's View Only role",
                status,
            )
        if status == 404:
            return NotFound(BACKEND, f"{what}: {message or 'HTTP 404 (is this a UniFi OS console?)'}", status)
        if status >= 500:
            detail = message or "the Network application may be starting or restarting"
            return ServerError(BACKEND, f"{what}: HTTP {status}: {detail}", status)
        if message:
            return BadRequest(BACKEND, f"{what}: {message}", status)
        return MalformedResponse(BACKEND, f"{what}: HTTP {status} without UniFi's error body")
