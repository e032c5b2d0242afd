"""Provides TOML loading that can say on which line a field was written.

tomllib gives no positions, yet every error must name the line. A light scan of the source
records where each table header and key sits, keyed by the same path pydantic reports
(`tasks`, 2, `id`), which is enough for the hand-written files cockpit reads.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cockpit.errors import InputError, InputProblem

Loc = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*(\]\]?)\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_MULTILINE = re.compile(r'("""|\'\'\')')


def _split_key(text: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


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
        loc = cls()
        table: Loc = ()
        counters: dict[Loc, int] = {}
        in_string: str | None = None
        for number, line in enumerate(source.splitlines(), start=1):
            if in_string:
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            header = _HEADER.match(line)
            if header and not _KEY.match(line):
                keys = tuple(_split_key(header.group(2)))
                if header.group(1) == "[[":
                    base = loc._resolve(keys, counters, array_header=True)
                    index = counters.get(base, -1) + 1
                    counters[base] = index
                    table = (*base, index)
                else:
                    table = loc._resolve(keys, counters, array_header=False)
                loc.lines.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                path = (*table, *_split_key(key.group(1)))
                loc.lines.setdefault(path, number)
                rest = line[key.end() :]
                quotes = _MULTILINE.findall(rest)
                if len(quotes) % 2 == 1:
                    in_string = quotes[0]
        return loc

    @staticmethod
    def _resolve(keys: tuple[str, ...], counters: dict[Loc, int], array_header: bool) -> Loc:
        """Turn `a.b` into a path with the current index wherever a prefix is an array of tables."""
        path: Loc = ()
        for position, key in enumerate(keys):
            path = (*path, key)
            last = position == len(keys) - 1
            if path in counters and not (last and array_header):
                path = (*path, counters[path])
        return path


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
