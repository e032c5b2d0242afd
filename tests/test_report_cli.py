"""`cockpit report` picks its format: --format if given, else the output file's extension, else md.

`-o report.html` must never be a Markdown file with an HTML name; an extension that names no
format is bad input (exit 2, nothing written); `--json` without a file prints the JSON report.
Run through the real entry point (`main`), against the small project of `conftest.py`.
"""

from __future__ import annotations

import json

import pytest

from cockpit.cli.reportcmd import EXTENSIONS, FORMAT_HELP, report_format
from cockpit.errors import InputError


@pytest.mark.parametrize(
    ("name", "starts"),
    [
        ("r.md", "# Homelab migration progress report"),
        ("r.markdown", "# Homelab migration progress report"),
        ("r.html", "<!DOCTYPE html>"),
        ("R.HTM", "<!DOCTYPE html>"),
        ("r.json", "{"),
    ],
)
def test_without_format_the_file_extension_decides(cli, tmp_path, name, starts):
    target = tmp_path / name
    run = cli("report", "-o", str(target))
    assert run.code == 0 and run.out.strip() == str(target)
    assert target.read_text().startswith(starts)
    if name.endswith(".json"):
        assert json.loads(target.read_text())["schema_version"] == 1


def test_an_unknown_extension_without_format_is_bad_input_naming_it_and_writes_nothing(cli, tmp_path):
    for name in ("report.pdf", "report"):
        run = cli("report", "-o", str(tmp_path / name))
        assert run.code == 2, run
        assert name in run.err and ("'.pdf'" in run.err if "." in name else "no extension" in run.err)
        assert "--format" in run.err
    assert not any(p.name.startswith("report") for p in tmp_path.iterdir()), "nothing written"


def test_an_explicit_format_wins_over_the_extension(cli, tmp_path):
    target = tmp_path / "notes.txt"
    assert cli("report", "--format", "html", "-o", str(target)).code == 0
    assert target.read_text().startswith("<!DOCTYPE html>")
    other = tmp_path / "report.html"
    assert cli("report", "--format", "md", "-o", str(other)).code == 0  # the operator said so
    assert other.read_text().startswith("# Homelab migration progress report")


def test_json_without_a_file_prints_the_json_report(cli):
    run = cli("report", "--json")
    assert run.code == 0 and json.loads(run.out)["schema_version"] == 1
    assert cli("report").out.startswith("# Homelab migration progress report"), "plain: Markdown"
    assert cli("report", "--json", "--format", "md").out.startswith("# Homelab"), "--format wins"


def test_json_with_a_file_prints_where_and_in_which_format(cli, tmp_path):
    target = tmp_path / "r.html"
    run = cli("report", "--json", "-o", str(target))
    assert run.code == 0 and run.json == {"report": {"path": str(target), "format": "html"}}
    assert target.read_text().startswith("<!DOCTYPE html>")


def test_the_format_rule_and_its_help():
    assert report_format(None, None) == "md" and report_format(None, "-", as_json=True) == "json"
    assert report_format("json", "x.html") == "json" and report_format(None, "out/X.Json") == "json"
    with pytest.raises(InputError, match=r"'x\.txt'.*extension '\.txt'"):
        report_format(None, "x.txt")
    assert set(EXTENSIONS.values()) == {"md", "html", "json"}
    for extension in EXTENSIONS:
        assert extension in FORMAT_HELP
