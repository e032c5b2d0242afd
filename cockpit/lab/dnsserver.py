"""Provides the lab's DNS servers: real UDP and TCP listeners on one loopback port.

Each simulator (AdGuard Home, Pi-hole) supplies a `lookup(name, rdtype)` that answers from its
own records; the lab has no upstream, so a name without a record is NXDOMAIN. A UDP answer that
does not fit the client's buffer is sent truncated (TC), and the client retries over TCP, as with
a real server.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from cockpit.lab.faults import Faults


@dataclass(frozen=True)
class Record:
    """One resource record of an answer."""

    name: str
    rdtype: int
    ttl: int
    value: str


@dataclass(frozen=True)
class Answer:
    """What a lookup found: a response code and the records (CNAME chain first)."""

    rcode: int = dns.rcode.NOERROR
    records: list[Record] = field(default_factory=list)


Lookup = Callable[[str, int], Answer]


def build_response(query: dns.message.Message, answer: Answer) -> dns.message.Message:
    response = dns.message.make_response(query)
    response.flags |= dns.flags.RA
    response.set_rcode(dns.rcode.Rcode.make(answer.rcode))
    for record in answer.records:
        rdtype = dns.rdatatype.RdataType.make(record.rdtype)
        rrset = response.find_rrset(
            response.answer, dns.name.from_text(record.name), dns.rdataclass.IN, rdtype, create=True
        )
        rrset.add(dns.rdata.from_text(dns.rdataclass.IN, rdtype, record.value), record.ttl)
    return response


def respond(wire: bytes, lookup: Lookup, limit: int | None) -> bytes | None:
    """The wire answer to one query, truncated to `limit` bytes for UDP; None for garbage."""
    try:
        query = dns.message.from_wire(wire)
    except Exception:  # noqa: BLE001 - any malformed packet is dropped, as a real server does
        return None
    if not query.question:
        response = dns.message.make_response(query)
        response.set_rcode(dns.rcode.FORMERR)
        return response.to_wire()
    question = query.question[0]
    name = question.name.to_text(omit_final_dot=True).lower()
    response = build_response(query, lookup(name, question.rdtype))
    if limit is None:
        return response.to_wire()
    size = max(512, query.payload if query.edns >= 0 else 512)
    wire_out = response.to_wire()
    if len(wire_out) <= min(limit, size):
        return wire_out
    truncated = dns.message.make_response(query)
    truncated.flags |= dns.flags.TC | dns.flags.RA
    return truncated.to_wire()


class _TcpHandler(socketserver.BaseRequestHandler):
    server: _TcpServer

    def handle(self) -> None:
        sock = self.request
        sock.settimeout(10)
        with contextlib.suppress(OSError):
            while True:
                header = _recv_exact(sock, 2)
                if header is None:
                    return
                wire = _recv_exact(sock, struct.unpack("!H", header)[0])
                if wire is None or self.server.owner.is_down():
                    return
                answer = respond(wire, self.server.owner.lookup, None)
                if answer is None:
                    return
                sock.sendall(struct.pack("!H", len(answer)) + answer)


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: LabDnsServer) -> None:
        self.owner = owner
        super().__init__(address, _TcpHandler)


class LabDnsServer:
    """A DNS server on `host:port` (UDP and TCP); `name` is its key in the fault switchboard."""

    def __init__(self, host: str, lookup: Lookup, faults: Faults, name: str, port: int = 0) -> None:
        self.host = host
        self.lookup = lookup
        self.faults = faults
        self.name = name
        self._requested_port = port
        self._udp: socket.socket | None = None
        self._tcp: _TcpServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        assert self._udp is not None
        return int(self._udp.getsockname()[1])

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def is_down(self) -> bool:
        return self.faults.dns_down(self.name)

    def start(self) -> None:
        """Bind UDP and TCP on the same port (a fresh port is tried again if TCP's is taken)."""
        for _ in range(20):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind((self.host, self._requested_port))
            try:
                self._tcp = _TcpServer((self.host, udp.getsockname()[1]), self)
            except OSError:
                udp.close()
                if self._requested_port:
                    raise
                continue
            self._udp = udp
            break
        else:
            raise OSError(f"no free port for a DNS server on {self.host}")
        udp.settimeout(0.2)
        self._threads = [
            threading.Thread(target=self._serve_udp, daemon=True),
            threading.Thread(target=self._tcp.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _serve_udp(self) -> None:
        assert self._udp is not None
        while not self._stopping.is_set():
            try:
                wire, peer = self._udp.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            if self.is_down():
                continue  # a server that does not answer: the client times out
            answer = respond(wire, self.lookup, 65535)
            if answer is not None:
                with contextlib.suppress(OSError):
                    self._udp.sendto(answer, peer)

    def stop(self) -> None:
        self._stopping.set()
        if self._tcp is not None:
            self._tcp.shutdown()
            self._tcp.server_close()
        if self._udp is not None:
            self._udp.close()
        for thread in self._threads:
            thread.join(timeout=5)
