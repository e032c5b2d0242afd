"""NUT: the upsd simulator, the NUT adapter and the nut.* evaluators, over real loopback sockets.

The simulator is held to the README's upsd 2.8.0 transcript and to `upsc`, the real NUT client;
the adapter is run against the simulator and against a REAL upsd with dummy-ups that the test
starts itself (skipped when nut-server is missing, failing instead when CI=true). Every server
gets an ephemeral port and its own directory, so the file is safe under pytest-xdist.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cockpit import netguard
from cockpit.adapters.errors import (
    AuthFailed,
    BadRequest,
    MalformedResponse,
    NotFound,
    ServerError,
    Timeout,
    Unreachable,
)
from cockpit.adapters.nut import NutClient, NutProtocolError, UpsStatus, split_words
from cockpit.checks import runner as engine
from cockpit.checks.context import CheckContext
from cockpit.checks.nut import EVALUATORS, client_for, evaluate_clients, evaluate_ups_status
from cockpit.errors import CockpitError
from cockpit.lab import catalog
from cockpit.lab.faults import Faults
from cockpit.lab.nut import DEVICE_FILE, NutSim, RequestParser
from cockpit.operator import Operator
from cockpit.project import Project, load_project
from cockpit.store.state import Store

UPS = catalog.UPS_NAME
QUOTED_DESCRIPTION = 'APC "Back-UPS" 1500VA \\ rack'


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab_faults() -> Faults:
    return Faults()


@pytest.fixture(scope="module")
def shared_sim(lab_faults: Faults) -> Iterator[NutSim]:
    """One simulator for the tests that change nothing lasting (its battery, its FSD latch)."""
    with NutSim(lab_faults) as sim:
        yield sim


@pytest.fixture
def faults(lab_faults: Faults) -> Iterator[Faults]:
    lab_faults.clear()
    yield lab_faults
    lab_faults.clear()


@pytest.fixture
def sim(shared_sim: NutSim, faults: Faults) -> NutSim:
    return shared_sim


@pytest.fixture
def start_sim(faults: Faults) -> Iterator[Callable[..., NutSim]]:
    """Fresh simulators (a full battery, no FSD); all stopped at teardown."""
    started: list[NutSim] = []

    def start(**options: Any) -> NutSim:
        new = NutSim(faults, **options)
        new.start()
        started.append(new)
        return new

    yield start
    for new in started:
        new.stop()


class Wire:
    """A raw protocol session: send one line, read one reply (a whole LIST when it is one)."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.file = self.sock.makefile("rb")

    def ask(self, line: str | bytes) -> str:
        self.sock.sendall(line if isinstance(line, bytes) else line.encode() + b"\n")
        return self.read()

    def read(self) -> str:
        first = self.file.readline().decode()
        if not first.startswith("BEGIN LIST"):
            return first
        lines = [first]
        while not lines[-1].startswith("END LIST"):
            lines.append(self.file.readline().decode())
        return "".join(lines)

    def closed_by_server(self) -> bool:
        return self.file.read() == b""

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def status_of(address: str, **login: Any) -> UpsStatus:
    async def ask() -> UpsStatus:
        async with NutClient(address, **login) as nut:
            return await nut.ups_status(UPS)

    return run(ask())


# -- the simulator on the wire: the README's upsd 2.8.0 transcript ----------------------------------


def test_read_only_commands_answer_like_the_transcript(sim: NutSim) -> None:
    with Wire(sim.address) as wire:
        assert wire.ask("VER") == "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/\n"
        assert wire.ask("NETVER") == wire.ask("PROTVER") == "1.3\n"
        assert wire.ask("LIST UPS") == f'BEGIN LIST UPS\nUPS {UPS} "APC Back-UPS 1500VA"\nEND LIST UPS\n'
        assert wire.ask(f"GET VAR {UPS} ups.status") == f'VAR {UPS} ups.status "OL"\n'
        assert wire.ask(f"GET VAR {UPS} nope.var") == "ERR VAR-NOT-SUPPORTED\n"
        assert wire.ask("GET VAR nosuch ups.status") == "ERR UNKNOWN-UPS\n"
        assert wire.ask("LIST VAR nosuch") == "ERR UNKNOWN-UPS\n"
        assert wire.ask(f"GET UPSDESC {UPS}") == f'UPSDESC {UPS} "APC Back-UPS 1500VA"\n'
        assert wire.ask(f"GET NUMLOGINS {UPS}") == f"NUMLOGINS {UPS} 2\n"
        assert wire.ask(f"GET TYPE {UPS} ups.status") == f"TYPE {UPS} ups.status RW STRING:32\n"
        assert wire.ask("FOO") == "ERR UNKNOWN-COMMAND\n"
        assert wire.ask("") == "ERR UNKNOWN-COMMAND\n"
        assert wire.ask("STARTTLS") == "ERR FEATURE-NOT-CONFIGURED\n"
        assert (
            wire.ask("GET") == wire.ask("LIST FOO bar") == wire.ask("VER extra") == "ERR INVALID-ARGUMENT\n"
        )


def test_list_var_and_list_rw_come_back_sorted_by_name(sim: NutSim) -> None:
    with Wire(sim.address) as wire:
        for kind in ("VAR", "RW"):
            lines = wire.ask(f"LIST {kind} {UPS}").splitlines()
            assert lines[0] == f"BEGIN LIST {kind} {UPS}" and lines[-1] == f"END LIST {kind} {UPS}"
            names = [line.split()[2] for line in lines[1:-1]]
            assert names == sorted(names) and names
    expected = {"device.mfr", "device.model", "device.type", "ups.mfr", "ups.model", "ups.status", "ups.load"}
    assert expected | {"battery.charge", "battery.runtime", "input.voltage"} <= set(sim.variables())


def test_list_client_lists_the_proxmox_nodes_and_every_login(sim: NutSim) -> None:
    with Wire(sim.address) as watcher, Wire(sim.address) as upsmon:
        listed = watcher.ask(f"LIST CLIENT {UPS}")
        assert listed == "".join(
            [
                f"BEGIN LIST CLIENT {UPS}\n",
                *(f"CLIENT {UPS} {a}\n" for a in catalog.NUT_CLIENTS),
                f"END LIST CLIENT {UPS}\n",
            ]
        )
        for line in ("USERNAME monuser", "PASSWORD monpass", f"LOGIN {UPS}"):
            assert upsmon.ask(line) == "OK\n"
        assert watcher.ask(f"LIST CLIENT {UPS}").splitlines()[-2] == f"CLIENT {UPS} 127.0.0.1"
        assert watcher.ask(f"GET NUMLOGINS {UPS}") == f"NUMLOGINS {UPS} 3\n"


def test_login_rules_follow_upsd(start_sim: Callable[..., NutSim]) -> None:
    """Credentials are only checked when a command needs them; FSD latches; LOGOUT closes."""
    sim = start_sim()
    with Wire(sim.address) as wire:
        assert wire.ask(f"FSD {UPS}") == "ERR USERNAME-REQUIRED\n"
        assert wire.ask("USERNAME monuser") == "OK\n"
        assert wire.ask(f"FSD {UPS}") == "ERR PASSWORD-REQUIRED\n"
        assert wire.ask("USERNAME monuser") == "ERR ALREADY-SET-USERNAME\n"
        assert wire.ask("PASSWORD wrong") == "OK\n"
        assert wire.ask("PASSWORD again") == "ERR ALREADY-SET-PASSWORD\n"
        assert wire.ask(f"LOGIN {UPS}") == "ERR ACCESS-DENIED\n"
    with Wire(sim.address) as wire:
        assert [wire.ask(line) for line in ("USERNAME monuser", "PASSWORD monpass")] == ["OK\n", "OK\n"]
        assert wire.ask("LOGIN") == "ERR INVALID-ARGUMENT\n"
        assert wire.ask("LOGIN nosuch") == "ERR UNKNOWN-UPS\n"
        assert wire.ask(f"LOGIN {UPS}") == "OK\n"
        assert wire.ask(f"LOGIN {UPS}") == "ERR ALREADY-LOGGED-IN\n"
        assert wire.ask(f"PRIMARY {UPS}") == "OK PRIMARY-GRANTED\n"
        assert wire.ask(f"MASTER {UPS}") == "OK MASTER-GRANTED\n"
        assert wire.ask(f"SET VAR {UPS} battery.charge.low 20") == "ERR ACCESS-DENIED\n"
        assert wire.ask(f"FSD {UPS}") == "OK FSD-SET\n"
        assert wire.ask(f"GET VAR {UPS} ups.status") == f'VAR {UPS} ups.status "FSD OL"\n'
        assert wire.ask("LOGOUT") == "OK Goodbye\n"
        assert wire.closed_by_server()


def test_an_admin_sets_variables_and_runs_commands_but_cannot_login(start_sim: Callable[..., NutSim]) -> None:
    sim = start_sim()
    with Wire(sim.address) as wire:
        assert [wire.ask(line) for line in ("USERNAME admin", "PASSWORD adminpass")] == ["OK\n", "OK\n"]
        assert wire.ask(f'SET VAR {UPS} ups.load "50"') == "OK\n"
        assert wire.ask(f"GET VAR {UPS} ups.load") == f'VAR {UPS} ups.load "50"\n'
        assert wire.ask(f"SET VAR {UPS} foo.bar 1") == "ERR VAR-NOT-SUPPORTED\n"
        assert wire.ask(f"SET VAR {UPS} driver.name x") == "ERR READONLY\n"
        assert wire.ask(f'SET VAR {UPS} ups.firmware "{"x" * 17}"') == "ERR TOO-LONG\n"
        assert wire.ask(f"INSTCMD {UPS} load.off") == "OK\n"
        assert wire.ask(f"INSTCMD {UPS} make.coffee") == "ERR CMD-NOT-SUPPORTED\n"
        assert wire.ask(f"LOGIN {UPS}") == "ERR ACCESS-DENIED\n"
        assert wire.ask("SET TRACKING ON") == "OK\n"
        tracked = wire.ask(f"SET VAR {UPS} ups.load 24")
        assert tracked.startswith("OK TRACKING ") and len(tracked.split()[2]) == 36
        assert wire.ask(f"GET TRACKING {tracked.split()[2]}") == "SUCCESS\n"


def test_a_set_var_holds_until_the_ups_changes_state(
    start_sim: Callable[..., NutSim], faults: Faults
) -> None:
    """A new UPS state is to the simulator what a rewritten device file is to dummy-ups."""
    sim = start_sim()
    with Wire(sim.address) as wire:
        for line in ("USERNAME admin", "PASSWORD adminpass", f"SET VAR {UPS} ups.load 50"):
            assert wire.ask(line) == "OK\n"
        assert wire.ask(f"GET VAR {UPS} ups.load") == f'VAR {UPS} ups.load "50"\n'
        faults.set_ups("on-battery")
        assert wire.ask(f"GET VAR {UPS} ups.load") == f'VAR {UPS} ups.load "23"\n'


def test_a_stopped_or_stale_driver_answers_like_upsd(start_sim: Callable[..., NutSim]) -> None:
    sim = start_sim()
    with Wire(sim.address) as wire:
        sim.driver = "stopped"
        assert wire.ask(f"GET VAR {UPS} ups.status") == "ERR DRIVER-NOT-CONNECTED\n"
        assert wire.ask("LIST UPS").startswith("BEGIN LIST UPS")  # upsd answers it without the driver
        assert wire.ask(f"LIST CLIENT {UPS}").startswith("BEGIN LIST CLIENT")
        sim.driver = "stale"
        assert wire.ask(f"LIST VAR {UPS}") == "ERR DATA-STALE\n"


def test_requests_are_parsed_like_upsds_parseconf() -> None:
    parser = RequestParser()
    assert list(parser.feed(b'GET VAR "apc1500" ups.st')) == []
    assert list(parser.feed(b"atus extra\r\n")) == [["GET", "VAR", "apc1500", "ups.status", "extra"]]
    assert list(parser.feed(b'PASSWORD "p \\"q\\" \\\\ #="\n')) == [["PASSWORD", 'p "q" \\ #=']]
    assert list(parser.feed(b"VER # a comment\nget\tvar x y#z\n")) == [["VER"], ["get", "var", "x", "y"]]
    assert list(parser.feed(b'GET VAR x "open\n')) == []  # a quote left open runs into the next line
    assert list(parser.feed(b'"\n')) == [["GET", "VAR", "x", "open"]]  # the newline itself is dropped
    assert list(parser.feed(b"GET VAR x ups.\xc3\xa9sta\x01tus\n")) == [["GET", "VAR", "x", "ups.status"]]
    assert list(parser.feed(b"a=b\n")) == [["a", "=", "b"]]


# -- the simulator's faults and UPS states --------------------------------------------------------


def test_each_ups_state_shows_as_its_flags(start_sim: Callable[..., NutSim], faults: Faults) -> None:
    sim = start_sim()
    online = status_of(sim.address)
    assert online.flags == ["OL"] and online.on_line and not online.on_battery
    assert online.battery_charge == 100 and online.battery_runtime == 2400
    faults.set_ups("on-battery")
    first = status_of(sim.address)
    assert first.flags == ["OB", "DISCHRG"] and first.on_battery and not first.low_battery
    time.sleep(0.3)
    later = status_of(sim.address)
    assert later.battery_runtime is not None and first.battery_runtime is not None
    assert later.battery_runtime < first.battery_runtime, "the runtime falls while on battery"
    faults.set_ups("low-battery")
    low = status_of(sim.address)
    assert low.flags == ["OB", "DISCHRG", "LB"] and low.low_battery and low.critical
    assert low.battery_charge is not None and low.battery_charge < 10
    assert low.battery_runtime is not None and low.battery_runtime < 120
    faults.set_ups("online")
    assert status_of(sim.address).flags == ["OL", "CHRG"], "back on line, the battery recharges"


def test_down_resets_every_connection(sim: NutSim, faults: Faults) -> None:
    async def story() -> None:
        async with NutClient(sim.address) as open_before:
            faults.set_down("nut")
            with pytest.raises(Unreachable):
                await open_before.version()
            with pytest.raises(Unreachable):
                await open_before.version()  # the client dropped the connection
        with pytest.raises(Unreachable):
            async with NutClient(sim.address, username="monuser", password="monpass"):
                pass

    run(story())


def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unreachable, match="cannot connect"):
        run(NutClient(f"127.0.0.1:{port}").connect())


def test_a_connection_that_never_completes_is_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    async def hang(*args: Any, **kwargs: Any) -> None:
        await asyncio.sleep(60)

    monkeypatch.setattr(asyncio, "open_connection", hang)
    with pytest.raises(Timeout, match="no connection within 0.05 s"):
        run(NutClient("127.10.0.10:3493", timeout=0.05).connect())


def test_latency_delays_each_answer_and_a_short_timeout_gives_up(sim: NutSim, faults: Faults) -> None:
    faults.set_latency("nut", 150)

    async def story() -> tuple[float, str]:
        async with NutClient(sim.address, timeout=2) as nut:
            started = time.perf_counter()
            value = await nut.get_var(UPS, "ups.load")
            return time.perf_counter() - started, value

    elapsed, value = run(story())
    assert value == "23" and elapsed >= 0.15
    with pytest.raises(Timeout, match="within 0.05 s"):
        status_of(sim.address, timeout=0.05)


def test_injected_errors_are_server_errors_then_the_ups_answers(sim: NutSim, faults: Faults) -> None:
    faults.set_errors("nut", 2)

    async def story() -> list[Any]:
        seen: list[Any] = []
        async with NutClient(sim.address) as nut:
            seen.append(await nut.version())  # VER does not consult the driver: no error taken
            for _ in range(3):
                try:
                    seen.append(await nut.ups_status(UPS))
                except ServerError as exc:
                    seen.append(exc)
        return seen

    version, first, second, third = run(story())
    assert version.startswith("Network UPS Tools upsd")
    assert isinstance(first, ServerError) and "DRIVER-NOT-CONNECTED" in str(first)
    assert isinstance(second, ServerError)
    assert isinstance(third, UpsStatus) and third.on_line


# -- the adapter against the simulator ------------------------------------------------------------


def test_the_adapter_reads_version_ups_list_and_variables(start_sim: Callable[..., NutSim]) -> None:
    sim = start_sim(description=QUOTED_DESCRIPTION)

    async def story() -> dict[str, Any]:
        async with NutClient(sim.address) as nut:
            return {
                "version": await nut.version(),
                "protocol": await nut.protocol_version(),
                "ups": await nut.list_ups(),
                "description": await nut.description(UPS),
                "vars": await nut.list_vars(UPS),
                "status": await nut.get_var(UPS, "ups.status"),
                "logins": await nut.num_logins(UPS),
            }

    seen = run(story())
    assert seen["version"] == "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/"
    assert seen["protocol"] == "1.3"
    assert seen["ups"] == {UPS: QUOTED_DESCRIPTION} and seen["description"] == QUOTED_DESCRIPTION
    assert seen["vars"]["device.mfr"] == "American Power Conversion" and seen["vars"]["ups.status"] == "OL"
    assert list(seen["vars"]) == sorted(seen["vars"])
    assert seen["status"] == "OL" and seen["logins"] == 2


@pytest.mark.parametrize(
    ("call", "error", "code"),
    [
        (lambda nut: nut.get_var("nosuch", "ups.status"), NotFound, "UNKNOWN-UPS"),
        (lambda nut: nut.list_vars("nosuch"), NotFound, "UNKNOWN-UPS"),
        (lambda nut: nut.list_clients("nosuch"), NotFound, "UNKNOWN-UPS"),
        (lambda nut: nut.ups_status("nosuch"), NotFound, "UNKNOWN-UPS"),
        (lambda nut: nut.get_var(UPS, "nope.var"), NotFound, "VAR-NOT-SUPPORTED"),
        (lambda nut: nut.login(UPS), AuthFailed, "USERNAME-REQUIRED"),
    ],
)
def test_each_err_reply_becomes_a_typed_error(sim: NutSim, call: Any, error: type, code: str) -> None:
    async def story() -> None:
        async with NutClient(sim.address) as nut:
            with pytest.raises(error, match=code):
                await call(nut)
            assert await nut.get_var(UPS, "ups.load") == "23", "an ERR leaves the connection usable"

    run(story())


def test_login_needs_the_password_and_an_upsmon_role(start_sim: Callable[..., NutSim]) -> None:
    sim = start_sim()

    async def login(**credentials: Any) -> None:
        async with NutClient(sim.address, **credentials) as nut:
            await nut.login(UPS)

    with pytest.raises(AuthFailed, match="PASSWORD-REQUIRED"):
        run(login(username="monuser"))
    with pytest.raises(AuthFailed, match="ACCESS-DENIED"):
        run(login(username="monuser", password="wrong"))
    with pytest.raises(AuthFailed, match="ACCESS-DENIED"):
        run(login(username="admin", password="adminpass"))
    run(login(username="monuser", password="monpass"))


def test_a_login_is_listed_until_logout(start_sim: Callable[..., NutSim]) -> None:
    sim = start_sim()

    async def story() -> tuple[list[str], int]:
        async with NutClient(sim.address, username="monuser", password="monpass") as upsmon:
            await upsmon.login(UPS)
            with pytest.raises(NutProtocolError) as twice:
                await upsmon.login(UPS)
            assert twice.value.code == "ALREADY-LOGGED-IN"
            async with NutClient(sim.address) as watcher:
                return await watcher.list_clients(UPS), await watcher.num_logins(UPS)

    clients, logins = run(story())
    assert clients == [*catalog.NUT_CLIENTS, "127.0.0.1"] and logins == 3
    deadline = time.monotonic() + 2
    while len(sim.logged_in()) > 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sim.logged_in() == list(catalog.NUT_CLIENTS), "LOGOUT on leaving ends the login"


def test_set_var_errors_that_have_no_closer_meaning_carry_their_code(
    start_sim: Callable[..., NutSim],
) -> None:
    sim = start_sim()

    async def story() -> list[str]:
        codes = []
        async with NutClient(sim.address, username="admin", password="adminpass") as nut:
            for name, value in (("driver.name", "x"), ("ups.firmware", "x" * 17)):
                with pytest.raises(NutProtocolError) as refused:
                    await nut.set_var(UPS, name, value)
                codes.append(refused.value.code)
            await nut.set_var(UPS, "ups.status", "OB DISCHRG")
            assert (await nut.ups_status(UPS)).flags == ["OB", "DISCHRG"]
        return codes

    assert run(story()) == ["READONLY", "TOO-LONG"]


def test_a_stale_driver_is_a_server_error(start_sim: Callable[..., NutSim]) -> None:
    sim = start_sim()
    sim.driver = "stale"
    with pytest.raises(ServerError, match="DATA-STALE"):
        status_of(sim.address)


def test_awkward_passwords_are_quoted_on_the_wire(start_sim: Callable[..., NutSim]) -> None:
    password = 'p w "q" \\ #=x'
    sim = start_sim(users={"upsmon": (password, "upsmon secondary")})

    async def login() -> None:
        async with NutClient(sim.address, username="upsmon", password=password) as nut:
            await nut.login(UPS)

    run(login())
    with pytest.raises(BadRequest, match="printable ASCII"):
        run(NutClient(sim.address, username="upsmon", password="pässword").connect())


def test_the_password_never_reaches_a_log_or_an_error(sim: NutSim, caplog: pytest.LogCaptureFixture) -> None:
    secret = "s3cret-nut-password"
    caplog.set_level(logging.DEBUG, logger="cockpit.adapters.nut")

    async def story() -> str:
        client = NutClient(sim.address, username="monuser", password=secret)
        async with client as nut:
            with pytest.raises(AuthFailed) as denied:
                await nut.login(UPS)
        return f"{denied.value} {client!r}"

    shown = run(story())
    assert "PASSWORD ********" in caplog.text
    assert secret not in caplog.text and secret not in shown


def test_the_loopback_guard_refuses_a_real_homelab_before_any_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def no_connection(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(asyncio, "open_connection", no_connection)
    with pytest.raises(netguard.GuardRefused, match="192.168.10.10"):
        run(NutClient("192.168.10.10:3493").connect())


# -- the adapter against a scripted server (replies no upsd sends) ----------------------------------


@contextlib.asynccontextmanager
async def scripted(replies: dict[str, bytes]) -> Any:
    """A server answering each request line with canned bytes; an unknown line closes the connection."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := (await reader.readline()).decode().strip():
            if line not in replies:
                break
            writer.write(replies[line])
            await writer.drain()
            if not replies[line].endswith(b"\n"):
                break  # a reply cut short: hang up
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (b'VAR apc1500 ups.status "OL\n', MalformedResponse),
        (b"VAR apc1500 ups.status\n", MalformedResponse),
        (b'VAR other ups.status "OL"\n', MalformedResponse),
        (b"\n", MalformedResponse),
        (b'VAR apc1500 ups.status "OL"', Unreachable),  # no newline, then the server hangs up
        (b"ERR SOMETHING-NEW extra\n", NutProtocolError),
        (b"ERR DATA-STALE\n", ServerError),
        (b"ERR INVALID-PASSWORD\n", AuthFailed),
    ],
)
def test_replies_in_the_wrong_shape_are_typed_errors(reply: bytes, error: type) -> None:
    async def story() -> None:
        async with (
            scripted({"GET VAR apc1500 ups.status": reply}) as address,
            NutClient(address, timeout=2) as nut,
        ):
            with pytest.raises(error):
                await nut.get_var(UPS, "ups.status")

    run(story())


def test_lists_in_the_wrong_shape_are_malformed() -> None:
    replies = {
        "LIST VAR apc1500": b'BEGIN LIST VAR apc1500\nVAR apc1500 x "1"\nEND LIST VAR other\n',
        "LIST CLIENT apc1500": b"BEGIN LIST CLIENT other\nEND LIST CLIENT other\n",
        "LIST UPS": b"BEGIN LIST UPS\nBEGIN LIST UPS\nEND LIST UPS\n",
    }

    async def story() -> None:
        for call in (lambda n: n.list_vars(UPS), lambda n: n.list_clients(UPS), lambda n: n.list_ups()):
            async with scripted(replies) as address, NutClient(address, timeout=1) as nut:
                with pytest.raises(MalformedResponse):
                    await call(nut)

    run(story())


def test_quoted_values_with_escapes_are_read_back_exactly() -> None:
    assert split_words('VAR apc1500 device.mfr "A \\"q\\" \\\\ b"') == [
        "VAR",
        "apc1500",
        "device.mfr",
        'A "q" \\ b',
    ]
    assert split_words('UPS apc1500 ""') == ["UPS", "apc1500", ""]
    for broken in ('VAR x "open', "VAR x end\\", 'VAR x ab"c"'):
        with pytest.raises(ValueError):
            split_words(broken)

    async def story() -> str:
        reply = b'VAR apc1500 device.mfr "A \\"q\\" \\\\ b"\n'
        async with scripted({"GET VAR apc1500 device.mfr": reply}) as address, NutClient(address) as nut:
            return await nut.get_var(UPS, "device.mfr")

    assert run(story()) == 'A "q" \\ b'


# -- upsc, the real NUT client, against the simulator ---------------------------------------------


def need(what: str, found: object) -> None:
    """Skip without the NUT packages; under CI (CI=true) their absence is a failure."""
    if found:
        return
    message = f"{what} not found (apt-get install nut-server nut-client)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: {message}")
    pytest.skip(message)


def upsc(*args: str) -> subprocess.CompletedProcess[str]:
    need("upsc (nut-client)", shutil.which("upsc"))
    return subprocess.run(["upsc", *args], capture_output=True, text=True, timeout=15, check=False)


def test_upsc_reads_the_simulator_unchanged(sim: NutSim) -> None:
    every = upsc(f"{UPS}@{sim.address}")
    assert every.returncode == 0, every.stderr
    shown = dict(line.split(": ", 1) for line in every.stdout.splitlines())
    assert shown["ups.status"] == "OL" and shown["device.model"] == "Back-UPS BX1500MI"
    assert list(shown) == sorted(shown)
    assert upsc(f"{UPS}@{sim.address}", "battery.charge").stdout == "100\n"
    assert upsc("-l", sim.address).stdout == f"{UPS}\n"
    assert upsc("-c", f"{UPS}@{sim.address}").stdout.split() == list(catalog.NUT_CLIENTS)
    unknown = upsc(f"nosuch@{sim.address}")
    assert unknown.returncode == 1 and "Unknown UPS" in unknown.stderr


def test_upsc_sees_the_ups_go_on_battery(start_sim: Callable[..., NutSim], faults: Faults) -> None:
    sim = start_sim()
    faults.set_ups("low-battery")
    assert upsc(f"{UPS}@{sim.address}", "ups.status").stdout == "OB DISCHRG LB\n"


# -- a REAL upsd with dummy-ups ---------------------------------------------------------------------


def device_file(**changes: str) -> str:
    """The simulator's healthy variables in dummy-ups's `var: value` format, with `changes` applied."""
    with NutSim(Faults(), host="127.0.0.1", clients=[]) as healthy:
        variables = {**healthy.variables(), **{k.replace("_", "."): v for k, v in changes.items()}}
    return "".join(
        f"{name}: {value}\n" for name, value in variables.items() if not name.startswith("driver.")
    )


USERS_FILE = """\
[admin]
    password = adminpass
    actions = SET FSD
    instcmds = ALL
[monuser]
    password = monpass
    upsmon primary
"""


def nut_binary(name: str) -> Path | None:
    for directory in ("/lib/nut", "/usr/lib/nut"):
        path = Path(directory) / name
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return None


@dataclass
class RealUpsd:
    """A real upsd and its dummy-ups driver, in a short temporary directory."""

    root: Path
    port: int
    processes: list[subprocess.Popen[bytes]]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def write_dev(self, **changes: str) -> None:
        """Rewrite the device file in one step: dummy-ups re-reads it when its mtime changes."""
        path = self.root / "etc" / DEVICE_FILE
        staged = path.with_suffix(".new")
        staged.write_text(device_file(**changes))
        os.chmod(staged, 0o640)
        os.replace(staged, path)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _configure(root: Path, port: int) -> dict[str, str]:
    etc, state = root / "etc", root / "run"
    etc.mkdir(exist_ok=True)
    state.mkdir(exist_ok=True)
    (etc / "ups.conf").write_text(
        f"maxretry = 3\n[{UPS}]\n    driver = dummy-ups\n    port = {DEVICE_FILE}\n"
        '    desc = "APC \\"Back-UPS\\" 1500VA \\\\ rack"\n'
    )
    (etc / DEVICE_FILE).write_text(device_file())
    (etc / "upsd.conf").write_text(f"LISTEN 127.0.0.1 {port}\nSTATEPATH {state}\n")
    (etc / "upsd.users").write_text(USERS_FILE)
    os.chmod(state, 0o750)
    for path in etc.iterdir():
        os.chmod(path, 0o640)
    return {**os.environ, "NUT_CONFPATH": str(etc), "NUT_STATEPATH": str(state), "NUT_ALTPIDPATH": str(state)}


def _answers(port: int) -> bool:
    """upsd is up, and its driver has dumped its state (until then ups.status reads WAIT)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(f"GET VAR {UPS} ups.status\n".encode())
            return sock.recv(200).startswith(f'VAR {UPS} ups.status "OL"'.encode())
    except OSError:
        return False


def _spawn(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _launch(root: Path) -> RealUpsd | None:
    port = _free_port()
    env = _configure(root, port)
    as_root = ["-u", "root"] if os.geteuid() == 0 else []  # as root, both would drop to the nut user
    driver = _spawn([str(nut_binary("dummy-ups")), "-a", UPS, "-F", *as_root], env)
    upsd = _spawn([str(nut_binary("upsd")), "-F", *as_root], env)
    real = RealUpsd(root, port, [driver, upsd])
    # upsd retries the driver's socket once per two-second poll; the first try comes too early.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _answers(port):
            return real
        if upsd.poll() is not None or driver.poll() is not None:
            break  # another worker took the port between probe and LISTEN: try again
        time.sleep(0.05)
    for process in real.processes:
        process.kill()
        process.wait()
    return None


@pytest.fixture(scope="module")
def real_upsd() -> Iterator[RealUpsd]:
    need("upsd and dummy-ups (nut-server)", nut_binary("upsd") and nut_binary("dummy-ups"))
    # Short on purpose: the driver's unix socket path must stay under about 100 characters.
    root = Path(tempfile.mkdtemp(prefix="nut", dir="/tmp"))
    real = None
    for _ in range(3):
        real = _launch(root)
        if real is not None:
            break
    if real is None:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail("a real upsd with dummy-ups did not answer within 10 s (see the README's recipe)")
    yield real
    real.stop()


def test_the_adapter_reads_a_real_upsd(real_upsd: RealUpsd) -> None:
    async def story() -> dict[str, Any]:
        async with NutClient(real_upsd.address) as nut:
            return {
                "version": await nut.version(),
                "ups": await nut.list_ups(),
                "vars": await nut.list_vars(UPS),
                "status": await nut.ups_status(UPS),
            }

    seen = run(story())
    assert seen["version"].startswith("Network UPS Tools upsd 2.8")
    assert seen["ups"] == {UPS: QUOTED_DESCRIPTION}, "escaped quotes and backslashes read back exactly"
    assert seen["vars"]["driver.parameter.port"] == DEVICE_FILE and list(seen["vars"]) == sorted(seen["vars"])
    assert seen["status"].flags == ["OL"] and seen["status"].battery_runtime == 2400


def test_a_real_upsd_errors_map_to_the_same_typed_errors(real_upsd: RealUpsd) -> None:
    async def story() -> None:
        async with NutClient(real_upsd.address) as nut:
            with pytest.raises(NotFound, match="UNKNOWN-UPS"):
                await nut.get_var("nosuch", "ups.status")
            with pytest.raises(NotFound, match="VAR-NOT-SUPPORTED"):
                await nut.get_var(UPS, "nope.var")
            with pytest.raises(AuthFailed, match="USERNAME-REQUIRED"):
                await nut.login(UPS)
        async with NutClient(real_upsd.address, username="monuser", password="wrong") as nut:
            with pytest.raises(AuthFailed, match="ACCESS-DENIED"):
                await nut.login(UPS)

    run(story())


def test_a_real_upsd_lists_a_logged_in_client(real_upsd: RealUpsd) -> None:
    async def story() -> tuple[list[str], int]:
        async with NutClient(real_upsd.address, username="monuser", password="monpass") as upsmon:
            await upsmon.login(UPS)
            async with NutClient(real_upsd.address) as watcher:
                return await watcher.list_clients(UPS), await watcher.num_logins(UPS)

    clients, logins = run(story())
    assert clients == ["127.0.0.1"] and logins == 1


def _wait_for(address: str, flag: str, present: bool) -> UpsStatus:
    deadline = time.monotonic() + 8
    while True:
        status = status_of(address)
        if (flag in status.flags) == present or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_a_real_ups_going_on_battery_is_seen_by_the_adapter(real_upsd: RealUpsd) -> None:
    async def set_vars(**values: str) -> None:
        async with NutClient(real_upsd.address, username="admin", password="adminpass") as admin:
            for name, value in values.items():
                await admin.set_var(UPS, name.replace("_", "."), value)

    try:
        real_upsd.write_dev(ups_status="OB DISCHRG", battery_runtime="1800")
        on_battery = _wait_for(real_upsd.address, "OB", True)
        assert on_battery.flags == ["OB", "DISCHRG"] and on_battery.battery_runtime == 1800
        run(set_vars(ups_status="OB DISCHRG LB"))
        assert _wait_for(real_upsd.address, "LB", True).critical
    finally:  # back on line for the next test on this upsd (SET VAR: faster than the driver's .dev poll)
        run(set_vars(ups_status="OL", battery_runtime="2400"))
        assert _wait_for(real_upsd.address, "OB", False).flags == ["OL"]


PARITY_SESSIONS = [
    ["VER", "NETVER", "PROTVER", "HELP", "LIST UPS", f"GET UPSDESC {UPS}", f"GET VAR {UPS} nope.var"],
    ["GET VAR nosuch ups.status", "LIST VAR nosuch", "FOO", "", "GET", "LIST FOO bar", "VER x", "STARTTLS"],
    [f"get var {UPS.upper()} UPS.STATUS", f'GET VAR "{UPS}" ups.status extra # comment', "GET TRACKING"],
    [
        f"LIST VAR {UPS}",
        f"LIST RW {UPS}",
        f"LIST CMD {UPS}",
        f"LIST ENUM {UPS} ups.status",
        f"LIST RANGE {UPS} x",
    ],
    [f"GET DESC {UPS} ups.status", f"GET DESC {UPS} device.model", f"GET CMDDESC {UPS} load.off"],
    [f"FSD {UPS}", "USERNAME monuser", f"FSD {UPS}", "USERNAME again", "PASSWORD wrong", "PASSWORD x"],
    ["USERNAME monuser", "PASSWORD wrong", f"LOGIN {UPS}", f"PRIMARY {UPS}", f"SET VAR {UPS} ups.load 5"],
    ["USERNAME monuser", "PASSWORD monpass", "LOGIN", "LOGIN nosuch", f"LOGIN {UPS}", f"LOGIN {UPS}"],
    ["USERNAME monuser", "PASSWORD monpass", f"PRIMARY {UPS}", f"MASTER {UPS}", "LOGOUT x", "LOGOUT"],
    [
        "USERNAME admin",
        "PASSWORD adminpass",
        f"LOGIN {UPS}",
        f"SET VAR {UPS} foo.bar 1",
        f"INSTCMD {UPS} nope",
    ],
    ["USERNAME admin", "PASSWORD adminpass", "SET TRACKING maybe", "SET VAR", f"INSTCMD {UPS}", "SET FOO x"],
    [
        "USERNAME admin",
        "PASSWORD adminpass",
        f"SET VAR {UPS} driver.name x",
        f'SET VAR {UPS} ups.firmware "{"x" * 17}"',
    ],
    ["USERNAME admin", "PASSWORD adminpass", f"SET VAR {UPS} ups.load 50", f"SET VAR {UPS} ups.load 23"],
]


def test_the_simulator_answers_as_the_real_upsd_does(
    real_upsd: RealUpsd, start_sim: Callable[..., NutSim]
) -> None:
    """The same requests to both servers, given the same device, get the same bytes back."""
    sim = start_sim(host="127.0.0.1", description=QUOTED_DESCRIPTION, clients=[])
    types = [f"GET TYPE {UPS} {name}" for name in sim.variables()]
    for session in [*PARITY_SESSIONS, types]:
        with Wire(real_upsd.address) as real, Wire(sim.address) as simulated:
            for line in session:
                assert simulated.ask(line) == real.ask(line), (
                    f"after {session[: session.index(line)]}: {line!r}"
                )


# -- the evaluators -------------------------------------------------------------------------------

PHASE = """\
id = 0
title = "Power"
goal = "UPS first"

[[tasks]]
id = "install-ups"
title = "Install the UPS"
principle = "ups-protection"
runbook = "Plug it in."

[[exit]]
id = "ups-online"
title = "The UPS is on line"
principle = "ups-protection"
[exit.check]
type = "nut.ups_status"
expect = ["OL"]

[[exit]]
id = "ups-runtime"
title = "The UPS holds ten minutes"
principle = "ups-protection"
[exit.check]
type = "nut.ups_status"
min_runtime_s = 600

[[exit]]
id = "nodes-are-clients"
title = "Both Proxmox nodes are NUT clients"
principle = "ups-protection"
[exit.check]
type = "nut.clients"
hosts = ["role:hypervisor-*"]

[[exit]]
id = "nas-is-client"
title = "The NAS is a NUT client of itself"
principle = "ups-protection"
[exit.check]
type = "nut.clients"
hosts = ["nas-prod-01"]
"""


def make_project(root: Path, nut: str | None) -> Project:
    """A cockpit.toml with the lab's hosts and an optional [nut] section, and one phase of nut checks."""
    hosts = "".join(
        f'[[hosts]]\nname = "{h.name}"\nrole = "{h.role}"\naddress = "{h.address}"\nvlan = {h.vlan}\n\n'
        for h in catalog.HOSTS
        if h.role in ("nas", "hypervisor-primary", "hypervisor-secondary")
    )
    (root / "phases").mkdir(exist_ok=True)
    (root / "phases" / "0.toml").write_text(PHASE)
    (root / "cockpit.toml").write_text(f'phases_dir = "phases"\n\n{hosts}{nut or ""}')
    return load_project(str(root / "cockpit.toml"), str(root / "state"))


def nut_section(address: str, root: Path) -> str:
    secret = root / "nut.secret"
    secret.write_text("monpass\n")
    secret.chmod(0o600)
    return textwrap.dedent(
        f"""\
        [nut]
        address = "{address}"
        ups = "{UPS}"
        username = "monuser"
        password = {{ file = "nut.secret" }}
        """
    )


def evaluate_all(project: Project, tmp_path: Path) -> dict[str, Any]:
    store = Store(tmp_path / "state", Operator("tester", "lab", None))
    ctx = CheckContext(project, store, phase=0, kind="exit")

    async def every() -> dict[str, Any]:
        return {c.id: await engine.evaluate(c, ctx) for c in project.phases[0].exit}

    return run(every())


@pytest.fixture
def with_nut_evaluators(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine with the nut evaluators merged in, as cockpit.checks will hold them."""
    for kind, evaluator in EVALUATORS.items():
        monkeypatch.setitem(engine.EVALUATORS, kind, evaluator)


def test_evaluators_pass_on_a_healthy_ups(
    start_sim: Callable[..., NutSim], tmp_path: Path, with_nut_evaluators: None
) -> None:
    sim = start_sim()
    project = make_project(tmp_path, nut_section(sim.address, tmp_path))
    results = evaluate_all(project, tmp_path)
    assert {k: r.result for k, r in results.items()} == {
        "ups-online": "pass",
        "ups-runtime": "pass",
        "nodes-are-clients": "pass",
        "nas-is-client": "fail",
    }
    assert results["ups-online"].observed["flags"] == ["OL"]
    assert 'ups.status "OL"' in (results["ups-online"].evidence or "")
    assert results["nas-is-client"].detail == "not logged in: nas-prod-01 (127.10.0.10)"
    assert results["nodes-are-clients"].observed == list(catalog.NUT_CLIENTS)


@pytest.mark.parametrize("state", ["on-battery", "low-battery"])
def test_evaluators_fail_on_battery(
    start_sim: Callable[..., NutSim], faults: Faults, tmp_path: Path, with_nut_evaluators: None, state: str
) -> None:
    sim = start_sim()
    faults.set_ups(state)
    results = evaluate_all(make_project(tmp_path, nut_section(sim.address, tmp_path)), tmp_path)
    assert results["ups-online"].result == "fail"
    assert "OL missing" in results["ups-online"].detail and "OB present" in results["ups-online"].detail
    assert results["ups-runtime"].result == "fail"
    if state == "low-battery":
        assert (
            "LB present" in results["ups-runtime"].detail and "under 600 s" in results["ups-runtime"].detail
        )


def test_evaluators_error_when_upsd_is_down(
    sim: NutSim, faults: Faults, tmp_path: Path, with_nut_evaluators: None
) -> None:
    faults.set_down("nut")
    results = evaluate_all(make_project(tmp_path, nut_section(sim.address, tmp_path)), tmp_path)
    assert {r.result for r in results.values()} == {"error"}
    assert all(sim.address in r.detail for r in results.values())


def test_evaluators_error_without_a_nut_section(tmp_path: Path, with_nut_evaluators: None) -> None:
    project = make_project(tmp_path, None)
    with pytest.raises(CockpitError, match=r"no \[nut\] section in .*cockpit.toml"):
        client_for(project)
    results = evaluate_all(project, tmp_path)
    assert {r.result for r in results.values()} == {"error"}
    assert "no [nut] section" in results["ups-online"].detail


def test_evaluators_error_on_a_stale_driver_and_never_pass(
    start_sim: Callable[..., NutSim], tmp_path: Path
) -> None:
    sim = start_sim()
    sim.driver = "stale"
    project = make_project(tmp_path, nut_section(sim.address, tmp_path))
    ctx = CheckContext(project, Store(tmp_path / "state", Operator("tester", "lab", None)))
    criterion = project.phases[0].exit[0]
    seen = run(evaluate_ups_status(criterion, ctx))
    assert seen.result == "error" and "DATA-STALE" in seen.detail
    clients = run(evaluate_clients(project.phases[0].exit[2], ctx))
    assert clients.result == "pass", "LIST CLIENT does not need the driver"


def test_a_ups_without_a_runtime_leaves_a_runtime_criterion_inconclusive(tmp_path: Path) -> None:
    replies = {
        "USERNAME monuser": b"OK\n",
        "PASSWORD monpass": b"OK\n",
        f"LIST VAR {UPS}": f'BEGIN LIST VAR {UPS}\nVAR {UPS} ups.status "OL"\nEND LIST VAR {UPS}\n'.encode(),
    }

    async def story() -> list[Any]:
        async with scripted(replies) as address:
            project = make_project(tmp_path, nut_section(address, tmp_path))
            ctx = CheckContext(project, Store(tmp_path / "state", Operator("tester", "lab", None)))
            return [await evaluate_ups_status(c, ctx) for c in project.phases[0].exit[:2]]

    online, runtime = run(story())
    assert online.result == "pass" and online.observed["battery.runtime"] is None
    assert runtime.result == "inconclusive" and "no battery.runtime" in runtime.detail


def test_an_unsafe_password_file_is_an_error_not_a_pass(
    sim: NutSim, tmp_path: Path, with_nut_evaluators: None
) -> None:
    project = make_project(tmp_path, nut_section(sim.address, tmp_path))
    (tmp_path / "nut.secret").chmod(0o644)
    results = evaluate_all(project, tmp_path)
    assert {r.result for r in results.values()} == {"error"}
    assert "readable by group or others" in results["ups-online"].detail


def test_evaluators_pass_against_a_real_upsd(
    real_upsd: RealUpsd, tmp_path: Path, with_nut_evaluators: None
) -> None:
    results = evaluate_all(make_project(tmp_path, nut_section(real_upsd.address, tmp_path)), tmp_path)
    assert results["ups-online"].result == "pass"
    assert results["nodes-are-clients"].result == "fail", "no Proxmox node is logged in to this upsd"
