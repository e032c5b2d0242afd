"""The project's promises about itself: layers, packaging, README and CI agree."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_no_module_below_the_ui_imports_textual():
    offenders = []
    for path in (ROOT / "cockpit").rglob("*.py"):
        if "tui" in path.relative_to(ROOT / "cockpit").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            offenders += [f"{path}: {n}" for n in names if n.split(".")[0] == "textual"]
    assert offenders == []


def quick_start() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start\s+```(?:sh|bash|console)?\n(.*?)```", readme, re.S)
    assert block, "README opens with a Quick start code block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_quick_start_is_two_lines_and_ci_runs_both():
    lines = quick_start()
    assert len(lines) == 2
    install = lines[0].split("&&")[0].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert install in ci
    assert lines[1].strip() in ci


def test_textual_is_pinned_exactly():
    text = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'"textual==\d+\.\d+\.\d+"', text)
    assert re.search(r'"pytest>=8,<9"', text)


def all_subcommands() -> list[list[str]]:
    """Every subcommand the parser knows, nested ones (lab fault) included."""
    import argparse

    from cockpit.cli.parser import build_parser

    found: list[list[str]] = []

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    found.append([*prefix, name])
                    walk(child, [*prefix, name])

    walk(build_parser(), [])
    return found


@pytest.mark.parametrize("command", all_subcommands(), ids=" ".join)
def test_every_subcommand_has_help(command, capsys):
    from cockpit.cli import main

    assert main([*command, "--help"]) == 0
    assert "--json" in capsys.readouterr().out


def test_the_console_script_answers_version_and_help():
    version = subprocess.run(["cockpit", "--version"], capture_output=True, text=True, check=True)
    from cockpit import __version__

    assert version.stdout.strip() == f"cockpit {__version__}"
    help_text = subprocess.run(["cockpit", "--help"], capture_output=True, text=True, check=True).stdout
    assert "exit codes" in help_text


def test_the_wheel_carries_the_default_phases_and_the_example(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("cockpit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    phases = sorted(n for n in names if n.startswith("cockpit/default_phases/"))
    assert phases == [f"cockpit/default_phases/{p.name}" for p in sorted((ROOT / "phases").glob("*.toml"))]
    assert "cockpit/examples/cockpit.toml" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "from cockpit.configsource import default_phases_dir; from cockpit.phases_loader import load_phases; d = default_phases_dir(); "
        "print(d.name, len(load_phases(d)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split() == ["default_phases", str(len(phases))]


def test_the_readme_lists_every_manual_criterion_of_the_shipped_phases():
    from cockpit.configsource import default_phases_dir
    from cockpit.phases_loader import load_phases

    readme = (ROOT / "README.md").read_text()
    manual = [
        f"{item.phase.id}.{c.id}"
        for item in load_phases(default_phases_dir())
        for _, c in item.phase.criteria()
        if c.manual
    ]
    assert manual
    listed = re.findall(r"^- `(\d+\.[a-z0-9-]+)`", readme, re.M)
    assert sorted(listed) == sorted(manual)
