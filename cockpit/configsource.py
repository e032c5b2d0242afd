"""Provides where the config and the phases are found, before anything is validated.

Kept apart from `cockpit.config` on purpose: it imports no pydantic, so the TUI can draw its
first frame (the phase outline) while the validated project is still loading behind it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cockpit.errors import InputError, InputProblem

PACKAGE_DIR = Path(__file__).resolve().parent
EXAMPLE_CONFIG = PACKAGE_DIR / "examples" / "cockpit.toml"


def user_config_file() -> Path:
    import platformdirs

    return platformdirs.user_config_path("cockpit") / "cockpit.toml"


@dataclass(frozen=True)
class ConfigSource:
    """Which config file is used and why."""

    path: Path
    origin: str  # "option", "environment", "cwd", "user", "example"


def find_config(option: str | None) -> ConfigSource:
    """Apply the search order; a named file that does not exist is bad input."""
    for value, origin in ((option, "option"), (os.environ.get("COCKPIT_CONFIG"), "environment")):
        if value:
            path = Path(value).expanduser()
            if not path.is_file():
                where = "--config" if origin == "option" else "$COCKPIT_CONFIG"
                message = f"config file named by {where} does not exist"
                raise InputError([InputProblem(str(path), None, "", message)])
            return ConfigSource(path.resolve(), origin)
    cwd = Path.cwd() / "cockpit.toml"
    if cwd.is_file():
        return ConfigSource(cwd.resolve(), "cwd")
    user = user_config_file()
    if user.is_file():
        return ConfigSource(user, "user")
    return ConfigSource(EXAMPLE_CONFIG, "example")


def default_phases_dir() -> Path:
    """The shipped phases: inside the installed package, else the checkout's `phases/`."""
    packaged = PACKAGE_DIR / "default_phases"
    if packaged.is_dir():
        return packaged
    return PACKAGE_DIR.parent / "phases"


def phase_outline(config_option: str | None) -> list[tuple[int, str]]:
    """Each phase's number and title, read without validating anything, for the TUI's first frame.

    Empty on any problem at all: the validating load that follows reports it with file and line,
    and a wrong outline would only ever be drawn for the moment before that report.
    """
    import tomllib

    try:
        source = find_config(config_option)
        with open(source.path, "rb") as handle:
            configured = tomllib.load(handle).get("phases_dir")
        directory = (
            (source.path.parent / Path(configured).expanduser()).resolve()
            if isinstance(configured, str)
            else default_phases_dir()
        )
        outline = []
        for path in sorted(directory.glob("*.toml")):
            phase = tomllib.loads(_head(path.read_text(encoding="utf-8")))
            outline.append((int(phase["id"]), str(phase["title"])))
        return sorted(outline)
    except Exception:  # noqa: BLE001 - see the docstring: the real load reports it
        return []


def _head(text: str) -> str:
    """The `id = ` and `title = ` lines that open a phase file: parsing the whole file costs more."""
    keep = []
    for line in text.splitlines():
        if line.startswith("["):  # the first table: the top-level keys are behind us
            break
        if line.startswith(("id ", "id=", "title ", "title=")):
            keep.append(line)
    return "\n".join(keep)
