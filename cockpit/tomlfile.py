"""Provides TOML loading that can say on which line a field was written.

tomllib gives no positions, yet every error must name the line. After tomllib has accepted a
file, a small scanner walks the same source and notes where each table header, key and array
element sits, keyed by the path pydantic reports (`tasks`, 2, `id`).
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cockpit.errors import InputError, InputProblem

Loc = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_BASIC = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_LITERAL = re.compile(r"'[^'\n]*'")
_ML_BASIC = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""(?:"{0,2})', re.S)
_ML_LITERAL = re.compile(r"'''.*?'''(?:'{0,2})", re.S)
_SCALAR = re.compile(r"[^,\]\}\n#]*")


class _Scanner:
    """Walks a valid TOML source (tomllib has parsed it) and notes the line of every key and array element."""

    def __init__(self, source: str) -> None:
        self.s = source
        self.i = 0
        self.starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.lines: dict[Loc, int] = {}
        self.counters: dict[Loc, int] = {}

    def line(self) -> int:
        return bisect_right(self.starts, self.i)

    def note(self, path: Loc) -> None:
        self.lines.setdefault(path, self.line())

    def skip(self, newlines: bool = True) -> None:
        """Skip blanks and comments (and newlines, where the grammar allows them)."""
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t\r" or (newlines and c == "\n"):
                self.i += 1
            elif c == "#":
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.i += 1
            else:
                return

    def key(self) -> tuple[str, ...]:
        parts: list[str] = []
        while True:
            self.skip(newlines=False)
            for pattern in (_BASIC, _LITERAL, _BARE):
                m = pattern.match(self.s, self.i)
                if m:
                    text = m.group(0)
                    parts.append(text[1:-1] if text[:1] in "\"'" else text)
                    self.i = m.end()
                    break
            else:
                raise ValueError("key expected")
            self.skip(newlines=False)
            if self.s.startswith(".", self.i):
                self.i += 1
                continue
            return tuple(parts)

    def value(self, path: Loc) -> None:
        s, i = self.s, self.i
        for pattern in (_ML_BASIC, _ML_LITERAL, _BASIC, _LITERAL):
            m = pattern.match(s, i)
            if m:
                self.i = m.end()
                return
        if s.startswith("[", i):
            self.i += 1
            index = 0
            while True:
                self.skip()
                if self.s.startswith("]", self.i):
                    self.i += 1
                    return
                self.note((*path, index))
                self.value((*path, index))
                self.skip()
                if self.s.startswith(",", self.i):
                    self.i += 1
                index += 1
        if s.startswith("{", i):
            self.i += 1
            while True:
                self.skip()
                if self.s.startswith("}", self.i):
                    self.i += 1
                    return
                self.key_value(path)
                self.skip()
                if self.s.startswith(",", self.i):
                    self.i += 1
        m = _SCALAR.match(s, i)
        self.i = m.end() if m else i + 1

    def key_value(self, table: Loc) -> None:
        self.skip(newlines=False)
        line = self.line()
        path = (*table, *self.key())
        self.lines.setdefault(path, line)
        if not self.s.startswith("=", self.i):
            raise ValueError("= expected")
        self.i += 1
        self.skip(newlines=False)
        self.value(path)

    def header(self) -> Loc:
        array = self.s.startswith("[[", self.i)
        self.i += 2 if array else 1
        keys = self.key()
        self.i += 2 if array else 1
        path: Loc = ()
        for position, key in enumerate(keys):
            path = (*path, key)
            last = position == len(keys) - 1
            if path in self.counters and not (last and array):
                path = (*path, self.counters[path])
        if array:
            index = self.counters.get(path, -1) + 1
            self.counters[path] = index
            path = (*path, index)
        return path

    def run(self) -> dict[Loc, int]:
        table: Loc = ()
        try:
            while True:
                self.skip()
                if self.i >= len(self.s):
                    break
                if self.s.startswith("[", self.i):
                    line = self.line()
                    table = self.header()
                    self.lines.setdefault(table, line)
                else:
                    self.key_value(table)
        except (ValueError, IndexError):
            pass  # keep what was found: a line number is a help, never a reason to fail
        return self.lines


@dataclass
class Locator:
    """Maps a field path to the line it was written on."""

    lines: dict[Loc, int] = field(default_factory=dict)

    def line_for(self, loc: Sequence[str | int]) -> int | None:
        """The line of the longest prefix of `loc` that was written in the file."""
        path = tuple(loc)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    @classmethod
    def scan(cls, source: str) -> Locator:
        return cls(_Scanner(source).run())


@dataclass
class TomlDocument:
    """A parsed TOML file with its locator."""

    path: Path
    data: dict
    locator: Locator

    def problem(self, loc: Sequence[str | int], message: str) -> InputProblem:
        return InputProblem(str(self.path), self.locator.line_for(loc), format_loc(loc), message)


def format_loc(loc: Sequence[str | int]) -> str:
    """`('tasks', 2, 'id')` -> `tasks[2].id`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_toml(path: Path) -> TomlDocument:
    """Parse a TOML file or raise InputError naming the file and line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError([InputProblem(str(path), None, "", f"cannot read: {exc.strerror}")]) from exc
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([InputProblem(str(path), None, "", f"not UTF-8 text: {exc.reason}")]) from exc
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        line_match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(line_match.group(1)) if line_match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise InputError([InputProblem(str(path), line, "", f"invalid TOML: {message}")]) from exc
    return TomlDocument(path, data, Locator.scan(source))
