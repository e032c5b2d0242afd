"""The decisions log: its file format, its strict reading, its atomic adding, and `cockpit decision`."""

from __future__ import annotations

import argparse
import errno
import json
import os
from pathlib import Path

import pytest

from cockpit import decisions
from cockpit.cli.decisioncmd import add_parser, cmd_decision
from cockpit.core import Cockpit
from cockpit.decisions import (
    Decision,
    add_decision,
    list_decisions,
    parse_decision,
    record_decision,
    slug,
)
from cockpit.errors import InputError, LockedError, RefusedError
from cockpit.lab.decisions_seed import SEED_DECISIONS, seed_decisions
from cockpit.principles import PRINCIPLES
from cockpit.project import Project, load_project
from cockpit.secrets import REDACTOR
from tests.conftest import Lab

TRAEFIK = {
    "title": "Traefik as the reverse proxy",
    "decision": "Traefik fronts every v3 service on the Docker VM.",
    "rationale": "It is the default k3s ingress controller:\nsame tool, same mental model.",
    "principle": "kubernetes-ready",
    "revisit": "Phase 6 is dropped.",
    "date": "2026-09-12",
}

TRAEFIK_FILE = """\
---
date: 2026-09-12
principle: kubernetes-ready
---

# Traefik as the reverse proxy

## Decision

Traefik fronts every v3 service on the Docker VM.

## Rationale

It is the default k3s ingress controller:
same tool, same mental model.

## Revisit when

Phase 6 is dropped.
"""


def project_of(lab: Lab) -> Project:
    return load_project(str(lab.config), str(lab.root / "state"))


def write(base: Path, name: str, text: str) -> Path:
    path = base / "decisions" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


# -- the file format ----------------------------------------------------------------------


def test_a_decision_is_written_as_markdown_with_front_matter_and_read_back_whole(tmp_path: Path) -> None:
    added = add_decision(tmp_path, **TRAEFIK)
    assert added.path == tmp_path / "decisions" / "0001-traefik-as-the-reverse-proxy.md"
    assert added.path.read_text() == TRAEFIK_FILE
    assert list_decisions(tmp_path) == [
        Decision(id="0001", path=added.path, **TRAEFIK)  # type: ignore[arg-type]
    ]


def test_no_decisions_directory_is_an_empty_log(tmp_path: Path) -> None:
    assert list_decisions(tmp_path) == []


def test_the_log_is_sorted_by_number_and_ignores_files_that_are_not_decisions(tmp_path: Path) -> None:
    write(tmp_path, "0010-later.md", TRAEFIK_FILE.replace("Traefik as", "Later:"))
    write(tmp_path, "0002-earlier.md", TRAEFIK_FILE)
    write(tmp_path, "README.md", "# How we keep decisions\n")
    write(tmp_path, "0002-earlier.md~", "an editor's backup")
    assert [(d.id, d.title) for d in list_decisions(tmp_path)] == [
        ("0002", "Traefik as the reverse proxy"),
        ("0010", "Later: the reverse proxy"),
    ]


def test_an_empty_revisit_and_a_code_fence_with_shell_comments_round_trip(tmp_path: Path) -> None:
    fields = {
        **TRAEFIK,
        "rationale": "Check the pool first:\n\n```\n# zpool status rpool\n## not a section\n```\n\n### Detail\n  indented",
        "revisit": "",
    }
    added = add_decision(tmp_path, **fields)
    assert added.rationale == fields["rationale"]
    assert added.revisit == ""
    assert added.path.read_text().endswith("## Revisit when\n")


def test_windows_line_endings_from_a_git_checkout_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, "0001-crlf.md", "")
    path.write_bytes(TRAEFIK_FILE.replace("\n", "\r\n").encode())
    (decision,) = list_decisions(tmp_path)
    assert decision.rationale == TRAEFIK["rationale"]


# -- strict reading: file, line, field ----------------------------------------------------

BAD_FILES = [
    pytest.param(TRAEFIK_FILE[4:], 1, "", "starts with a '---'", id="no-front-matter"),
    pytest.param(
        TRAEFIK_FILE.replace("date: 2026-09-12", "date: 12/09/2026"), 2, "date", "yyyy-mm-dd", id="date"
    ),
    pytest.param(TRAEFIK_FILE.replace("2026-09-12", "2026-02-30"), 2, "date", "not a date", id="no-such-day"),
    pytest.param(
        TRAEFIK_FILE.replace("kubernetes-ready", "k8s-ready"),
        3,
        "principle",
        "unknown principle",
        id="principle",
    ),
    pytest.param(
        TRAEFIK_FILE.replace("principle: kubernetes-ready\n", ""), 3, "principle", "missing", id="missing"
    ),
    pytest.param(
        TRAEFIK_FILE.replace("---\n\n#", "owner: me\n---\n\n#"), 4, "owner", "expected", id="unknown-key"
    ),
    pytest.param(
        TRAEFIK_FILE.replace("principle:", "date: 2026-01-01\nprinciple:"), 3, "date", "twice", id="twice"
    ),
    pytest.param(TRAEFIK_FILE.replace("---\n\n#", "\n#"), 5, "", "not closed", id="unclosed"),
    pytest.param("---\ndate: 2026-09-12\n", 2, "", "never closed", id="truncated"),
    pytest.param(TRAEFIK_FILE.replace("# Traefik", "Traefik"), 6, "title", "'# Title'", id="no-title"),
    pytest.param(
        TRAEFIK_FILE.replace("\n## Decision", "Intro\n## Decision"), 7, "", "between the title", id="intro"
    ),
    pytest.param(
        TRAEFIK_FILE.replace("## Revisit when", "## Consequences"), 17, "", "unknown section", id="section"
    ),
    pytest.param(
        TRAEFIK_FILE.replace("## Revisit when", "## Rationale"), 17, "rationale", "twice", id="dup-section"
    ),
    pytest.param(
        TRAEFIK_FILE.replace("## Revisit when\n\nPhase 6 is dropped.\n", ""),
        16,
        "revisit",
        "missing",
        id="gone",
    ),
    pytest.param(
        TRAEFIK_FILE.replace("It is the default k3s ingress controller:\nsame tool, same mental model.", ""),
        12,
        "rationale",
        "is empty",
        id="empty-rationale",
    ),
    pytest.param(TRAEFIK_FILE + "\n# Another title\n", 21, "", "second '# ' title", id="second-title"),
]


@pytest.mark.parametrize(("text", "line", "field", "words"), BAD_FILES)
def test_a_malformed_decision_is_bad_input_naming_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str, words: str
) -> None:
    path = write(tmp_path, "0003-bad.md", text)
    with pytest.raises(InputError) as caught:
        list_decisions(tmp_path)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.field) == (str(path), line, field)
    assert words in problem.message
    assert caught.value.exit_code == 2
    assert f"{path}:{line}" in str(caught.value)


def test_the_parser_alone_reads_the_same_shape_without_a_file() -> None:
    decision = parse_decision(Path("x/0007-t.md"), "0007", TRAEFIK_FILE)
    assert (decision.id, decision.principle, decision.date) == ("0007", "kubernetes-ready", "2026-09-12")


@pytest.mark.parametrize(
    "name", ["4-short-number.md", "0004_underscore.md", "0004-Capitals.md", "0004-x.txt"]
)
def test_a_numbered_file_with_a_bad_name_is_bad_input(tmp_path: Path, name: str) -> None:
    write(tmp_path, name, TRAEFIK_FILE)
    with pytest.raises(InputError, match="NNNN-slug.md"):
        list_decisions(tmp_path)


def test_a_file_that_is_not_utf8_is_bad_input(tmp_path: Path) -> None:
    path = write(tmp_path, "0001-latin1.md", "")
    path.write_bytes(TRAEFIK_FILE.replace("Traefik", "Tr\xe4efik").encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        list_decisions(tmp_path)


def test_two_branches_that_each_added_decision_4_are_both_named(tmp_path: Path) -> None:
    write(tmp_path, "0004-from-main.md", TRAEFIK_FILE)
    other = write(tmp_path, "0004-from-branch.md", TRAEFIK_FILE)
    with pytest.raises(InputError) as caught:
        list_decisions(tmp_path)
    (problem,) = caught.value.problems
    assert problem.file == str(tmp_path / "decisions" / "0004-from-main.md")
    assert other.name in problem.message and "renumber" in problem.message


def test_every_bad_file_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "0001-a.md", "no front matter\n")
    write(tmp_path, "0002-b.md", TRAEFIK_FILE.replace("2026-09-12", "soon"))
    with pytest.raises(InputError) as caught:
        list_decisions(tmp_path)
    assert [Path(p.file).name for p in caught.value.problems] == ["0001-a.md", "0002-b.md"]


def test_a_file_named_decisions_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "decisions").write_text("oops")
    with pytest.raises(InputError, match="not a directory"):
        list_decisions(tmp_path)


# -- adding -------------------------------------------------------------------------------


def test_numbers_follow_the_highest_in_use_and_slugs_are_plain_ascii(tmp_path: Path) -> None:
    write(tmp_path, "0007-kept.md", TRAEFIK_FILE)
    added = add_decision(tmp_path, **{**TRAEFIK, "title": "Überlegung: NAS / Proxmox -- getrennt!"})
    assert added.path.name == "0008-uberlegung-nas-proxmox-getrennt.md"
    assert added.title == "Überlegung: NAS / Proxmox -- getrennt!"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("!!!", "decision"),
        ("A " + "very-long-word " * 10, "a-very-long-word-very-long-word-very-long-word"),
        ("x" * 80, "x" * 48),
    ],
)
def test_slugs_stay_short_and_never_empty(title: str, expected: str) -> None:
    assert slug(title) == expected


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"title": "  "}, "title", "must not be empty"),
        ({"decision": "\n\n"}, "decision", "must not be empty"),
        ({"rationale": ""}, "rationale", "must not be empty"),
        ({"principle": "vibes"}, "principle", "unknown principle"),
        ({"date": "yesterday"}, "date", "yyyy-mm-dd"),
        ({"rationale": "first\n## Consequences\nsecond"}, "rationale", "heading"),
        ({"decision": "```\nunclosed"}, "decision", "never closed"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_written(
    tmp_path: Path, change: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(InputError) as caught:
        add_decision(tmp_path, **{**TRAEFIK, **change})
    assert [p.field for p in caught.value.problems] == [field]
    assert words in caught.value.problems[0].message
    assert not (tmp_path / "decisions").exists()


def test_a_secret_of_the_config_is_never_written_into_a_file_meant_for_git(tmp_path: Path) -> None:
    REDACTOR.add("hunter2-pve-token")
    with pytest.raises(InputError, match="secret"):
        add_decision(tmp_path, **{**TRAEFIK, "rationale": "the token is hunter2-pve-token"})
    assert not (tmp_path / "decisions").exists()


def test_the_date_defaults_to_today(tmp_path: Path) -> None:
    import datetime

    fields = {k: v for k, v in TRAEFIK.items() if k != "date"}
    assert add_decision(tmp_path, **fields).date == datetime.date.today().isoformat()


def test_a_file_that_appears_under_the_chosen_name_is_never_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer takes number 1 between the scan and the publish: this one moves to 2."""
    theirs = write(tmp_path, "0001-traefik-as-the-reverse-proxy.md", "theirs, mid-edit")
    numbers = iter(["0001", "0002"])
    monkeypatch.setattr(decisions, "next_id", lambda _directory: next(numbers))
    added = add_decision(tmp_path, **TRAEFIK)
    assert added.id == "0002"
    assert theirs.read_text() == "theirs, mid-edit"
    assert sorted(p.name for p in (tmp_path / "decisions").iterdir()) == [
        "0001-traefik-as-the-reverse-proxy.md",
        "0002-traefik-as-the-reverse-proxy.md",
    ], "no temp file is left behind"


def test_a_failed_publish_leaves_neither_the_file_nor_its_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_link(*_: object) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "link", broken_link)
    with pytest.raises(OSError, match="I/O error"):
        add_decision(tmp_path, **TRAEFIK)
    assert list((tmp_path / "decisions").iterdir()) == []


def test_a_filesystem_without_hard_links_still_gets_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*_: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    added = add_decision(tmp_path, **TRAEFIK)
    assert added.path.read_text() == TRAEFIK_FILE
    assert [p.name for p in (tmp_path / "decisions").iterdir()] == [added.path.name]


def test_the_file_is_fsynced_before_it_gets_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_fsync, real_link = os.fsync, os.link
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "link", lambda a, b: (calls.append("link"), real_link(a, b))[1])
    (tmp_path / "decisions").mkdir()
    add_decision(tmp_path, **TRAEFIK)
    assert calls == ["fsync", "link", "fsync"], "content, then its name, then the directory holding the name"


# -- with the store -----------------------------------------------------------------------


def test_recording_a_decision_journals_it_and_the_file_is_the_source_of_truth(lab: Lab) -> None:
    project = project_of(lab)
    with Cockpit.open(project, write=True) as cockpit:
        decision, event = record_decision(cockpit, **TRAEFIK)
        journaled = cockpit.audit(action="decision.")
    assert (event["action"], event["subject"]) == ("decision.added", "0001")
    assert event["after"] == {
        "title": TRAEFIK["title"],
        "date": "2026-09-12",
        "principle": "kubernetes-ready",
        "file": "decisions/0001-traefik-as-the-reverse-proxy.md",
    }
    assert [e["seq"] for e in journaled] == [event["seq"]]
    assert list_decisions(lab.root) == [decision]


def test_a_read_only_store_writes_no_decision(lab: Lab) -> None:
    project = project_of(lab)
    with Cockpit.open(project, write=False) as cockpit, pytest.raises(RefusedError, match="read-only"):
        record_decision(cockpit, **TRAEFIK)
    assert list_decisions(lab.root) == []


def test_the_example_inventory_never_gets_decisions_inside_cockpit(tmp_path: Path) -> None:
    project = load_project(None, str(tmp_path / "state"))
    assert project.config.source.origin == "example"
    with Cockpit.open(project, write=True) as cockpit, pytest.raises(RefusedError, match="example"):
        record_decision(cockpit, **TRAEFIK)
    assert not (project.config.base_dir / "decisions").exists()


# -- the CLI ------------------------------------------------------------------------------


def namespace(command: str | None, **options: object) -> argparse.Namespace:
    fields: dict[str, object] = dict.fromkeys(
        ("title", "decision", "rationale", "principle", "revisit", "date")
    )
    return argparse.Namespace(
        **{"decision_command": command, "json": False, "read_only": False, **fields, **options}
    )


def test_cli_lists_an_empty_log_with_how_to_add(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    assert cmd_decision(project_of(lab), namespace("list")) == 0
    assert "No decisions recorded yet" in capsys.readouterr().out


def test_cli_adds_then_lists_as_text_and_json(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    project = project_of(lab)
    assert cmd_decision(project, namespace("add", **TRAEFIK)) == 0
    said = capsys.readouterr().out
    assert "Decision 0001 written to decisions/0001-traefik-as-the-reverse-proxy.md (event #" in said
    assert cmd_decision(project, namespace(None)) == 0, "no action: list"
    assert capsys.readouterr().out.split() == [
        "0001",
        "2026-09-12",
        "kubernetes-ready",
        *TRAEFIK["title"].split(),
    ]
    assert cmd_decision(project, namespace("list", json=True)) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == {
        "decisions": [
            {
                "id": "0001",
                **TRAEFIK,
                "path": str(lab.root / "decisions" / "0001-traefik-as-the-reverse-proxy.md"),
            }
        ]
    }


def test_cli_add_as_json_gives_the_decision_and_its_event(
    lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cmd_decision(project_of(lab), namespace("add", json=True, **TRAEFIK)) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["decision"]["id"] == "0001"
    assert printed["event"]["action"] == "decision.added"


def test_cli_read_only_refuses_add(lab: Lab) -> None:
    with pytest.raises(RefusedError, match="--read-only") as caught:
        cmd_decision(project_of(lab), namespace("add", read_only=True, **TRAEFIK))
    assert caught.value.exit_code == 3
    assert not (lab.root / "decisions").exists()


def test_cli_bad_fields_name_the_options_and_open_no_store(lab: Lab) -> None:
    with pytest.raises(InputError) as caught:
        cmd_decision(project_of(lab), namespace("add", **{**TRAEFIK, "title": "", "date": "2026-9-1"}))
    assert str(caught.value).splitlines() == [
        "--title: must not be empty",
        "--date: expected a date as yyyy-mm-dd, got '2026-9-1'",
    ]
    assert not (lab.root / "state").exists(), "bad input writes nothing, not even a store"


def test_cli_add_is_refused_while_another_cockpit_writes(lab: Lab) -> None:
    project = project_of(lab)
    with Cockpit.open(project, write=True), pytest.raises(LockedError):
        cmd_decision(project, namespace("add", **TRAEFIK))
    assert list_decisions(lab.root) == []


def test_cli_a_malformed_log_is_bad_input(lab: Lab) -> None:
    write(lab.root, "0001-bad.md", "nothing like a decision\n")
    with pytest.raises(InputError, match=r"0001-bad.md:1"):
        cmd_decision(project_of(lab), namespace("list"))


def test_the_parser_reads_both_actions_with_the_global_options_after_them() -> None:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["decision", "list", "--json"])
    assert (args.command, args.decision_command, args.json) == ("decision", "list", True)
    argv = [
        "decision",
        "add",
        "--title",
        "T",
        "--decision",
        "D",
        "--rationale",
        "R",
        "--principle",
        "simplicity",
    ]
    args = parser.parse_args([*argv, "--revisit", "", "--date", "2026-01-02", "--read-only"])
    assert (args.title, args.principle, args.revisit, args.date) == ("T", "simplicity", "", "2026-01-02")
    assert args.read_only is True
    assert parser.parse_args(["decision"]).decision_command is None, "no action: list"


@pytest.mark.parametrize("missing", ["--title", "--principle", "--revisit"])
def test_the_parser_requires_every_field_but_the_date(missing: str) -> None:
    from cockpit.cli.parser import Parser

    parser = Parser()
    add_parser(parser.add_subparsers(dest="command", parser_class=Parser))
    given = {
        "--title": "T",
        "--decision": "D",
        "--rationale": "R",
        "--principle": "simplicity",
        "--revisit": "",
    }
    argv = [part for option, value in given.items() if option != missing for part in (option, value)]
    with pytest.raises(InputError, match=missing):
        parser.parse_args(["decision", "add", *argv])


# -- the lab's log ------------------------------------------------------------------------


def test_the_lab_log_holds_the_seeds_decisions_once(tmp_path: Path) -> None:
    seed_decisions(tmp_path)
    seed_decisions(tmp_path)  # a lab started again in the same directory
    logged = list_decisions(tmp_path)
    assert [d.title for d in logged] == [d["title"] for d in SEED_DECISIONS]
    assert all(d.principle in PRINCIPLES and d.rationale and d.revisit for d in logged)
    assert [d.id for d in logged] == [f"{n:04d}" for n in range(1, len(SEED_DECISIONS) + 1)]
