"""Provides the decisions log: one Markdown file per decision in `decisions/` beside the config.

The seed asks that "every architectural decision has written rationale" and says when a
principle is worth revisiting. The log is plain files so it lives in the operator's git
repository next to cockpit.toml: Markdown renders on GitHub (the front matter as a table), and
one file per decision means two branches that each add one merge without a conflict. A file
looks like this (the id is the number in its name, `decisions/0003-traefik-as-reverse-proxy.md`):

    ---
    date: 2026-09-12
    principle: kubernetes-ready
    ---

    # Traefik as the reverse proxy

    ## Decision

    Traefik fronts every v3 service on the Docker VM.

    ## Rationale

    Traefik is the default k3s ingress controller: same tool, same mental model.

    ## Revisit when

    Phase 6 is abandoned, or k3s stops shipping Traefik.

Reading is strict: a file that does not have exactly this shape is bad input naming the file,
the line and the field, never a decision with a blank rationale. The file is the source of
truth; the store's journal only records that a decision was added (`record_decision`).
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cockpit.errors import InputError, InputProblem, RefusedError
from cockpit.principles import PRINCIPLES
from cockpit.secrets import REDACTOR
from cockpit.store.fsutil import fsync_dir

if TYPE_CHECKING:
    from cockpit.config import LoadedConfig
    from cockpit.core import Cockpit

DECISIONS_DIR = "decisions"
HEADER_FIELDS = ("date", "principle")
SECTIONS = {"Decision": "decision", "Rationale": "rationale", "Revisit when": "revisit"}
REQUIRED = ("title", "decision", "rationale")
FILE_NAME = re.compile(r"^(\d{4,})-[a-z0-9]+(?:-[a-z0-9]+)*\.md$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FENCE = re.compile(r"^\s{0,3}(```|~~~)")
SLUG_LENGTH = 48
EMPTY = "must not be empty"


@dataclass(frozen=True)
class Decision:
    """One decision as its file says it; `id` is the number in the file's name ("0003")."""

    id: str
    title: str
    date: str
    decision: str
    rationale: str
    principle: str
    revisit: str
    path: Path

    def as_dict(self) -> dict[str, str]:
        """The decision as JSON-ready strings (what `decision list --json` prints)."""
        return {**asdict(self), "path": str(self.path)}


def decisions_dir(base_dir: Path) -> Path:
    """Where the log lives: beside the config, so it goes into the same git repository."""
    return base_dir / DECISIONS_DIR


# -- reading ------------------------------------------------------------------------------


def list_decisions(base_dir: Path) -> list[Decision]:
    """Every decision beside the config, by id; [] when there is no log yet.

    Files whose name does not start with a digit (a README.md, an editor's backup) are not
    decisions; a numbered file with a bad name or content is bad input, and so are two files
    with the same number (two branches that each added one): every such problem is reported.
    """
    directory = decisions_dir(base_dir)
    if not directory.exists():
        return []
    if not directory.is_dir():
        raise InputError([InputProblem(str(directory), None, "", "is not a directory of decisions")])
    found: list[Decision] = []
    problems: list[InputProblem] = []
    for path in sorted(directory.iterdir()):
        if not path.name[:1].isdigit() or path.name.endswith("~"):
            continue  # a README.md, an editor's backup: not decisions
        try:
            found.append(read_decision(path))
        except InputError as exc:
            problems += exc.problems
    problems += _duplicate_ids(found)
    if problems:
        raise InputError(problems)
    return sorted(found, key=lambda d: int(d.id))


def _duplicate_ids(found: list[Decision]) -> list[InputProblem]:
    first: dict[int, Decision] = {}
    problems = []
    for decision in sorted(found, key=lambda d: d.path.name):
        number = int(decision.id)
        if number in first:
            message = f"decision {decision.id} is also {first[number].path.name}: renumber one of them"
            problems.append(InputProblem(str(decision.path), None, "id", message))
        first.setdefault(number, decision)
    return problems


def read_decision(path: Path) -> Decision:
    """Parse one decision file, or raise InputError naming the file, the line and the field."""
    match = FILE_NAME.match(path.name)
    if match is None:
        message = "a decision file is named NNNN-slug.md (for example 0004-single-docker-vm.md)"
        raise InputError([InputProblem(str(path), None, "", message)])
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError([InputProblem(str(path), None, "", f"cannot read: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise InputError([InputProblem(str(path), None, "", f"not UTF-8 text: {exc.reason}")]) from exc
    return parse_decision(path, match.group(1), text)


def parse_decision(path: Path, decision_id: str, text: str) -> Decision:
    """The strict parser behind `read_decision` (separate so the format can be tested without files)."""
    parser = _Parser(path, text.splitlines())
    header = parser.front_matter()
    title, sections = parser.body()
    return Decision(
        id=decision_id,
        title=title,
        date=header["date"],
        decision=sections["decision"],
        rationale=sections["rationale"],
        principle=header["principle"],
        revisit=sections["revisit"],
        path=path,
    )


class _Parser:
    """Walks a decision file line by line; the first thing wrong stops it with its line number."""

    def __init__(self, path: Path, lines: list[str]) -> None:
        self.path = path
        self.lines = lines
        self.at = 0  # index of the next line to read

    def fail(self, index: int, field: str, message: str) -> InputError:
        line = min(index, max(len(self.lines) - 1, 0)) + 1
        return InputError([InputProblem(str(self.path), line, field, message)])

    def front_matter(self) -> dict[str, str]:
        if not self.lines or self.lines[0].strip() != "---":
            raise self.fail(0, "", "a decision starts with a '---' line, then date: and principle:")
        values: dict[str, str] = {}
        for index in range(1, len(self.lines)):
            line = self.lines[index].strip()
            if line == "---":
                self.at = index + 1
                return self._complete(values, index)
            if line.startswith("#"):
                raise self.fail(
                    index, "", "the front matter is not closed: a '---' line comes before the title"
                )
            if line:
                key, value = self._header_line(index, line)
                if key in values:
                    raise self.fail(index, key, "given twice")
                values[key] = value
        raise self.fail(len(self.lines), "", "the front matter is never closed by a '---' line")

    def _header_line(self, index: int, line: str) -> tuple[str, str]:
        key, colon, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not colon or key not in HEADER_FIELDS:
            raise self.fail(
                index, key if colon else "", f"expected 'date: ...' or 'principle: ...', got {line!r}"
            )
        problem = check_date(value) if key == "date" else check_principle(value)
        if problem:
            raise self.fail(index, key, problem)
        return key, value

    def _complete(self, values: dict[str, str], closing: int) -> dict[str, str]:
        for key in HEADER_FIELDS:
            if key not in values:
                raise self.fail(closing, key, "missing from the front matter")
        return values

    def body(self) -> tuple[str, dict[str, str]]:
        title_at = self._title()
        title = self.lines[title_at][2:].strip()
        current: str | None = None
        started: dict[str, int] = {}
        texts: dict[str, list[str]] = {}
        for index, level, heading in _headings(self.lines, self.at):
            if level is None:
                if current is None and heading.strip():
                    raise self.fail(index, "", "text between the title and the first '## ' section")
                if current is not None:
                    texts[current].append(heading)
                continue
            current = self._section(index, level, heading, started)
            texts[current] = []
        return title, self._sections(texts, started)

    def _title(self) -> int:
        index = self.at
        while index < len(self.lines) and not self.lines[index].strip():
            index += 1
        line = self.lines[index] if index < len(self.lines) else ""
        if not line.startswith("# ") or not line[2:].strip():
            raise self.fail(index, "title", "expected the title as '# Title' after the front matter")
        self.at = index + 1
        return index

    def _section(self, index: int, level: int, heading: str, started: dict[str, int]) -> str:
        if level == 1:
            raise self.fail(
                index,
                "",
                "a second '# ' title; sections are '## Decision', '## Rationale', '## Revisit when'",
            )
        field = SECTIONS.get(heading)
        if field is None:
            known = ", ".join(f"'## {name}'" for name in SECTIONS)
            raise self.fail(index, "", f"unknown section '## {heading}'; a decision has {known}")
        if field in started:
            raise self.fail(index, field, f"'## {heading}' given twice (first at line {started[field] + 1})")
        started[field] = index
        return field

    def _sections(self, texts: dict[str, list[str]], started: dict[str, int]) -> dict[str, str]:
        sections: dict[str, str] = {}
        for heading, field in SECTIONS.items():
            if field not in started:
                raise self.fail(len(self.lines), field, f"missing section '## {heading}'")
            sections[field] = tidy("\n".join(texts[field]))
            if field in REQUIRED and not sections[field]:
                raise self.fail(started[field], field, f"'## {heading}' is empty")
        return sections


def _headings(lines: list[str], start: int = 0) -> Iterator[tuple[int, int | None, str]]:
    """(index, heading level or None, text) for each line; a '#' line inside a code fence is text.

    Fence-aware on purpose: a shell snippet in a rationale (`# zpool status`) is not a title.
    """
    fenced = False
    for index in range(start, len(lines)):
        line = lines[index]
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and line.startswith("# "):
            yield index, 1, line[2:].strip()
            continue
        elif not fenced and line.startswith("## "):
            yield index, 2, line[3:].strip()
            continue
        yield index, None, line


def tidy(text: str) -> str:
    """Text as the file keeps it: trailing blanks and blank first and last lines dropped, indents kept."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def check_date(value: str) -> str | None:
    """None when `value` is an ISO date (yyyy-mm-dd), else what is wrong with it."""
    if not ISO_DATE.match(value):
        return f"expected a date as yyyy-mm-dd, got {value!r}"
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return f"{value!r} is not a date in the calendar"
    return None


def check_principle(value: str) -> str | None:
    """None when `value` is one of the seed's principle ids that cockpit knows, else why not."""
    if value in PRINCIPLES:
        return None
    return f"unknown principle {value!r}; one of: {', '.join(PRINCIPLES)}"


# -- writing ------------------------------------------------------------------------------


def check_decision(
    *,
    title: str,
    decision: str,
    rationale: str,
    principle: str,
    revisit: str,
    date: str | datetime.date | None = None,
) -> dict[str, str]:
    """The fields as they will be written (tidied, date filled in), or InputError naming each bad one.

    Nothing is written here: the CLI and the TUI form call it before they touch the store or a file.
    """
    fields = {
        "title": " ".join(title.split()),
        "decision": tidy(decision),
        "rationale": tidy(rationale),
        "principle": principle.strip(),
        "revisit": tidy(revisit),
        "date": _iso(date),
    }
    problems = [InputProblem("", None, name, EMPTY) for name in REQUIRED if not fields[name]]
    for name, check in (("principle", check_principle), ("date", check_date)):
        problem = check(fields[name])
        if problem:
            problems.append(InputProblem("", None, name, problem))
    problems += [InputProblem("", None, name, why) for name, why in _unwritable(fields)]
    if problems:
        raise InputError(problems)
    return fields


def _iso(date: str | datetime.date | None) -> str:
    """The date to write: today when none is given (the day the decision is recorded)."""
    if date is None:
        return datetime.date.today().isoformat()
    return date.strip() if isinstance(date, str) else date.isoformat()


def _unwritable(fields: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Text the file could not hold as given: a heading would start a section, a secret would reach git."""
    for name in ("decision", "rationale", "revisit"):
        lines = fields[name].split("\n")
        if any(level is not None for _, level, _ in _headings(lines)):
            yield (
                name,
                "a line starts with '# ' or '## ', which would read as a heading: use '### ' or indent it",
            )
        elif sum(1 for line in lines if FENCE.match(line)) % 2:
            yield name, "a code fence (``` or ~~~) is opened and never closed"
    for name, value in fields.items():
        if REDACTOR.redact(value) != value:
            yield name, "holds a secret of the config; decisions are meant for git, so it is not written"


def render_decision(fields: dict[str, str]) -> str:
    """The file's text for checked fields (see the module docstring for the shape)."""
    parts = [
        "---",
        f"date: {fields['date']}",
        f"principle: {fields['principle']}",
        "---",
        "",
        f"# {fields['title']}",
    ]
    for heading, field in SECTIONS.items():
        parts += ["", f"## {heading}"]
        if fields[field]:
            parts += ["", fields[field]]
    return "\n".join(parts) + "\n"


def slug(title: str) -> str:
    """The file name's words: ASCII letters and digits joined by '-', cut at a word."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    kept: list[str] = []
    for word in words:
        if len("-".join([*kept, word])) > SLUG_LENGTH:
            break
        kept.append(word)
    return "-".join(kept) or (words[0][:SLUG_LENGTH] if words else "decision")


def add_decision(
    base_dir: Path,
    *,
    title: str,
    decision: str,
    rationale: str,
    principle: str,
    revisit: str,
    date: str | datetime.date | None = None,
) -> Decision:
    """Write a new decision file with the next number and return it as read back; never overwrites.

    Two cockpits adding at once are kept apart by the store lock their callers hold
    (`record_decision`); the file itself is published so that no existing file is ever replaced.
    """
    fields = check_decision(
        title=title, decision=decision, rationale=rationale, principle=principle, revisit=revisit, date=date
    )
    directory = decisions_dir(base_dir)
    if not directory.is_dir():
        directory.mkdir(parents=True, exist_ok=True)
        fsync_dir(directory.parent)
    payload = render_decision(fields).encode("utf-8")
    name_slug = slug(fields["title"])
    for _ in range(100):
        path = directory / f"{next_id(directory)}-{name_slug}.md"
        if _publish(path, payload):
            return read_decision(path)
    raise InputError([InputProblem(str(directory), None, "", "could not find a free decision number")])


def next_id(directory: Path) -> str:
    """One more than the highest number in use (gaps left by a deleted decision are not reused)."""
    numbers = [int(m.group(1)) for p in directory.iterdir() if (m := re.match(r"^(\d+)-", p.name))]
    return f"{max(numbers, default=0) + 1:04d}"


def _publish(path: Path, payload: bytes) -> bool:
    """Make `path` appear whole or not at all; False when a file of that name already exists.

    A temp file is written and fsynced first. It is then hard-linked to its name, which, unlike
    `os.replace`, fails instead of replacing a file that appeared meanwhile. On a filesystem
    without hard links (some network shares) the name is claimed with O_EXCL and the content
    moved over it with `os.replace`; a reader may then see an empty file for that instant.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.ENOSYS):
                raise
            if not _claim(path):
                return False
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    fsync_dir(path.parent)
    return True


def _claim(path: Path) -> bool:
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    except FileExistsError:
        return False
    return True


# -- with the store -----------------------------------------------------------------------


def writable_base(config: LoadedConfig) -> Path:
    """The directory decisions are written beside, refusing the example inventory's.

    The example inventory ships inside cockpit: a decision written there would land in the
    installed package, not in the operator's repository.
    """
    if config.source.origin == "example":
        raise RefusedError(
            "the example inventory is in use: decisions are written beside your own cockpit.toml "
            "(give --config FILE)"
        )
    return config.base_dir


def record_decision(cockpit: Cockpit, **fields: Any) -> tuple[Decision, dict[str, Any]]:
    """Add a decision beside the project's config and journal that it was added.

    The caller holds the store for writing, so a read-only session changes nothing and two
    cockpits never pick the same number at once. The file is written first: it is the source
    of truth, and a crash before the journal line leaves a decision that is merely unjournaled.
    """
    if not cockpit.store.writable:
        raise RefusedError("the store is open read-only; no decision was written")
    base_dir = writable_base(cockpit.project.config)
    decision = add_decision(base_dir, **fields)
    after = {
        "title": decision.title,
        "date": decision.date,
        "principle": decision.principle,
        "file": str(decision.path.relative_to(base_dir)),
    }
    return decision, cockpit.store.record("decision.added", decision.id, after=after)
