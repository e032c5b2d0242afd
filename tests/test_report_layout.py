"""How the report lays text out: lines and paragraphs kept as typed, and nothing broken mid-word.

A rationale, a task note, an override reason, an attestation's evidence and a runbook step can
each span lines and paragraphs: every format keeps them (Markdown with blank lines and backslash
hard breaks, never raw HTML; HTML with a <p> per paragraph and pre-wrap), always escaped. The HTML
style sheet wraps only between words, and addresses, ids and numbers never wrap at all.
"""

from __future__ import annotations

import html
import importlib
import json
import re

import pytest

from cockpit.core import Cockpit
from cockpit.errors import CockpitError
from cockpit.project import load_project
from cockpit.report import build_report, render
from cockpit.report.htmlstyle import CSS
from cockpit.report.htmltags import WBR, flow
from tests.test_report import html_tables, html_tree, md_tables

NOTE = "labelled the rack side\n- and the wall side (not a list)\n\nsecond paragraph <b>bold?</b>"
REASON = "opening phase 2 early:\nthe NAS parts came early\n\nreviewed with the partner"
EVIDENCE = "receipt 2024-113\nin the binder"
RATIONALE = (
    "v2 lost data in an outage.\nThe UPS protects every later phase.\n\n"
    "1. it is cheap\n2. it is quick\n\nNothing else can start before it."
)
RESTORE = "stop the stack\nload the dump with psql\n\nthen start the stack"


@pytest.fixture
def project(lab):
    config = lab.config.read_text().replace(
        "phase = 1\n",
        'phase = 1\nrunbook = { restore = "stop the stack\\nload the dump with psql\\n\\nthen start the stack" }\n',
        1,
    )
    lab.config.write_text(config)
    decisions = lab.root / "decisions"
    decisions.mkdir()
    (decisions / "0001-ups-first.md").write_text(
        "---\ndate: 2026-01-05\nprinciple: ups-protection\n---\n\n# UPS before anything else\n\n"
        f"## Decision\n\nThe UPS is Phase 0, Task 1.\n\n## Rationale\n\n{RATIONALE}\n\n"
        "## Revisit when\n\nNever.\n"
    )
    project = load_project(str(lab.config))
    with Cockpit.open(project, write=True) as cockpit:
        cockpit.attest(0, "ups-bought", EVIDENCE)
        cockpit.check([0])
        cockpit.set_task(0, "label-cables", True, NOTE)
        cockpit.override(2, REASON)
    return project


def paragraphs(text: str) -> list[str]:
    return [chunk for chunk in text.split("\n\n") if chunk]


# -- Markdown ---------------------------------------------------------------------------------


def md_blocks(text: str) -> list[tuple[str, list[str]]]:
    """CommonMark's reading of the Markdown: each paragraph as its lines (split at hard breaks)."""
    markdown_it = pytest.importorskip("markdown_it")
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(text)
    assert [t.type for t in tokens if "html" in t.type] == [], "raw HTML in the Markdown"
    found = []
    for index, token in enumerate(tokens):
        if token.type == "inline" and tokens[index - 1].type == "paragraph_open":
            lines, line = [], ""
            for child in token.children or []:
                assert "html" not in child.type, "raw HTML in the Markdown"
                if child.type == "hardbreak":
                    lines, line = [*lines, line], ""
                elif child.type == "softbreak":
                    line += " "
                else:
                    line += child.content
            found.append(("p", [*lines, line]))
        elif token.type in ("bullet_list_open", "ordered_list_open", "heading_open", "fence"):
            found.append((token.type, [token.content]))
    return found


def test_a_multi_paragraph_rationale_keeps_its_paragraphs_and_lines_in_markdown(project):
    text = render(build_report(project), "md")
    blocks = md_blocks(text[text.index("**Rationale**") :])
    expected = [chunk.splitlines() for chunk in paragraphs(RATIONALE)]
    assert [lines for kind, lines in blocks[1:4]] == expected, "three paragraphs, each with its line breaks"
    assert all(kind == "p" for kind, _ in blocks[1:4]), "'1. it is cheap' stays prose, not a list"


def test_a_multi_line_note_in_a_table_row_is_kept_whole_below_the_table(project):
    text = render(build_report(project), "md")
    tasks = next(rows for header, rows in md_tables(text) if header[0] == "Task" and len(rows) == 2)
    note = next(row[3] for row in tasks if "label-cables" in row[0])
    assert note == "labelled the rack side (in full below the table)"
    below = text[text.index("Note of `label-cables`:") :]
    blocks = md_blocks(below)
    assert [lines for _, lines in blocks[1:3]] == [chunk.splitlines() for chunk in paragraphs(NOTE)]
    assert [kind for kind, _ in blocks[1:3]] == ["p", "p"], "a line starting '- ' is not a list"


def test_a_multi_line_override_reason_and_evidence_keep_their_lines_in_markdown(project):
    text = render(build_report(project), "md")
    blocks = md_blocks(text[text.index("**OVERRIDDEN** by") :])
    assert [lines for _, lines in blocks[1:3]] == [chunk.splitlines() for chunk in paragraphs(REASON)]
    overrides = next(rows for header, rows in md_tables(text) if header[:2] == ["Phase", "Reason"])
    assert overrides[0][1] == "opening phase 2 early: (in full below the table)"
    criteria = next(rows for header, rows in md_tables(text) if header[0] == "Criterion")
    assert (
        next(r[6] for r in criteria if "ups-bought" in r[0]) == "receipt 2024-113 (in full below the table)"
    )
    evidence = md_blocks(text[text.index("Evidence of `ups-bought`:") :])[1][1]
    assert evidence[0] == "receipt 2024-113" and evidence[1].startswith("in the binder (attested by ")


def test_a_multi_line_runbook_step_keeps_its_lines_in_markdown(project):
    text = render(build_report(project), "md")
    fences = [lines[0] for kind, lines in md_blocks(text) if kind == "fence"]
    assert RESTORE + "\n" in fences


# -- HTML -------------------------------------------------------------------------------------


def test_the_rationale_is_a_paragraph_each_with_its_lines_in_html(project):
    page = html_tree(render(build_report(project), "html"))
    article = page.by_id("decision-0001")
    rationale = [p for p in article.all("p") if "prose" in p.classes]
    texts = [p.text() for p in rationale]
    assert paragraphs(RATIONALE) == texts[1:4], "Decision first, then each paragraph of the rationale"
    assert re.search(r"\.prose \{[^}]*white-space: pre-wrap", CSS), "line breaks inside a paragraph show"


def test_notes_reasons_and_evidence_keep_their_lines_in_html_and_stay_text(project):
    html_text = render(build_report(project), "html")
    page = html_tree(html_text)
    cells = [cell for _, rows in html_tables(page) for row in rows for cell in row]
    kept = [span.text() for cell in cells for span in cell.all("span") if "prose" in span.classes]
    assert NOTE in kept and REASON in kept
    assert any(text.startswith(EVIDENCE + " (attested by ") for text in kept)
    assert "<b>bold?</b>" not in html_text and "&lt;b&gt;bold?&lt;/b&gt;" in html_text
    assert RESTORE in [pre.text() for pre in page.all("pre")]


def test_the_json_keeps_every_text_exactly_as_typed(project):
    document = json.loads(render(build_report(project), "json"))
    assert document["decisions"][0]["rationale"] == RATIONALE
    assert next(t for t in document["phases"][0]["tasks"] if t["id"] == "label-cables")["note"] == NOTE
    assert document["overrides"][0]["reason"] == REASON
    assert document["services"][0]["runbook"]["restore"] == RESTORE


# -- wrapping ---------------------------------------------------------------------------------


def css_rule(selector: str) -> str:
    match = re.search(rf"(^|\}})\s*{re.escape(selector)} \{{([^}}]*)\}}", CSS, flags=re.M)
    assert match, selector
    return match.group(2)


def test_the_style_sheet_wraps_only_between_words_and_keeps_tokens_whole():
    assert "anywhere" not in CSS, "overflow-wrap: anywhere splits 127.20.0.11 into 127.20.0.1 / 1"
    assert "word-break" not in CSS
    assert "overflow-wrap: break-word" in css_rule("th, td")
    assert "white-space: nowrap" in css_rule("td code, .nowrap")
    assert "white-space: pre-wrap" in css_rule("pre") and "overflow-wrap: break-word" in css_rule("pre")
    assert re.search(r"@page \{[^}]*size: A4", CSS), "printed on A4"


ADDRESS = re.compile(r"\b\d{1,3}(\.\d{1,3}){3}\b")


def test_addresses_numbers_and_ids_in_tables_sit_in_no_wrap_elements(project):
    page = html_tree(render(build_report(project), "html"))
    services = page.by_id("services")
    ((_, rows),) = [(h, r) for h, r in html_tables(services) if h[0] == "Service"]
    for row in rows:
        for cell in (row[1], row[3], row[4]):  # phase, v2, v3
            (span,) = cell.all("span")
            assert "nowrap" in span.classes and span.text() == cell.text()
        assert ADDRESS.fullmatch(row[3].text()) and ADDRESS.fullmatch(row[4].text())
    blockers = page.by_id("blockers")
    ((_, rows),) = html_tables(blockers)
    for row in rows:
        assert "nowrap" in row[0].all("span")[0].classes, "the row number"
        assert row[3].all("code"), "the subject is an id"


def test_long_paths_and_urls_may_wrap_between_their_parts_but_addresses_never_split():
    text = "GET https://127.10.0.11:8006/api2/json/nodes (checked at 2026-11-27T05:28:33.396344Z) 192.168.10.0/24"
    flowed = flow(text)
    assert re.sub(r"<[^>]+>", "", flowed) == html.escape(text)
    assert '<span class="nowrap">2026-11-27</span>' in flowed, "a date never wraps at its dashes"
    pieces = [p for part in flowed.split(WBR) for p in re.sub(r"<[^>]+>", "", part).split()]
    assert "https://" in pieces and "127.10.0.11:8006/" in pieces, "after the scheme and each path part"
    assert "2026-11-27T" in pieces and "05:28:33.396344Z)" in pieces, "between a time's date and its time"
    assert "192.168.10.0/24" in pieces, "a CIDR stays whole"
    assert all(not re.search(r"\d\.$|^\.\d", piece) for piece in pieces), "never inside an address"
    assert flow("<b>a&b/c_d_e_f_g_h_i</b>").replace(WBR, "") == html.escape("<b>a&b/c_d_e_f_g_h_i</b>")
    assert flow("&#2026-11-27;") == '&amp;#<span class="nowrap">2026-11-27</span>;', "escaped first"


def test_a_break_hint_cannot_hide_a_secret_from_the_last_masking_pass(project, monkeypatch):
    """Were a secret to reach the renderer unmasked, a <wbr> inside it must not let it through:
    the page's visible text is checked too, and such a page is refused, never written."""
    from cockpit.secrets import REDACTOR

    render_module = importlib.import_module(
        "cockpit.report.render"
    )  # the package exports `render`, the function

    secret = "very/long_secret/with_parts_inside"
    REDACTOR.add(secret)
    monkeypatch.setattr(render_module, "_redacted", lambda value: value)  # the first pass misses it
    report = build_report(project)
    report.phases[0].tasks[1].note = f"the password is {secret}"
    with pytest.raises(CockpitError, match="secret that could not be masked"):
        render(report, "html")
