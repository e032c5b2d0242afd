"""The DNS adapter asks one server directly: against a real dnsmasq, and against the lab's DNS server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

from cockpit.adapters import dns as dns_adapter
from cockpit.adapters.errors import Timeout
from cockpit.lab.dnsserver import Answer, LabDnsServer, Record
from cockpit.lab.faults import Faults

MANY = [f"127.30.1.{i}" for i in range(1, 61)]  # 60 A records: more than a 512-byte UDP answer holds


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@pytest.fixture
def dnsmasq():
    """A real dnsmasq on a loopback address, authoritative for home.arpa, with no upstream."""
    binary = shutil.which("dnsmasq") or ("/usr/sbin/dnsmasq" if os.path.exists("/usr/sbin/dnsmasq") else None)
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("dnsmasq is missing under CI=true: .ci/run installs it (dnsmasq-base)")
        pytest.skip("dnsmasq is not installed (apt-get install dnsmasq-base); CI always runs this test")
    host = "127.40.0.53"
    port = free_port(host)
    records = ["--host-record=immich.home.arpa,127.30.0.10", "--host-record=v6.home.arpa,::1"]
    records += [f"--host-record=many.home.arpa,{ip}" for ip in MANY]
    process = subprocess.Popen(
        [
            binary,
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            f"--listen-address={host}",
            f"--port={port}",
            "--pid-file=",
            "--local=/home.arpa/",
            "--local-ttl=10",
            *(["--user=root"] if os.geteuid() == 0 else []),
            *records,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = f"{host}:{port}"
    deadline = time.monotonic() + 5
    while True:
        try:
            dns_adapter.query_sync(server, "immich.home.arpa", timeout=0.3)
            break
        except Timeout:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(f"dnsmasq did not start: {process.stderr.read().decode()}") from None
    yield server
    process.terminate()
    process.wait(timeout=5)


def test_a_real_dnsmasq_answers_the_adapter(dnsmasq):
    answer = dns_adapter.query_sync(dnsmasq, "immich.home.arpa")
    assert answer.addresses == ["127.30.0.10"] and answer.ttl == 10 and answer.rcode == "NOERROR"
    assert not answer.over_tcp
    assert dns_adapter.query_sync(dnsmasq, "v6.home.arpa", "AAAA").addresses == ["::1"]


def test_an_unknown_name_is_nxdomain_at_dnsmasq(dnsmasq):
    answer = dns_adapter.query_sync(dnsmasq, "nothing.home.arpa")
    assert answer.nxdomain and answer.addresses == []


def test_a_truncated_answer_is_asked_again_over_tcp(dnsmasq):
    answer = dns_adapter.query_sync(dnsmasq, "many.home.arpa")
    assert answer.over_tcp
    assert sorted(answer.addresses) == sorted(MANY)


@pytest.fixture
def lab_dns():
    def lookup(name, rdtype):
        if name == "many.home.arpa" and rdtype == 1:
            return Answer(records=[Record(name, 1, 10, ip) for ip in MANY])
        if name == "alias.home.arpa":
            return Answer(
                records=[
                    Record(name, 5, 10, "immich.home.arpa."),
                    Record("immich.home.arpa", 1, 10, "127.30.0.10"),
                ]
            )
        return Answer(rcode=3)

    faults = Faults()
    server = LabDnsServer("127.30.0.99", lookup, faults, "adguard")
    server.start()
    yield server, faults
    server.stop()


def test_the_lab_dns_truncates_and_the_adapter_falls_back_to_tcp(lab_dns):
    server, _ = lab_dns
    answer = dns_adapter.query_sync(server.address, "many.home.arpa")
    assert answer.over_tcp and len(answer.addresses) == 60


def test_a_cname_chain_is_followed_inside_the_answer(lab_dns):
    server, _ = lab_dns
    answer = dns_adapter.query_sync(server.address, "alias.home.arpa")
    assert answer.cname_chain == ["immich.home.arpa"] and answer.addresses == ["127.30.0.10"]


def test_a_server_that_does_not_answer_times_out_as_a_typed_error(lab_dns):
    server, faults = lab_dns
    faults.set_dns_down("adguard")
    started = time.monotonic()
    with pytest.raises(Timeout, match="no answer for many.home.arpa A within 0.3 s"):
        dns_adapter.query_sync(server.address, "many.home.arpa", timeout=0.3)
    assert time.monotonic() - started < 2
