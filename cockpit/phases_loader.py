"""Provides loading of the phase files: one TOML file per phase, validated, ordered, ids unique.

The default phases ship inside the package (the wheel carries `phases/` as
`cockpit/default_phases`); from a checkout they are read from the top-level `phases/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cockpit.errors import InputError, InputProblem
from cockpit.models.phases import Phase
from cockpit.tomlfile import TomlDocument, read_toml
from cockpit.validation import validate_document


@dataclass(frozen=True)
class LoadedPhase:
    """A phase with the document it came from, so later checks can name file and line."""

    phase: Phase
    doc: TomlDocument


def _duplicates(doc: TomlDocument, phase: Phase) -> list[InputProblem]:
    problems: list[InputProblem] = []
    seen: dict[str, tuple[str | int, ...]] = {}
    for position, task in enumerate(phase.tasks):
        loc: tuple[str | int, ...] = ("tasks", position, "id")
        if task.id in seen:
            first = doc.locator.line_for(seen[task.id])
            problems.append(doc.problem(loc, f"duplicate task id '{task.id}' (first at line {first})"))
        seen.setdefault(task.id, loc)
    seen = {}
    for kind in ("entry", "exit"):
        for position, criterion in enumerate(getattr(phase, kind)):
            loc = (kind, position, "id")
            if criterion.id in seen:
                first = doc.locator.line_for(seen[criterion.id])
                problems.append(
                    doc.problem(loc, f"duplicate criterion id '{criterion.id}' (first at line {first})")
                )
            seen.setdefault(criterion.id, loc)
    return problems


def load_phases(directory: Path) -> list[LoadedPhase]:
    """Load and validate every `*.toml` in `directory`; ids must run 0, 1, 2... without gaps."""
    files = sorted(directory.glob("*.toml")) if directory.is_dir() else []
    if not files:
        raise InputError([InputProblem(str(directory), None, "", "no phase files (*.toml) found")])
    loaded: list[LoadedPhase] = []
    problems: list[InputProblem] = []
    for path in files:
        try:
            doc = read_toml(path)
            phase = validate_document(doc, Phase)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(_duplicates(doc, phase))
        loaded.append(LoadedPhase(phase, doc))
    if not problems:
        problems.extend(_ordering(loaded))
    if problems:
        raise InputError(problems)
    return sorted(loaded, key=lambda item: item.phase.id)


def _ordering(loaded: list[LoadedPhase]) -> list[InputProblem]:
    problems: list[InputProblem] = []
    by_id: dict[int, LoadedPhase] = {}
    for item in loaded:
        if item.phase.id in by_id:
            other = by_id[item.phase.id].doc.path
            problems.append(
                item.doc.problem(("id",), f"duplicate phase id {item.phase.id} (also in {other})")
            )
        by_id.setdefault(item.phase.id, item)
    expected = set(range(len(by_id)))
    if not problems and by_id and set(by_id) != expected:
        missing = sorted(expected - set(by_id)) or [len(by_id)]
        last = by_id[max(by_id)]
        problems.append(
            last.doc.problem(
                ("id",), f"phase ids must run 0..{len(by_id) - 1} without gaps; missing {missing[0]}"
            )
        )
    return problems
