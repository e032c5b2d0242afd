"""Provides DNS lookups asked of one given server directly (never the system resolver).

UDP first, TCP when the answer comes back truncated; every query has a timeout. A/AAAA answers
are returned with their TTL, and a CNAME chain is followed inside the answer.
"""

from __future__ import annotations

import asyncio
import time
from ipaddress import ip_address
from typing import Literal

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
from pydantic import BaseModel

from cockpit import netguard
from cockpit.adapters.errors import MalformedResponse, Timeout, Unreachable

RecordType = Literal["A", "AAAA"]


class DnsResult(BaseModel):
    """What one server answered for one name and type."""

    server: str
    name: str
    rdtype: RecordType
    rcode: str
    addresses: list[str]
    ttl: int | None
    cname_chain: list[str] = []
    over_tcp: bool = False
    elapsed_ms: float

    @property
    def nxdomain(self) -> bool:
        return self.rcode == "NXDOMAIN"


def _split(server: str) -> tuple[str, int]:
    host, sep, port = server.rpartition(":")
    if not sep or not port.isdigit():
        return server.strip("[]"), 53
    return host.strip("[]"), int(port)


async def query(server: str, name: str, rdtype: RecordType = "A", *, timeout: float = 2.0) -> DnsResult:
    """Ask `server` ("host:port", a literal IP) for `name`; raise Timeout/Unreachable/MalformedResponse."""
    host, port = _split(server)
    netguard.check_host(host, "the DNS adapter")
    try:
        ip_address(host)
    except ValueError:
        raise Unreachable(server, "a DNS server must be given as a literal IP address") from None
    message = dns.message.make_query(name, rdtype)
    started = time.perf_counter()
    try:
        response, over_tcp = await dns.asyncquery.udp_with_fallback(message, host, timeout=timeout, port=port)
    except dns.exception.Timeout:
        raise Timeout(server, f"no answer for {name} {rdtype} within {timeout:g} s") from None
    except (ConnectionError, OSError) as exc:
        raise Unreachable(server, f"cannot ask for {name}: {exc}") from None
    except dns.exception.DNSException as exc:
        raise MalformedResponse(server, f"bad answer for {name}: {exc}") from None
    elapsed = (time.perf_counter() - started) * 1000
    return _result(server, name, rdtype, response, over_tcp, elapsed)


def _result(
    server: str, name: str, rdtype: RecordType, response: dns.message.Message, over_tcp: bool, elapsed: float
) -> DnsResult:
    wanted = dns.rdatatype.from_text(rdtype)
    current = dns.name.from_text(name)
    chain: list[str] = []
    addresses: list[str] = []
    ttl: int | None = None
    for _ in range(16):  # follow the CNAME chain inside the answer section
        cname = response.get_rrset(response.answer, current, dns.rdataclass.IN, dns.rdatatype.CNAME)
        if cname is None:
            break
        current = cname[0].target
        chain.append(current.to_text(omit_final_dot=True))
    rrset = response.get_rrset(response.answer, current, dns.rdataclass.IN, wanted)
    if rrset is not None:
        addresses = sorted(r.to_text() for r in rrset)
        ttl = rrset.ttl
    return DnsResult(
        server=server,
        name=name,
        rdtype=rdtype,
        rcode=dns.rcode.to_text(response.rcode()),
        addresses=addresses,
        ttl=ttl,
        cname_chain=chain,
        over_tcp=over_tcp,
        elapsed_ms=round(elapsed, 3),
    )


def query_sync(server: str, name: str, rdtype: RecordType = "A", *, timeout: float = 2.0) -> DnsResult:
    """The same, for callers outside an event loop."""
    return asyncio.run(query(server, name, rdtype, timeout=timeout))
