"""Provides one uniform view of a DNS server's records for a name, over AdGuard Home or Pi-hole.

An entry is a plain dict that both the journal and the plan can show: AdGuard rewrites as
`{"server", "kind", "domain", "answer", "enabled"}` (kind: exact, wildcard or cname), Pi-hole host
items as `{"server", "kind": "host", "item", "ip", "names"}`. A side reads what answers a name
now, and changes it from an exact `before` to an exact `after`, refusing when the live entries are
not `before` (a compare-and-swap at the level cockpit can see), then reads back.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from ipaddress import ip_address
from pathlib import Path
from typing import Any, Protocol

from cockpit.adapters.adguard import AdGuardClient, Rewrite
from cockpit.adapters.errors import Conflict
from cockpit.adapters.pihole import HostRecord, PiholeClient
from cockpit.backends import dns_client
from cockpit.models.inventory import DnsServer

Entry = dict[str, Any]


class DnsSide(Protocol):
    """What the engine needs of one DNS server."""

    name: str

    def live(self, hostname: str) -> list[Entry]: ...
    def desired(self, hostname: str, address: str) -> list[Entry]: ...
    def apply(self, hostname: str, before: list[Entry], after: list[Entry]) -> list[Entry]: ...
    def close(self) -> None: ...


def _changeable(entries: list[Entry]) -> list[Entry]:
    """The entries a change touches: exact ones (a wildcard is left alone and only shadowed)."""
    return [e for e in entries if e["kind"] != "wildcard"]


def same(a: list[Entry], b: list[Entry]) -> bool:
    def key(e: Entry) -> tuple[str, ...]:
        return tuple(sorted(f"{k}={v}" for k, v in e.items() if k != "server"))

    return sorted(map(key, a)) == sorted(map(key, b))


class AdGuardSide:
    """AdGuard Home rewrites: exact entries beat wildcards; a change is a compare-and-swap update."""

    def __init__(self, name: str, client: AdGuardClient) -> None:
        self.name = name
        self.client = client

    def _entry(self, rewrite: Rewrite, kind: str) -> Entry:
        return {
            "server": self.name,
            "kind": kind,
            "domain": rewrite.domain,
            "answer": rewrite.answer,
            "enabled": rewrite.enabled,
        }

    def live(self, hostname: str) -> list[Entry]:
        name = hostname.lower()
        rewrites = [r for r in self.client.list_rewrites() if r.enabled]
        exact = [
            self._entry(r, "exact" if _is_ip(r.answer) else "cname") for r in rewrites if r.domain == name
        ]
        if exact:
            return exact
        return [
            self._entry(r, "wildcard")
            for r in rewrites
            if r.domain.startswith("*.") and fnmatchcase(name, r.domain) and name != r.domain[2:]
        ]

    def desired(self, hostname: str, address: str) -> list[Entry]:
        return [
            {
                "server": self.name,
                "kind": "exact",
                "domain": hostname.lower(),
                "answer": address,
                "enabled": True,
            }
        ]

    def apply(self, hostname: str, before: list[Entry], after: list[Entry]) -> list[Entry]:
        if not same(self.live(hostname), before):
            raise Conflict(self.name, f"the entries for {hostname} changed under us")
        old = [e for e in _changeable(before) if not any(same([e], [a]) for a in after)]
        new = [e for e in _changeable(after) if not any(same([e], [b]) for b in before)]
        if len(old) == 1 and len(new) == 1:
            # One entry for another, in place and under the server's lock (a compare-and-swap): the
            # name is never without an answer, and a concurrent edit makes it fail, not mix.
            self.client.update_rewrite(
                Rewrite(domain=old[0]["domain"], answer=old[0]["answer"]),
                Rewrite(domain=new[0]["domain"], answer=new[0]["answer"]),
            )
        else:
            for entry in new:
                self.client.add_rewrite(entry["domain"], entry["answer"])
            for entry in old:  # the server deletes every exact match: one call per distinct pair
                self.client.delete_rewrite(entry["domain"], entry["answer"])
        return self.live(hostname)

    def close(self) -> None:
        self.client.close()


class PiholeSide:
    """Pi-hole host items ("IP NAME [NAME...]"): the new item is added before the old one goes."""

    def __init__(self, name: str, client: PiholeClient) -> None:
        self.name = name
        self.client = client

    def _entry(self, record: HostRecord) -> Entry:
        return {
            "server": self.name,
            "kind": "host",
            "item": record.item,
            "ip": record.ip,
            "names": list(record.names),
        }

    def live(self, hostname: str) -> list[Entry]:
        name = hostname.lower()
        return [self._entry(r) for r in self.client.list_hosts() if name in r.names]

    def desired(self, hostname: str, address: str) -> list[Entry]:
        return [self._entry(HostRecord(ip=address, names=(hostname.lower(),)))]

    def apply(self, hostname: str, before: list[Entry], after: list[Entry]) -> list[Entry]:
        if not same(self.live(hostname), before):
            raise Conflict(self.name, f"the entries for {hostname} changed under us")
        name = hostname.lower()
        for entry in after:  # first the new answer, so the name is never without one
            if not any(same([entry], [b]) for b in before):
                self.client.add_record(HostRecord(ip=entry["ip"], names=tuple(entry["names"])))
                self._merge_into(entry)
        for entry in before:
            if any(same([entry], [a]) for a in after):
                continue
            others = tuple(n for n in entry["names"] if n != name)
            if others:  # the item also answers other names: keep them answered
                self.client.add_record(HostRecord(ip=entry["ip"], names=others))
            self.client.remove_record(HostRecord(ip=entry["ip"], names=tuple(entry["names"])))
        return self.live(hostname)

    def _merge_into(self, entry: Entry) -> None:
        """Restoring an item that named several names: drop the pieces an earlier split left."""
        names = set(entry["names"])
        for record in self.client.list_hosts():
            if record.ip == entry["ip"] and set(record.names) < names:
                self.client.remove_record(record)

    def close(self) -> None:
        self.client.close()


def _is_ip(text: str) -> bool:
    try:
        ip_address(text)
        return True
    except ValueError:
        return False


def open_side(server: DnsServer, base: Path, timeout: float = 10.0) -> DnsSide:
    client = dns_client(server, base, timeout=timeout)
    if isinstance(client, AdGuardClient):
        return AdGuardSide(server.name, client)
    return PiholeSide(server.name, client)
