"""The exported progress report: each format's structure, blockers first, never-checked stays unknown.

The Markdown is read back as headings and tables, the HTML with `html.parser`, the JSON against
its schema. The project is the small one of `conftest.py` (no backend reachable, none needed: a
report is made from the store alone). The secret canary has its own module, `test_report_secrets.py`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from cockpit.cli import reportcmd
from cockpit.cli.reportcmd import add_parser, cmd_report
from cockpit.core import Cockpit
from cockpit.errors import InputError
from cockpit.project import Project, load_project
from cockpit.report import FORMATS, SCHEMA_PATH, build_report, render, write_report
from cockpit.report.blockers import blockers
from cockpit.report.model import CriterionReport, PhaseReport, Runbook, ServiceDns, ServiceReport

INJECTION = "<script>alert(1)</script> | *bold* [link](http://example.com) `tick` <img src=x>"

# -- reading the formats back ------------------------------------------------------------------


def md_outside_code(text: str) -> str:
    """The Markdown with fenced blocks and code spans removed: what GitHub would parse as markup."""
    text = re.sub(r"^(`{3,})[^\n]*\n.*?^\1\s*$", "", text, flags=re.S | re.M)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", text)


def md_headings(text: str) -> list[tuple[int, str]]:
    body = re.sub(r"^(`{3,})[^\n]*\n.*?^\1\s*$", "", text, flags=re.S | re.M)
    return [(len(m.group(1)), m.group(2)) for m in re.finditer(r"^(#{1,6}) (.+)$", body, flags=re.M)]


def md_cells(row: str) -> list[str]:
    """A table row's cells: split on pipes that are not escaped."""
    inner = row.strip()[1:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", inner)]


def md_tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every table: (header, rows); fails on a table whose rows do not match its header."""
    tables = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if (
            lines[index].startswith("|")
            and index + 1 < len(lines)
            and re.match(r"^\|(---\|)+$", lines[index + 1])
        ):
            header = md_cells(lines[index])
            assert len(md_cells(lines[index + 1])) == len(header), lines[index]
            rows = []
            index += 2
            while index < len(lines) and lines[index].startswith("|"):
                cells = md_cells(lines[index])
                assert len(cells) == len(header), (header, lines[index])
                rows.append(cells)
                index += 1
            tables.append((header, rows))
        index += 1
    return tables


class Page(HTMLParser):
    """The parts of an HTML page the tests look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.style = ""
        self.ids: set[str] = set()
        self.badges: list[str] = []
        self._in: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, name, value) for name, value in attrs]
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        self._in.append("badge" if "badge" in str(values.get("class") or "").split() else tag)
        if self._in[-1] == "badge":
            self.badges.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._in:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "style":
            self.style += data
        elif self._in and self._in[-1] == "badge":
            self.badges[-1] += data
        else:
            self.text.append(data)


def parse_html(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


VOID = {"meta", "br", "hr", "img", "input", "link", "wbr"}


@dataclass
class Node:
    """An element of a parsed HTML page: enough of a DOM to read tables, lists and classes back."""

    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def all(self, tag: str) -> list[Node]:
        """Every descendant element with this tag, in document order."""
        found: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                found += ([child] if child.tag == tag else []) + child.all(tag)
        return found

    def by_id(self, ident: str) -> Node:
        if self.attrs.get("id") == ident:
            return self
        for child in self.children:
            if isinstance(child, Node):
                with contextlib.suppress(KeyError):
                    return child.by_id(ident)
        raise KeyError(ident)

    def ancestors(self) -> list[Node]:
        node, found = self.parent, []
        while node is not None:
            found.append(node)
            node = node.parent
        return found


class Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.at = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.at)
        self.at.children.append(node)
        if tag not in VOID:
            self.at = node

    def handle_endtag(self, tag: str) -> None:
        assert self.at.tag == tag, f"</{tag}> closes <{self.at.tag}>: the page is not well nested"
        assert self.at.parent is not None
        self.at = self.at.parent

    def handle_data(self, data: str) -> None:
        self.at.children.append(data)


def html_tree(text: str) -> Node:
    """The page as a tree; fails on an element closed out of order."""
    tree = Tree()
    tree.feed(text)
    tree.close()
    assert tree.at is tree.root, "an element was never closed"
    return tree.root


def html_tables(node: Node) -> list[tuple[list[str], list[list[Node]]]]:
    """Every table under `node`: its header words and its rows of cells (as nodes)."""
    found = []
    for table in node.all("table"):
        header = [th.text() for th in table.all("th")]
        rows = [tr.all("td") for tr in table.all("tbody")[0].all("tr")]
        assert all(len(row) == len(header) for row in rows), header
        found.append((header, rows))
    return found


# -- the story the store tells -------------------------------------------------------------------


@pytest.fixture
def project(lab) -> Project:
    """Phase 0 opened by its attestation and then regressed (revoked), a task done with an odd note."""
    project = load_project(str(lab.config))
    with Cockpit.open(project, write=True) as cockpit:
        cockpit.attest(0, "ups-bought", "receipt 2024-113 in the binder")
        cockpit.check([0])
        cockpit.set_task(0, "label-cables", True, INJECTION)
        cockpit.revoke(0, "ups-bought", "the receipt was for another UPS")
        cockpit.override(2, "testing the report of an override")
    return project


def test_markdown_has_the_sections_in_order_with_blockers_first_and_tables_that_hold(project):
    text = render(build_report(project), "md")
    headings = md_headings(text)
    assert headings[0] == (1, "Homelab migration progress report")
    top = [title for level, title in headings if level == 2]
    assert top == ["Open blockers", "Phases", "Overrides", "Services", "Decisions"]
    assert (3, "Phase 1: Services") in headings and (3, "Service immich") in headings
    tables = md_tables(text)
    headers = [header for header, _ in tables]
    assert ["#", "Kind", "Phase", "Subject", "What"] in headers
    assert ["Criterion", "Kind", "Check", "Result", "Observed", "Expected", "Evidence"] in headers
    phases = next(rows for header, rows in tables if header[:3] == ["Phase", "Title", "State"])
    assert [row[0] for row in phases] == ["0", "1", "2"]
    assert phases[0][2] == "ACTIVE" and phases[1][2] == "LOCKED" and phases[2][2] == "ACTIVE (OVERRIDDEN)"


def test_markdown_shows_a_hostile_note_as_text_never_as_html_or_a_broken_table(project):
    text = render(build_report(project), "md")
    assert not re.search(r"(?<!\\)<[A-Za-z/!]", md_outside_code(text)), "raw HTML in the Markdown"
    tasks = next(
        rows for header, rows in md_tables(text) if header[0] == "Task" and any("label" in r[0] for r in rows)
    )
    note = next(row[3] for row in tasks if "label-cables" in row[0])
    assert note.startswith(r"\<script\>") and r"\| \*bold\*" in note


def test_markdown_parses_as_commonmark_tables_without_any_html_and_the_note_reads_as_typed(project):
    """GitHub's Markdown is CommonMark with tables: a CommonMark parser must see tables, never HTML."""
    markdown_it = pytest.importorskip("markdown_it")  # rich's own Markdown parser
    text = render(build_report(project), "md")
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(text)
    inline = [child for token in tokens for child in token.children or []]
    assert [t.type for t in tokens + inline if "html" in t.type] == []
    assert sum(t.type == "table_open" for t in tokens) == len(md_tables(text))
    cells = [
        "".join(c.content for c in t.children or [] if c.type == "text") for t in tokens if t.type == "inline"
    ]
    assert INJECTION in cells, "the hostile note renders as the text typed, in a cell of its own"


def test_html_is_one_self_contained_page_without_script_or_any_external_fetch(project):
    page_text = render(build_report(project), "html")
    page = parse_html(page_text)
    assert page_text.startswith("<!DOCTYPE html>")
    assert page.tags.count("style") == 1 and "script" not in page.tags
    assert not {"link", "img", "iframe", "object", "embed", "base"} & set(page.tags)
    assert [a for a in page.attrs if a[1] in ("src", "srcset", "action", "background")] == []
    hrefs = [value or "" for _, name, value in page.attrs if name == "href"]
    assert hrefs and all(h.startswith("#") and h[1:] in page.ids for h in hrefs)
    assert "url(" not in page.style and "@import" not in page.style
    assert "@media print" in page.style
    assert INJECTION in "".join(page.text), "the note reads back as typed, as text"


def test_html_says_every_state_in_a_word_not_in_colour_alone(project):
    page = parse_html(render(build_report(project), "html"))
    assert page.badges and all(b.strip() for b in page.badges)
    for word in ("ACTIVE", "LOCKED", "OVERRIDDEN", "OPEN", "done", "not evaluated", "never checked"):
        assert word in page.badges, word
    for family in ("good", "bad", "unknown", "waiting"):  # each also has its own border pattern
        assert re.search(rf"\.{family} \{{[^}}]*border-style: (solid|double|dashed|dotted)", page.style)


def test_json_validates_against_the_documented_versioned_schema(project):
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads(render(build_report(project), "json"))
    jsonschema.validate(document, schema)
    assert document["schema_version"] == 1 and schema["properties"]["schema_version"]["const"] == 1
    assert [p["state"] for p in document["phases"]] == ["active", "locked", "active"]
    assert document["overrides"][0]["reason"] == "testing the report of an override"


def test_json_that_strays_from_the_schema_is_caught(project):
    """The schema is strict (no unknown field, nothing missing): a model change must update it."""
    schema = json.loads(SCHEMA_PATH.read_text())
    document = json.loads(render(build_report(project), "json"))
    document["phases"][0]["surprise"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)
    del document["phases"][0]["surprise"]
    del document["services"][0]["drift"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


def test_blockers_come_first_worst_first_regression_then_criteria_then_tasks(project):
    report = build_report(project)
    kinds = [b.kind for b in report.blockers]
    assert kinds[0] == "regression" and "is no longer attested" in report.blockers[0].message
    assert kinds.index("criterion") < kinds.index("task")
    assert "0.install-ups" in [b.subject for b in report.blockers if b.kind == "task"]
    assert "0.label-cables" not in [b.subject for b in report.blockers], "an optional task blocks nothing"
    document = json.loads(render(report, "json"))
    assert [b["kind"] for b in document["blockers"]] == kinds
    html_text = render(report, "html")
    assert html_text.index('id="blockers"') < html_text.index('id="phases"')


def _criterion(cid: str, result: str) -> CriterionReport:
    return CriterionReport(
        id=cid, kind="exit", title=cid, principle="ups-protection", type="x", result=result
    )


def test_a_failing_criterion_outranks_an_unevaluated_one_and_a_service_in_trouble_outranks_both():
    phase = PhaseReport(
        id=4,
        title="t",
        goal="g",
        state="active",
        overridden=False,
        tasks_done=0,
        tasks_total=0,
        criteria_passed=1,
        criteria_total=4,
        tasks=[],
        regressions=[],
        criteria=[
            _criterion("a", "not_evaluated"),
            _criterion("b", "pass"),
            _criterion("c", "fail"),
            _criterion("d", "error"),
        ],
    )
    service = ServiceReport(
        name="grafana",
        title="",
        hostnames=["g.home.arpa"],
        phase=4,
        cutover="dns",
        rollback_policy="manual",
        state="needs_attention",
        v3="192.168.30.10",
        dns=ServiceDns(),
        drift=None,
        needs_attention=["needs attention: verification failed"],
        runbook=Runbook(),
    )
    found = blockers([phase], [service], [])
    assert [b.subject for b in found] == ["grafana", "4.c", "4.d", "4.a"]


def test_a_criterion_never_checked_reads_not_evaluated_in_every_format_never_pass(project):
    report = build_report(project)
    phase1 = report.phases[1]
    nas = next(c for c in phase1.criteria if c.id == "nas-online")
    assert (nas.result, nas.observed, nas.detail, nas.evaluated_at) == (
        "not_evaluated",
        None,
        "never checked",
        None,
    )
    document = json.loads(render(report, "json"))
    assert (
        next(c for c in document["phases"][1]["criteria"] if c["id"] == "nas-online")["result"]
        == "not_evaluated"
    )
    rows = [rows for header, rows in md_tables(render(report, "md")) if header[0] == "Criterion"]
    row = next(r for table in rows for r in table if r[0].startswith("`nas-online`"))
    assert row[3] == "**not evaluated**" and row[4] == "never checked"
    html_text = render(report, "html")
    cell = html_text[html_text.index("<code>nas-online</code>") :].split("</tr>")[0]
    assert ">not evaluated<" in cell and ">pass<" not in cell


def test_a_service_never_checked_says_so_and_shows_no_drift_verdict(project):
    report = build_report(project)
    immich = report.services[0]
    assert immich.state == "planned" and immich.dns.checked_at is None and immich.drift is None
    services = next(rows for header, rows in md_tables(render(report, "md")) if header[0] == "Service")
    assert services[0][5:7] == ["never checked", "never checked"]


def test_an_attestation_shows_its_evidence_with_who_and_when(lab):
    project = load_project(str(lab.config))
    with Cockpit.open(project, write=True) as cockpit:
        event = cockpit.attest(0, "ups-bought", "receipt 2024-113 in the binder")
    criterion = build_report(project).phases[0].criteria[0]
    assert criterion.result == "pass" and criterion.attestation is not None
    assert criterion.attestation.evidence == "receipt 2024-113 in the binder"
    assert (
        criterion.attestation.at == event["time"]
        and criterion.attestation.by.user == event["operator"]["user"]
    )
    assert (
        f"receipt 2024-113 in the binder (attested by {criterion.attestation.by} at {event['time']})"
        in "".join(parse_html(render(build_report(project), "html")).text)  # the time carries markup
    )


def test_a_report_on_an_empty_store_creates_nothing_and_says_what_is_unknown(lab):
    project = load_project(str(lab.config))
    report = build_report(project)
    assert not lab.state.exists(), "a report only reads"
    assert report.source.journal_seq == 0 and report.phases[0].state == "ready"
    assert [b.subject for b in report.blockers] == ["0.ups-bought"]
    unattested = report.phases[0].criteria[0]
    assert (unattested.result, unattested.evaluated_at, unattested.attestation) == (
        "not_evaluated",
        None,
        None,
    )
    assert "never checked" in render(report, "md")


def test_the_decisions_log_beside_the_config_is_in_the_report(lab, project):
    decisions = lab.root / "decisions"
    decisions.mkdir()
    (decisions / "0001-ups-first.md").write_text(
        "---\ndate: 2026-01-05\nprinciple: ups-protection\n---\n\n# UPS before anything else\n\n"
        "## Decision\n\nThe UPS is Phase 0, Task 1.\n\n## Rationale\n\nv2 lost data in an outage.\n\n"
        "## Revisit when\n\nNever.\n"
    )
    report = build_report(project)
    assert [(d.id, d.title, d.principle) for d in report.decisions] == [
        ("0001", "UPS before anything else", "ups-protection")
    ]
    assert (3, "0001: UPS before anything else") in md_headings(render(report, "md"))
    assert "v2 lost data in an outage." in parse_html(render(report, "html")).text


# -- writing it: the CLI -------------------------------------------------------------------------


def namespace(**values) -> argparse.Namespace:
    return argparse.Namespace(**{"format": "md", "output": None, "json": False, **values})


def test_cockpit_report_prints_the_report_on_stdout_by_default(project, capsys):
    assert cmd_report(project, namespace(format="json")) == 0
    assert json.loads(capsys.readouterr().out)["schema_version"] == 1


def test_cockpit_report_o_writes_the_file_atomically_and_prints_its_absolute_path(
    project, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    assert cmd_report(project, namespace(format="html", output="out/report.html")) == 0
    written = tmp_path / "out" / "report.html"
    assert capsys.readouterr().out.strip() == str(written)
    assert written.read_text().startswith("<!DOCTYPE html>")
    assert os.listdir(tmp_path / "out") == ["report.html"], "no temp file left behind"
    assert cmd_report(project, namespace(output=str(written), json=True)) == 0  # replaces it whole
    assert json.loads(capsys.readouterr().out) == {"report": {"path": str(written), "format": "md"}}
    assert written.read_text().startswith("# Homelab migration progress report")


def test_cockpit_report_into_a_missing_directory_is_bad_input(project, tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        write_report(project, "md", tmp_path / "nowhere" / "r.md")
    with pytest.raises(InputError, match="unknown report format"):
        render(build_report(project), "pdf")


def test_the_report_subcommand_parses_format_and_output():
    from cockpit.cli.parser import Parser

    parser = Parser(prog="cockpit")
    add_parser(parser.add_subparsers(dest="command", parser_class=Parser))
    args = parser.parse_args(["report", "--format", "json", "-o", "r.json"])
    assert (args.command, args.format, args.output) == ("report", "json", "r.json")
    assert parser.parse_args(["report"]).format is None, "no --format: the file's extension decides"
    with pytest.raises(InputError):
        parser.parse_args(["report", "--format", "pdf"])
    assert reportcmd.FORMATS == FORMATS, "the CLI offers every format the report has, and no other"


def test_a_written_report_path_is_absolute_even_when_given_relative(project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_report(project, "md", "r.md")
    assert path == Path(tmp_path / "r.md") and path.is_absolute()
