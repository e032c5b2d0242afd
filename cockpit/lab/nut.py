"""Provides a NUT upsd simulator: the network protocol of upsd 2.8.0 over TCP, for one APC Back-UPS.

It poses as the README's recipe: upsd 2.8.0 with dummy-ups replaying the variables an APC Back-UPS
BX1500MI reports. Given the same device file, a real upsd answers byte for byte the same (the
tests hold it to that). What it copies (the specs README, section 4, upsd's `server/*.c`, and a
real upsd asked the same questions; where they differ, the real server wins):

- Requests are read with a port of upsd's `parseconf` state machine: words split on whitespace,
  `"..."` quoting with `\\"` and `\\\\`, a backslash outside quotes escapes the next character, `#`
  starts a comment, an unclosed quote runs on into the next line (no answer until it closes),
  bytes outside 0x20-0x7F are dropped, at most 32 words of at most 512 characters. Command names
  and sub-commands are case-insensitive; an empty line is `ERR UNKNOWN-COMMAND`.
- Commands and their checks run in upsd's order: `LOGIN`, `PRIMARY`/`MASTER`, `FSD`, `SET` and
  `INSTCMD` need USERNAME then PASSWORD (`USERNAME-REQUIRED`, `PASSWORD-REQUIRED`) before
  anything else; then the argument count (`INVALID-ARGUMENT`), the UPS (`UNKNOWN-UPS`), the driver
  (`DRIVER-NOT-CONNECTED`, `DATA-STALE`) where upsd asks it, then the user's rights
  (`ACCESS-DENIED`: a wrong password is only found out here). Extra words are ignored where upsd
  ignores them (`GET VAR ups var extra`) and refused where it refuses them (`VER x`).
- `LIST VAR` and `LIST RW` come back sorted by name. Descriptions are escaped as upsd escapes them
  (`pconf_encode`: `\\`, `"` and `#`); variable values are sent as they are, as upsd 2.8.0 does.
- Every variable of the device is writable (`RW STRING:n` or `RW NUMBER`, as dummy-ups flags it;
  `TOO-LONG` past n); the driver.* ones are not (`READONLY`) and their type is upsd's fallback
  `NUMBER`. SET VAR applies at once (upsd applies it a moment later).
- `FSD` is a latch until the simulator stops: `ups.status` then reads `FSD OB ...`. `LOGOUT` answers
  `OK Goodbye` and closes; a connection silent for 60 s is closed, as upsd sheds idle clients.
- `LIST CLIENT` and `GET NUMLOGINS` count the configured clients (the Proxmox nodes, as if their
  upsmon were logged in) plus every connection that did `LOGIN`.

The UPS follows `faults.ups`: "online" is `OL` (`OL CHRG` while the battery recovers), "on-battery"
`OB DISCHRG` with charge and runtime falling (lab time runs fast: half a percent a second, never
below 20 %, so the state stays the one the fault names), "low-battery" `OB DISCHRG LB` at 4 % charge,
under the UPS's own low thresholds. A change of `faults.ups` is what rewriting the device file is
to dummy-ups: every variable is set afresh, undoing earlier SET VARs. Faults of backend "nut": `down` resets every connection (new
and open) without an answer; `latency` delays each answer; `errors N` makes the next N commands that
consult the driver (the ones for which upsd can answer `DRIVER-NOT-CONNECTED`) answer exactly that.

Not simulated: STARTTLS (`ERR FEATURE-NOT-CONFIGURED`, as a upsd without certificates answers),
IPv6 listeners, ACLs, upsd.conf's MAXAGE timing (`DATA-STALE` is the `driver = "stale"` switch),
`ATTACH`/`DETACH` (later than 2.8.0), and what `load.off` would do (it is accepted and forgotten).
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from cockpit.lab import catalog
from cockpit.lab.faults import Faults

BACKEND = "nut"
VERSION_LINE = "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/"
PROTOCOL_VERSION = "1.3"
HELP_LINE = "Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS"
IDLE_TIMEOUT_S = 60.0  # upsd's mainloop sheds clients silent for a minute
READ_SIZE = 512  # upsd reads a client's socket SMALLBUF bytes at a time
ARG_LIMIT = 32  # PCONF_DEFAULT_ARG_LIMIT
WORD_LIMIT = 512  # PCONF_DEFAULT_WORDLEN_LIMIT

DEFAULT_USERS: dict[str, tuple[str, str]] = {
    "monuser": ("monpass", "upsmon primary"),
    "admin": ("adminpass", "actions"),
}

# -- the request parser: a port of common/parseconf.c (pconf_char) ----------------------------------


class RequestParser:
    """Turns bytes into argument lists the way upsd's `pconf_char` does, one character at a time.

    State survives between reads, so a request split over several packets (or a quote left open
    across a newline) is parsed as upsd parses it.
    """

    def __init__(self) -> None:
        self._state = "start"
        self._words: list[str] = []
        self._word: list[str] = []

    def feed(self, data: bytes) -> Iterator[list[str]]:
        """Yield each request completed by `data`."""
        for byte in data:
            if self._step(chr(byte)):
                words, self._words = self._words, []
                yield words

    def _step(self, ch: str) -> bool:
        """Advance by one character; True when it ended a request."""
        state = self._state
        if state == "start":
            return self._find_word_start(ch)
        if state == "comment":
            self._state = "start" if ch == "\n" else "comment"
            return ch == "\n"
        if state == "quoted":
            if ch == '"':
                self._end_word()
                self._state = "start"
            elif ch == "\\":
                self._state = "quoted-literal"
            else:
                self._add(ch)
            return False
        if state in ("quoted-literal", "literal"):
            if ch != "\n":  # a backslash before a newline joins the lines
                self._add(ch)
            self._state = "quoted" if state == "quoted-literal" else "word"
            return False
        return self._collect(ch)

    def _find_word_start(self, ch: str) -> bool:
        if ch == "\n":
            return True
        if ch == "#":
            self._state = "comment"
        elif ch.isspace() and ch.isascii():
            pass
        elif ch == "\\":
            self._state = "literal"
        elif ch == '"':
            self._state = "quoted"
        else:
            self._add(ch)
            if ch == "=":  # a leading '=' is a word of its own
                self._end_word()
            else:
                self._state = "word"
        return False

    def _collect(self, ch: str) -> bool:
        if ch in "#\n" or (ch.isspace() and ch.isascii()) or ch == "=":
            self._end_word()
            self._state = "comment" if ch == "#" else "start"
            if ch == "=":
                self._find_word_start(ch)
            return ch == "\n"
        if ch == "\\":
            self._state = "literal"
        else:
            self._add(ch)
        return False

    def _add(self, ch: str) -> None:
        # CVE-2012-2944: only 0x20-0x7F is kept; a word stops growing at its limit.
        if 0x20 <= ord(ch) <= 0x7F and len(self._word) < WORD_LIMIT:
            self._word.append(ch)

    def _end_word(self) -> None:
        if len(self._words) < ARG_LIMIT:
            self._words.append("".join(self._word))
        self._word = []


def encode(value: str) -> str:
    """upsd's `pconf_encode`: a backslash before each `#`, `\\` and `"`."""
    return "".join("\\" + ch if ch in '#\\"' else ch for ch in value)


# -- the UPS: an APC Back-UPS 1500VA, replayed by dummy-ups ----------------------------------------
#
# The lab's upsd serves the UPS the way the README's recipe serves one (upsd + dummy-ups), with the
# variables an APC Back-UPS BX1500MI shows through usbhid-ups as the replayed device file. The same
# file given to a real upsd with dummy-ups answers byte for byte what this simulator answers.

DEVICE_FILE = "apc1500.dev"
DEVICE_VARIABLES: dict[str, str] = {  # the state-driven ones (status, battery, input) come from Battery
    "battery.charge.low": "10",
    "battery.charge.warning": "50",
    "battery.mfr.date": "2021/01/25",
    "battery.runtime.low": "120",
    "battery.type": "PbAc",
    "battery.voltage.nominal": "24.0",
    "device.mfr": "American Power Conversion",
    "device.model": "Back-UPS BX1500MI",
    "device.serial": "9B2104A12345",
    "device.type": "ups",
    "input.sensitivity": "medium",
    "input.transfer.high": "295",
    "input.transfer.low": "145",
    "input.voltage.nominal": "230",
    "ups.beeper.status": "enabled",
    "ups.delay.shutdown": "20",
    "ups.firmware": "378600G -302202G",
    "ups.load": "23",
    "ups.mfr": "American Power Conversion",
    "ups.mfr.date": "2021/01/25",
    "ups.model": "Back-UPS BX1500MI",
    "ups.productid": "0002",
    "ups.realpower.nominal": "900",
    "ups.serial": "9B2104A12345",
    "ups.test.result": "No test initiated",
    "ups.timer.reboot": "0",
    "ups.timer.shutdown": "-1",
    "ups.vendorid": "051d",
}
DRIVER_VARIABLES: dict[str, str] = {  # what dummy-ups 2.8.0 adds itself (read-only)
    "driver.name": "dummy-ups",
    "driver.parameter.mode": "dummy-once",
    "driver.parameter.pollinterval": "2",
    "driver.parameter.port": DEVICE_FILE,
    "driver.parameter.synchronous": "auto",
    "driver.version": "2.8.0",
    "driver.version.internal": "0.15",
}
# GET TYPE as a real upsd 2.8.0 answers for these variables under dummy-ups (its own table decides
# the flags; measured, not guessed). Everything else, driver.* included, is upsd's fallback NUMBER.
_NUMBERS = (
    "battery.charge battery.charge.low battery.runtime battery.runtime.low battery.voltage"
    " battery.voltage.nominal input.transfer.high input.transfer.low input.voltage input.voltage.nominal"
    " ups.delay.shutdown ups.load"
)
_STRINGS_16 = "ups.firmware ups.mfr.date ups.test.result"
TYPES: dict[str, str] = {
    **{name: "RW STRING:32" for name in DEVICE_VARIABLES},
    "ups.status": "RW STRING:32",
    **{name: "RW NUMBER" for name in _NUMBERS.split()},
    **{name: "RW STRING:16" for name in _STRINGS_16.split()},
    "input.sensitivity": "RW STRING:1",
}
INSTANT_COMMANDS = ("load.off",)
DESCRIPTIONS: dict[str, str] = {  # from NUT's data/cmdvartab, as upsd answers GET DESC / CMDDESC
    "battery.charge": "Battery charge (percent of full)",
    "battery.charge.low": "Remaining battery level when UPS switches to LB (percent)",
    "battery.runtime": "Battery runtime (seconds)",
    "battery.runtime.low": "Remaining battery runtime when UPS switches to LB (seconds)",
    "battery.voltage": "Battery voltage (V)",
    "input.voltage": "Input voltage (V)",
    "ups.load": "Load on UPS (percent of full)",
    "ups.model": "UPS model",
    "ups.status": "UPS status",
    "load.off": "Turn off the load immediately",
}


def string_limit(name: str) -> int | None:
    """The STRING:n length upsd enforces on SET VAR (TOO-LONG), if the variable is a string."""
    kind = TYPES.get(name, "")
    return int(kind.rpartition(":")[2]) if "STRING:" in kind else None


FULL_RUNTIME_S = 2400  # at this UPS's 23 % load
DISCHARGE_PER_S = 0.5  # lab time: % of charge per second on battery
RECHARGE_PER_S = 1.0
ON_BATTERY_FLOOR = 20.0
LOW_BATTERY_CHARGE = 4.0  # under battery.charge.low (10) and runtime 96 s under battery.runtime.low
LOW_BATTERY_PER_S = 0.02
LOW_BATTERY_FLOOR = 1.0


@dataclass
class Battery:
    """The battery's charge, advanced lazily each time someone looks (by the state seen last)."""

    charge: float = 100.0
    state: str = "online"
    at: float = field(default_factory=time.monotonic)

    def advance(self, state: str, now: float) -> bool:
        """Bring the charge up to `now`; True when the UPS changed state since the last look."""
        elapsed, self.at = max(0.0, now - self.at), now
        if self.state == "online":
            self.charge = min(100.0, self.charge + RECHARGE_PER_S * elapsed)
        elif self.state == "on-battery":
            self.charge = max(ON_BATTERY_FLOOR, self.charge - DISCHARGE_PER_S * elapsed)
        else:
            self.charge = max(LOW_BATTERY_FLOOR, self.charge - LOW_BATTERY_PER_S * elapsed)
        changed, self.state = state != self.state, state
        if state == "low-battery":
            self.charge = min(self.charge, LOW_BATTERY_CHARGE)
        return changed

    def variables(self) -> dict[str, str]:
        charge = self.charge
        online = self.state == "online"
        status = {"online": "OL", "on-battery": "OB DISCHRG", "low-battery": "OB DISCHRG LB"}[self.state]
        if online and charge < 100.0:
            status += " CHRG"
        volts = 26.0 + 1.2 * charge / 100 if online else 21.0 + 4.5 * charge / 100
        return {
            "battery.charge": str(int(charge)),
            "battery.runtime": str(int(FULL_RUNTIME_S * charge / 100)),
            "battery.voltage": f"{volts:.1f}",
            "input.voltage": "230.0" if online else "0.0",
            "ups.status": status,
        }


def parse_role(role: str) -> tuple[frozenset[str], bool]:
    """upsd.users rights from a short role: the actions granted, and whether all instant commands are.

    "upsmon primary" (or master) grants LOGIN, PRIMARY/MASTER and FSD; "upsmon secondary" (or slave)
    grants LOGIN; "actions [ACTION...]" grants the named actions (SET and FSD when none are named)
    and every instant command, like the README's admin user.
    """
    words = role.upper().split()
    if words[:1] == ["UPSMON"]:
        primary = words[1:2] in (["PRIMARY"], ["MASTER"])
        return frozenset({"LOGIN", "PRIMARY", "MASTER", "FSD"} if primary else {"LOGIN"}), False
    if words[:1] == ["ACTIONS"]:
        return frozenset(words[1:] or ("SET", "FSD")), True
    raise ValueError(f"unknown upsd.users role '{role}' (use 'upsmon primary|secondary' or 'actions ...')")


# -- one client connection ------------------------------------------------------------------------


@dataclass
class Session:
    """What upsd remembers about one connection (`nut_ctype_t`)."""

    address: str
    username: str | None = None
    password: str | None = None
    login_ups: str | None = None
    tracking: bool = False


Handler = Callable[["NutSim", Session, list[str]], str]
NEEDS_USER = {"LOGIN", "PRIMARY", "MASTER", "FSD", "SET", "INSTCMD"}


class NutSim:
    """A upsd on `host:port` serving one UPS; `faults` decides what it gets wrong (backend "nut")."""

    def __init__(
        self,
        faults: Faults,
        *,
        host: str = catalog.NUT_HOST,
        port: int = 0,
        ups: str = catalog.UPS_NAME,
        description: str = catalog.UPS_DESCRIPTION,
        users: dict[str, tuple[str, str]] | None = None,
        clients: tuple[str, ...] | list[str] = catalog.NUT_CLIENTS,
    ) -> None:
        self.faults = faults
        self.host = host
        self.ups = ups
        self.description = description
        self.users = {name: (pw, *parse_role(role)) for name, (pw, role) in (users or DEFAULT_USERS).items()}
        self.clients = list(clients)
        self.driver = "connected"  # or "stopped" (DRIVER-NOT-CONNECTED) or "stale" (DATA-STALE)
        self.fsd = False
        self.tracked: set[str] = set()
        self._requested_port = port
        self._lock = threading.Lock()
        self._battery = Battery()
        self._clears_seen = faults.clears
        self._written: dict[str, str] = {}
        self._sessions: list[Session] = []
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> None:
        self._server = _Server((self.host, self._requested_port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop listening, then end every open connection (their threads exit on the closed socket)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> NutSim:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the simulator first"
        return int(self._server.server_address[1])

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    # -- state ------------------------------------------------------------------------------------

    def variables(self) -> dict[str, str]:
        """Every variable now, sorted by name.

        What SET VAR wrote holds until the UPS changes state: a new `faults.ups` is to the simulator
        what a rewritten device file is to dummy-ups, which then sets every variable afresh.
        """
        with self._lock:
            if self.faults.clears != self._clears_seen:  # `lab fault clear`: a healthy UPS at once
                self._clears_seen, self._battery = self.faults.clears, Battery()
            if self._battery.advance(self.faults.ups, time.monotonic()):
                self._written.clear()
            values = {**DEVICE_VARIABLES, **DRIVER_VARIABLES, **self._battery.variables(), **self._written}
        return dict(sorted(values.items()))

    def logged_in(self) -> list[str]:
        """LIST CLIENT's addresses: the configured upsmon clients, then each session that did LOGIN."""
        with self._lock:
            return self.clients + [s.address for s in self._sessions if s.login_ups is not None]

    def register(self, session: Session, connection: socket.socket) -> None:
        with self._lock:
            self._sessions.append(session)
            self._connections.add(connection)

    def forget(self, session: Session, connection: socket.socket) -> None:
        with self._lock:
            with contextlib.suppress(ValueError):
                self._sessions.remove(session)
            self._connections.discard(connection)

    def write(self, name: str, value: str) -> None:
        with self._lock:
            self._written[name] = value

    # -- the protocol -----------------------------------------------------------------------------

    def answer(self, session: Session, words: list[str]) -> str:
        """The reply to one request (one or more lines, each ending in a newline)."""
        if not words:
            return "ERR UNKNOWN-COMMAND\n"
        command, args = words[0].upper(), words[1:]
        handler = COMMANDS.get(command)
        if handler is None:
            return "ERR UNKNOWN-COMMAND\n"
        if command in NEEDS_USER:
            if session.username is None:
                return "ERR USERNAME-REQUIRED\n"
            if session.password is None:
                return "ERR PASSWORD-REQUIRED\n"
        return handler(self, session, args)

    def known(self, name: str) -> bool:
        return name.lower() == self.ups.lower()  # upsd's get_ups_ptr: strcasecmp

    def lookup(self, name: str) -> tuple[str, str] | None:
        """A variable's own name and value, found regardless of case as upsd's state tree does."""
        wanted = name.lower()
        return next(((k, v) for k, v in self.variables().items() if k.lower() == wanted), None)

    def unavailable(self) -> str | None:
        """upsd's `ups_available`: the error to send when the driver cannot be consulted."""
        if self.faults.take_error(BACKEND) or self.driver == "stopped":
            return "ERR DRIVER-NOT-CONNECTED\n"
        if self.driver == "stale":
            return "ERR DATA-STALE\n"
        return None

    def allowed(self, session: Session, action: str) -> bool:
        """upsd's `user_checkaction`: a known user, the right password, and the action granted."""
        user = self.users.get(session.username or "")
        return user is not None and user[0] == session.password and action in user[1]

    def may_run_commands(self, session: Session) -> bool:
        """upsd's `user_checkinstcmd`, for users granted every instant command (`instcmds = ALL`)."""
        user = self.users.get(session.username or "")
        return user is not None and user[0] == session.password and user[2]

    def status(self, value: str) -> str:
        return f"FSD {value}" if self.fsd else value


# -- command handlers (netcmds.h; each returns the whole reply) -------------------------------------


def _ver(sim: NutSim, session: Session, args: list[str]) -> str:
    return "ERR INVALID-ARGUMENT\n" if args else f"{VERSION_LINE}\n"


def _netver(sim: NutSim, session: Session, args: list[str]) -> str:
    return "ERR INVALID-ARGUMENT\n" if args else f"{PROTOCOL_VERSION}\n"


def _help(sim: NutSim, session: Session, args: list[str]) -> str:
    return "ERR INVALID-ARGUMENT\n" if args else f"{HELP_LINE}\n"


def _starttls(sim: NutSim, session: Session, args: list[str]) -> str:
    return "ERR FEATURE-NOT-CONFIGURED\n"


def _username(sim: NutSim, session: Session, args: list[str]) -> str:
    if len(args) != 1:
        return "ERR INVALID-ARGUMENT\n"
    if session.username is not None:
        return "ERR ALREADY-SET-USERNAME\n"
    session.username = args[0]
    return "OK\n"


def _password(sim: NutSim, session: Session, args: list[str]) -> str:
    if len(args) != 1:
        return "ERR INVALID-ARGUMENT\n"
    if session.password is not None:
        return "ERR ALREADY-SET-PASSWORD\n"
    session.password = args[0]  # checked only when a command needs it, as upsd does
    return "OK\n"


def _login(sim: NutSim, session: Session, args: list[str]) -> str:
    if len(args) != 1:
        return "ERR INVALID-ARGUMENT\n"
    if session.login_ups is not None:
        return "ERR ALREADY-LOGGED-IN\n"
    if not sim.known(args[0]):
        return "ERR UNKNOWN-UPS\n"
    if not sim.allowed(session, "LOGIN"):
        return "ERR ACCESS-DENIED\n"
    session.login_ups = sim.ups
    return "OK\n"


def _primary(name: str) -> Handler:
    def grant(sim: NutSim, session: Session, args: list[str]) -> str:
        if len(args) != 1:
            return "ERR INVALID-ARGUMENT\n"
        if not sim.known(args[0]):
            return "ERR UNKNOWN-UPS\n"
        if not sim.allowed(session, name):
            return "ERR ACCESS-DENIED\n"
        return f"OK {name}-GRANTED\n"

    return grant


def _fsd(sim: NutSim, session: Session, args: list[str]) -> str:
    if len(args) != 1:
        return "ERR INVALID-ARGUMENT\n"
    if not sim.known(args[0]):
        return "ERR UNKNOWN-UPS\n"
    if not sim.allowed(session, "FSD"):
        return "ERR ACCESS-DENIED\n"
    sim.fsd = True
    return "OK FSD-SET\n"


def _get(sim: NutSim, session: Session, args: list[str]) -> str:
    sub = args[0].upper() if args else ""
    if sub == "TRACKING":
        if len(args) < 2:
            return "ON\n" if session.tracking else "OFF\n"
        if not session.tracking:
            return "ERR FEATURE-NOT-CONFIGURED\n"
        return "SUCCESS\n" if args[1].upper() in sim.tracked else "ERR UNKNOWN\n"
    if len(args) < 2 or (sub not in ("NUMLOGINS", "UPSDESC") and len(args) < 3):
        return "ERR INVALID-ARGUMENT\n"
    if sub == "VAR" and args[2].lower().startswith("server."):
        return _server_var(args[1], args[2])
    handler = GETTERS.get(sub)
    if handler is None:
        return "ERR INVALID-ARGUMENT\n"
    if not sim.known(args[1]):
        return "ERR UNKNOWN-UPS\n"
    return handler(sim, args[1], args[2] if len(args) > 2 else "")


def _server_var(ups: str, name: str) -> str:
    if name.lower() == "server.info":
        return f'VAR {ups} server.info "{VERSION_LINE}"\n'
    if name.lower() == "server.version":
        return f'VAR {ups} server.version "2.8.0"\n'
    return "ERR VAR-NOT-SUPPORTED\n"


def _get_numlogins(sim: NutSim, ups: str, _: str) -> str:
    return sim.unavailable() or f"NUMLOGINS {ups} {len(sim.logged_in())}\n"


def _get_upsdesc(sim: NutSim, ups: str, _: str) -> str:
    return f'UPSDESC {ups} "{encode(sim.description) if sim.description else "Unavailable"}"\n'


def _get_var(sim: NutSim, ups: str, name: str) -> str:
    error = sim.unavailable()
    if error:
        return error
    found = sim.lookup(name)
    if found is None:
        return "ERR VAR-NOT-SUPPORTED\n"
    value = sim.status(found[1]) if found[0] == "ups.status" else found[1]
    return f'VAR {ups} {name} "{value}"\n'


def _get_type(sim: NutSim, ups: str, name: str) -> str:
    error = sim.unavailable()
    if error:
        return error
    found = sim.lookup(name)
    if found is None:
        return "ERR VAR-NOT-SUPPORTED\n"
    return f"TYPE {ups} {name} {TYPES.get(found[0], 'NUMBER')}\n"


def _get_desc(kind: str) -> Callable[[NutSim, str, str], str]:
    def describe(sim: NutSim, ups: str, name: str) -> str:
        error = sim.unavailable()
        if error:
            return error
        return f'{kind} {ups} {name} "{DESCRIPTIONS.get(name, "Description unavailable")}"\n'

    return describe


GETTERS: dict[str, Callable[[NutSim, str, str], str]] = {
    "NUMLOGINS": _get_numlogins,
    "UPSDESC": _get_upsdesc,
    "VAR": _get_var,
    "TYPE": _get_type,
    "DESC": _get_desc("DESC"),
    "CMDDESC": _get_desc("CMDDESC"),
}


def _list(sim: NutSim, session: Session, args: list[str]) -> str:
    sub = args[0].upper() if args else ""
    if sub == "UPS":
        description = encode(sim.description) if sim.description else "Description unavailable"
        return f'BEGIN LIST UPS\nUPS {sim.ups} "{description}"\nEND LIST UPS\n'
    words = 3 if sub in ("ENUM", "RANGE") else 2
    lister = LISTERS.get(sub)
    if lister is None or len(args) < words:
        return "ERR INVALID-ARGUMENT\n"
    if not sim.known(args[1]):
        return "ERR UNKNOWN-UPS\n"
    error = None if sub == "CLIENT" else sim.unavailable()  # upsd lists clients without the driver
    if error:
        return error
    items = lister(sim, args[1], args[2] if words == 3 else "")
    if items is None:
        return "ERR VAR-NOT-SUPPORTED\n"
    query = " ".join([sub, *args[1:words]])
    return "".join([f"BEGIN LIST {query}\n", *(f"{item}\n" for item in items), f"END LIST {query}\n"])


def _list_var(sim: NutSim, ups: str, _: str) -> list[str]:
    return [
        f'VAR {ups} {name} "{sim.status(value) if name == "ups.status" else value}"'
        for name, value in sim.variables().items()
    ]


def _list_rw(sim: NutSim, ups: str, _: str) -> list[str]:
    return [f'RW {ups} {name} "{value}"' for name, value in sim.variables().items() if name in TYPES]


def _list_cmd(sim: NutSim, ups: str, _: str) -> list[str]:
    return [f"CMD {ups} {name}" for name in INSTANT_COMMANDS]


def _list_client(sim: NutSim, ups: str, _: str) -> list[str]:
    return [f"CLIENT {sim.ups} {address}" for address in sim.logged_in()]


def _list_enum_or_range(sim: NutSim, ups: str, name: str) -> list[str] | None:
    """No variable here has enumerated values or ranges: an empty list, as dummy-ups gives."""
    return None if sim.lookup(name) is None else []


LISTERS: dict[str, Callable[[NutSim, str, str], list[str] | None]] = {
    "VAR": _list_var,
    "RW": _list_rw,
    "CMD": _list_cmd,
    "CLIENT": _list_client,
    "ENUM": _list_enum_or_range,
    "RANGE": _list_enum_or_range,
}


def _set(sim: NutSim, session: Session, args: list[str]) -> str:
    sub = args[0].upper() if args else ""
    if len(args) < 2:
        return "ERR INVALID-ARGUMENT\n"
    if sub == "TRACKING":
        if args[1].upper() not in ("ON", "OFF"):
            return "ERR INVALID-ARGUMENT\n"
        session.tracking = args[1].upper() == "ON"
        return "OK\n"
    if sub != "VAR" or len(args) < 4:
        return "ERR INVALID-ARGUMENT\n"
    ups, name, value = args[1:4]
    if not sim.known(ups):
        return "ERR UNKNOWN-UPS\n"
    error = sim.unavailable() or _set_refusal(sim, session, name, value)
    if error:
        return error
    found = sim.lookup(name)
    assert found is not None
    sim.write(found[0], value)
    return _done(sim, session)


def _set_refusal(sim: NutSim, session: Session, name: str, value: str) -> str | None:
    """upsd's `set_var_check_val`, after the user's right to SET."""
    if not sim.allowed(session, "SET"):
        return "ERR ACCESS-DENIED\n"
    found = sim.lookup(name)
    if found is None:
        return "ERR VAR-NOT-SUPPORTED\n"
    if found[0] not in TYPES:
        return "ERR READONLY\n"
    limit = string_limit(found[0])
    if limit is not None and len(value) > limit:
        return "ERR TOO-LONG\n"
    return None


def _instcmd(sim: NutSim, session: Session, args: list[str]) -> str:
    if len(args) < 2:
        return "ERR INVALID-ARGUMENT\n"
    if not sim.known(args[0]):
        return "ERR UNKNOWN-UPS\n"
    error = sim.unavailable()
    if error:
        return error
    if not sim.may_run_commands(session):
        return "ERR ACCESS-DENIED\n"
    if args[1] not in INSTANT_COMMANDS:
        return "ERR CMD-NOT-SUPPORTED\n"
    return _done(sim, session)


def _done(sim: NutSim, session: Session) -> str:
    """OK, or with tracking on, OK and the id a later GET TRACKING asks about (done at once here)."""
    if not session.tracking:
        return "OK\n"
    tracking_id = str(uuid.uuid4()).upper()
    sim.tracked.add(tracking_id)
    return f"OK TRACKING {tracking_id}\n"


def _logout(sim: NutSim, session: Session, args: list[str]) -> str:
    return "ERR INVALID-ARGUMENT\n" if args else "OK Goodbye\n"


COMMANDS: dict[str, Handler] = {
    "VER": _ver,
    "NETVER": _netver,
    "PROTVER": _netver,
    "HELP": _help,
    "STARTTLS": _starttls,
    "GET": _get,
    "LIST": _list,
    "USERNAME": _username,
    "PASSWORD": _password,
    "LOGIN": _login,
    "LOGOUT": _logout,
    "PRIMARY": _primary("PRIMARY"),
    "MASTER": _primary("MASTER"),
    "FSD": _fsd,
    "SET": _set,
    "INSTCMD": _instcmd,
}

# -- the TCP side ---------------------------------------------------------------------------------


class _Connection(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        sim = self.server.sim
        connection: socket.socket = self.request
        session = Session(self.client_address[0])
        sim.register(session, connection)
        try:
            self._serve(sim, session, connection)
        finally:
            sim.forget(session, connection)

    def _serve(self, sim: NutSim, session: Session, connection: socket.socket) -> None:
        if sim.faults.backend(BACKEND).down:
            _reset(connection)
            return
        parser = RequestParser()
        connection.settimeout(IDLE_TIMEOUT_S)
        with contextlib.suppress(OSError):
            while data := connection.recv(READ_SIZE):
                for words in parser.feed(data):
                    if not self._reply(sim, session, connection, words):
                        return

    def _reply(self, sim: NutSim, session: Session, connection: socket.socket, words: list[str]) -> bool:
        """Answer one request; False when the connection is over (LOGOUT, or the backend is down)."""
        fault = sim.faults.backend(BACKEND)
        if fault.down:
            _reset(connection)
            return False
        if fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        reply = sim.answer(session, words)
        connection.sendall(reply.encode("ascii", "replace"))
        return reply != "OK Goodbye\n"


def _reset(connection: socket.socket) -> None:
    """Close with a RST: what a client sees of a upsd that is down."""
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sim: NutSim) -> None:
        self.sim = sim
        super().__init__(address, _Connection)
