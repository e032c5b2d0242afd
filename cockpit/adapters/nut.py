"""Provides the NUT adapter: an asyncio client of upsd's line protocol (TCP 3493), typed both ways.

One client is one connection, used one request at a time (upsd answers in order and a reply names
nothing that would let two requests share the line). USERNAME and PASSWORD are sent when the
connection opens, because upsd only checks them when a command needs them (LOGIN, SET, ...): a
wrong password surfaces there as `AuthFailed`, never earlier. Leaving the context sends LOGOUT,
so upsd counts a LOGIN as gone at once instead of after its one-minute idle timeout.

Every `ERR <CODE>` becomes a typed error; a reply in the wrong shape is `MalformedResponse`; a
connection or read that does not finish within `timeout` is `Timeout`; a refused or reset
connection is `Unreachable`. After a failed read the connection is dropped (the stream can no
longer be trusted to line up requests with replies). The password never reaches a log line or
an error message.

Quoted words are read with `\\"` and `\\\\` escapes, as upsd writes descriptions. upsd 2.8.0 sends
variable *values* without escaping them, so a value holding a double quote would read as a
malformed reply; no status flag or battery figure ever holds one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType

from pydantic import BaseModel, ConfigDict

from cockpit import netguard
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

BACKEND = "nut"
DEFAULT_PORT = 3493
MAX_LINE = 64 * 1024  # a LIST line is short; anything longer is not upsd talking
MASK = "********"

log = logging.getLogger(__name__)


class NutProtocolError(AdapterError):
    """upsd answered `ERR <code>` with a code that has no closer meaning here (INVALID-ARGUMENT, ...)."""

    def __init__(self, backend: str, message: str, code: str) -> None:
        super().__init__(backend, message)
        self.code = code


# code -> (error class, what it means to the operator)
ERRORS: dict[str, tuple[type[AdapterError], str]] = {
    "UNKNOWN-UPS": (NotFound, "upsd knows no such UPS"),
    "VAR-NOT-SUPPORTED": (NotFound, "the UPS does not report this variable"),
    "CMD-NOT-SUPPORTED": (NotFound, "the UPS has no such instant command"),
    "ACCESS-DENIED": (AuthFailed, "access denied (wrong password, or the user lacks the right)"),
    "USERNAME-REQUIRED": (AuthFailed, "this command needs a username (none is configured)"),
    "PASSWORD-REQUIRED": (AuthFailed, "this command needs a password (none is configured)"),
    "INVALID-USERNAME": (AuthFailed, "upsd refused the username"),
    "INVALID-PASSWORD": (AuthFailed, "upsd refused the password"),
    "DRIVER-NOT-CONNECTED": (ServerError, "the UPS driver is not connected to upsd"),
    "DATA-STALE": (ServerError, "the UPS driver's data is stale (it lost the UPS)"),
    "INSTCMD-FAILED": (ServerError, "upsd could not pass the instant command to the driver"),
    "SET-FAILED": (ServerError, "upsd could not pass the change to the driver"),
}


# -- models ---------------------------------------------------------------------------------------


class UpsStatus(BaseModel):
    """A UPS's `ups.status` flags, with battery charge (%) and runtime (s) when the UPS reports them."""

    model_config = ConfigDict(frozen=True)

    ups: str
    raw: str
    flags: list[str]
    battery_charge: float | None = None
    battery_runtime: float | None = None

    @property
    def on_line(self) -> bool:
        return "OL" in self.flags

    @property
    def on_battery(self) -> bool:
        return "OB" in self.flags

    @property
    def low_battery(self) -> bool:
        return "LB" in self.flags

    @property
    def fsd(self) -> bool:
        """Forced shutdown: upsd puts FSD first; upsmon treats it like OB LB."""
        return "FSD" in self.flags

    @property
    def critical(self) -> bool:
        """What makes upsmon shut its host down: on battery and low, or forced."""
        return (self.on_battery and self.low_battery) or self.fsd

    @classmethod
    def from_variables(cls, ups: str, variables: dict[str, str]) -> UpsStatus:
        """From a LIST VAR that holds `ups.status` (the caller checks that it does)."""
        raw = variables["ups.status"]
        return cls(
            ups=ups,
            raw=raw,
            flags=raw.split(),
            battery_charge=_number(variables.get("battery.charge")),
            battery_runtime=_number(variables.get("battery.runtime")),
        )


def _number(value: str | None) -> float | None:
    """NUT numbers are decimal with a dot; a value that is not one is treated as not reported."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


# -- the wire format ------------------------------------------------------------------------------


def split_words(line: str) -> list[str]:
    """Split one reply line into words: `"..."` quoting with `\\"` and `\\\\` escapes; strict.

    Strict where upsd's own parser is lenient: a quote left open, a quote inside a bare word or a
    backslash at the end is a malformed reply here, because upsd never sends one.
    """
    words: list[str] = []
    word: list[str] = []
    in_word = quoted = escaped = False
    for ch in line:
        if escaped:
            word.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = in_word = True
        elif ch == '"':
            if in_word and not quoted:
                raise ValueError("a quote inside a word")
            if quoted:
                words.append("".join(word))
                word, in_word = [], False
            quoted = in_word = not quoted
        elif ch in " \t" and not quoted:
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
        else:
            word.append(ch)
            in_word = True
    if quoted or escaped:
        raise ValueError("an unterminated quote or escape")
    if in_word:
        words.append("".join(word))
    return words


def quote(word: str) -> str:
    """One request word as upsd's parser reads it back unchanged; refuses what it would drop."""
    if any(not 0x20 <= ord(ch) <= 0x7E for ch in word):
        # upsd discards every byte outside 0x20-0x7F: such a word would arrive changed.
        raise BadRequest(BACKEND, "NUT words may only hold printable ASCII characters")
    if word and not any(ch in ' \t"\\#=' for ch in word):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _command_name(words: tuple[str, ...]) -> str:
    """What an error names: `GET VAR`, `LIST CLIENT`, `LOGIN` (never an argument, so never a secret)."""
    return " ".join(words[:2]) if words[0] in ("GET", "LIST", "SET") else words[0]


def split_address(address: str) -> tuple[str, int]:
    """'HOST:PORT', '[V6]:PORT' or a bare host (port 3493)."""
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        port = rest.removeprefix(":")
        return host, int(port) if port.isdigit() else DEFAULT_PORT
    host, sep, port = address.rpartition(":")
    if not sep or ":" in host or not port.isdigit():
        return address, DEFAULT_PORT
    return host, int(port)


# -- the client -----------------------------------------------------------------------------------


class NutClient:
    """One connection to upsd: `async with NutClient("127.10.0.10:3493") as nut: await nut.ups_status(...)`."""

    def __init__(
        self,
        address: str,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.address = address
        self.host, self.port = split_address(address)
        self.username = username
        self._password = password
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:  # never the password
        return f"NutClient({self.address!r}, username={self.username!r})"

    # -- connection -------------------------------------------------------------------------------

    async def __aenter__(self) -> NutClient:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the connection (after the loopback guard) and present the credentials, if any."""
        netguard.check_host(self.host, "the NUT adapter")
        try:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, limit=MAX_LINE), self.timeout
            )
        except TimeoutError:
            raise Timeout(self._where, f"no connection within {self.timeout:g} s") from None
        except OSError as exc:
            raise Unreachable(self._where, f"cannot connect: {exc.strerror or exc}") from None
        try:
            if self.username is not None:
                await self._simple("USERNAME", self.username)
            if self._password is not None:
                await self._simple("PASSWORD", self._password, secret=True)
        except BaseException:
            await self._drop()
            raise

    async def close(self) -> None:
        """Say LOGOUT (best effort, briefly) and close."""
        if self._writer is None:
            return
        # Best effort: the connection is closed below either way.
        with contextlib.suppress(AdapterError, TimeoutError):
            async with asyncio.timeout(min(self.timeout, 1.0)):
                await self._request("LOGOUT")
        await self._drop()

    async def _drop(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    @property
    def _where(self) -> str:
        return f"{BACKEND} {self.address}"

    # -- requests ---------------------------------------------------------------------------------

    async def _request(
        self, *words: str, secret: bool = False, list_of: str | None = None
    ) -> list[list[str]]:
        """Send one request; return its reply's words (one line, or a LIST's items)."""
        if self._writer is None or self._reader is None:
            raise Unreachable(
                self._where, "not connected (the connection was closed after an earlier failure)"
            )
        line = " ".join(quote(word) for word in words)
        shown = " ".join([*words[:-1], MASK]) if secret else line
        async with self._lock:
            log.debug("nut %s > %s", self.address, shown)
            try:
                async with asyncio.timeout(self.timeout):
                    self._writer.write(line.encode("ascii") + b"\n")
                    await self._writer.drain()
                    first = await self._line()
                    if list_of is None or first[:1] == ["ERR"]:
                        return [self._checked(first, _command_name(words))]
                    return await self._list(first, list_of)
            except TimeoutError:  # before OSError, of which it is a subclass
                await self._drop()
                raise Timeout(self._where, f"no answer to {words[0]} within {self.timeout:g} s") from None
            except OSError as exc:
                await self._drop()
                raise Unreachable(self._where, f"connection lost: {exc.strerror or exc}") from None
            except (Unreachable, MalformedResponse):
                await self._drop()  # the stream no longer lines up requests with replies
                raise

    async def _line(self) -> list[str]:
        assert self._reader is not None
        try:
            raw = await self._reader.readline()
        except (ValueError, asyncio.LimitOverrunError):
            raise MalformedResponse(self._where, f"a reply line longer than {MAX_LINE} bytes") from None
        except OSError as exc:
            raise Unreachable(self._where, f"connection lost: {exc.strerror or exc}") from None
        if not raw.endswith(b"\n"):
            raise Unreachable(self._where, "upsd closed the connection")
        try:
            text = raw.decode("ascii").rstrip("\r\n")
            return split_words(text)
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedResponse(self._where, f"unreadable reply {raw[:80]!r}: {exc}") from None

    def _checked(self, words: list[str], command: str) -> list[str]:
        if words[:1] == ["ERR"]:
            raise self._error(words, command)
        if not words:
            raise MalformedResponse(self._where, f"an empty reply to {command}")
        return words

    def _error(self, words: list[str], command: str) -> AdapterError:
        code = words[1] if len(words) > 1 else ""
        cls, meaning = ERRORS.get(code, (NutProtocolError, "upsd refused the request"))
        message = f"{command}: ERR {code}: {meaning}"
        if cls is NutProtocolError:
            return NutProtocolError(self._where, message, code)
        return cls(self._where, message)

    async def _list(self, first: list[str], query: str) -> list[list[str]]:
        """A LIST reply: BEGIN LIST <query>, its items, END LIST <query>."""
        expected = query.split()
        if first != ["BEGIN", "LIST", *expected]:
            raise MalformedResponse(self._where, f"expected 'BEGIN LIST {query}', got {' '.join(first)!r}")
        items: list[list[str]] = []
        while (words := await self._line()) != ["END", "LIST", *expected]:
            if words[:1] in (["BEGIN"], ["END"], ["ERR"]) or not words:
                raise MalformedResponse(self._where, f"unexpected {' '.join(words)!r} inside LIST {query}")
            items.append(words)
        return items

    async def _simple(self, *words: str, secret: bool = False) -> list[str]:
        return (await self._request(*words, secret=secret))[0]

    def _shape(self, words: list[str], prefix: list[str], size: int, what: str) -> list[str]:
        if len(words) != size or words[: len(prefix)] != prefix:
            raise MalformedResponse(self._where, f"{what}: unexpected reply {' '.join(words)!r}")
        return words

    # -- the API ----------------------------------------------------------------------------------

    async def version(self) -> str:
        """upsd's banner, for example 'Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/'."""
        return " ".join(await self._simple("VER"))

    async def protocol_version(self) -> str:
        return " ".join(await self._simple("NETVER"))

    async def list_ups(self) -> dict[str, str]:
        """Every UPS upsd serves, with its description."""
        items = await self._request("LIST", "UPS", list_of="UPS")
        return {w[1]: w[2] for w in (self._shape(i, ["UPS"], 3, "LIST UPS") for i in items)}

    async def description(self, ups: str) -> str:
        return self._shape(await self._simple("GET", "UPSDESC", ups), ["UPSDESC"], 3, "GET UPSDESC")[2]

    async def list_vars(self, ups: str) -> dict[str, str]:
        """Every variable of `ups`, by name."""
        items = await self._request("LIST", "VAR", ups, list_of=f"VAR {ups}")
        return {w[2]: w[3] for w in (self._shape(i, ["VAR", ups], 4, "LIST VAR") for i in items)}

    async def get_var(self, ups: str, name: str) -> str:
        words = await self._simple("GET", "VAR", ups, name)
        return self._shape(words, ["VAR", ups, name], 4, f"GET VAR {name}")[3]

    async def list_clients(self, ups: str) -> list[str]:
        """The addresses of the clients logged in to `ups` (each upsmon that did LOGIN)."""
        items = await self._request("LIST", "CLIENT", ups, list_of=f"CLIENT {ups}")
        return [self._shape(i, ["CLIENT"], 3, "LIST CLIENT")[2] for i in items]

    async def num_logins(self, ups: str) -> int:
        words = self._shape(await self._simple("GET", "NUMLOGINS", ups), ["NUMLOGINS"], 3, "GET NUMLOGINS")
        if not words[2].isdigit():
            raise MalformedResponse(self._where, f"GET NUMLOGINS: '{words[2]}' is not a count")
        return int(words[2])

    async def login(self, ups: str) -> None:
        """LOGIN as a upsmon would: upsd then lists this connection as a client of `ups`."""
        self._shape(await self._simple("LOGIN", ups), ["OK"], 1, "LOGIN")

    async def set_var(self, ups: str, name: str, value: str) -> None:
        """SET VAR (needs a user with `actions = SET`); upsd applies it asynchronously."""
        words = await self._simple("SET", "VAR", ups, name, value)
        if words[:1] != ["OK"]:
            raise MalformedResponse(self._where, f"SET VAR: unexpected reply {' '.join(words)!r}")

    async def ups_status(self, ups: str) -> UpsStatus:
        """Status flags and battery figures from one LIST VAR (one round trip, one consistent view)."""
        variables = await self.list_vars(ups)
        if "ups.status" not in variables:
            raise NotFound(self._where, f"UPS '{ups}' reports no ups.status")
        return UpsStatus.from_variables(ups, variables)
