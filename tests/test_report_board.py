"""The services board as rendered: each state's DNS answers, drift, needs-attention items, timeline, runbook.

One store per module, recorded by really running the cutover engine against the embedded lab
(which then stops: a report is made from the store alone): immich and sonarr cut over, grafana
rolled back by its failed verification, sonarr then drifted by a hand edit in AdGuard, and
bazarr left in needs_attention with its servers split (AdGuard took the cutover and refused the
undo, Pi-hole refused the cutover). bazarr also carries an older "no drift" from a writer's look,
which must not hide the split. Every format is read back as structure: Markdown tables and
lists, the HTML as a tree, the JSON as data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from cockpit.core import Cockpit
from cockpit.cutover.engine import Engine, drift_report, record_drift
from cockpit.lab.lab import Lab
from cockpit.project import Project, load_project
from cockpit.report import build_report, render
from cockpit.report.model import DnsAnswer, Report, ServiceDns
from cockpit.report.services import drift_time, recorded_drift
from tests.test_report import Node, html_tables, html_tree, md_headings, md_tables
from tests.tui.conftest import FAST

BOARD = ["Service", "Phase", "State", "v2", "v3", "DNS as last seen", "Drift", "Needs attention"]
DNS = ["Server", "Name", "Answer", "Seen"]
TIMELINE = ["#", "Time", "By", "Event", "Outcome", "What"]
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"


@dataclass
class Board:
    project: Project
    report: Report
    md: str
    html: str
    json: dict


def _edit_adguard(lab: Lab, hostname: str, address: str) -> None:
    """A hand edit in the AdGuard web UI: the name's rewrite now answers `address`."""
    with lab.adguard.lock:
        lab.adguard._rewrites[:] = [r for r in lab.adguard._rewrites if r.domain != hostname]
    lab.adguard.add_rewrite(hostname, address)


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Board:
    root = tmp_path_factory.mktemp("report-board")
    lab = Lab(root / "lab", cutover=FAST)
    info = lab.start()
    try:
        project = load_project(info["config"], str(root / "state"))
        with Cockpit.open(project, write=True) as cockpit:
            cockpit.override(4, "the board tests open phase 4")
            engine = Engine(cockpit)
            assert {r["state"] for r in engine.cutover(engine.services(["immich", "sonarr"]))} == {"cut_over"}
            lab.faults.set_v3_down("grafana")
            (grafana,) = engine.cutover(engine.services(["grafana"]), force=True)
            lab.faults.set_v3_down("grafana", False)
            assert grafana["state"] == "rolled_back"
            _edit_adguard(lab, "bazarr.home.arpa", "127.20.0.98")  # a look sees drift, a later one none
            record_drift(cockpit, drift_report(cockpit))
            _edit_adguard(lab, "bazarr.home.arpa", "127.20.0.10")
            record_drift(cockpit, drift_report(cockpit))
            assert cockpit.store.service_record("bazarr")["drift"]["findings"] == []
            lab.faults.set_write_fault("adguard", "error", count=10, after=1)  # takes v3, refuses the undo
            lab.faults.set_write_fault("pihole", "error", count=1)  # refuses the cutover
            (bazarr,) = engine.cutover(engine.services(["bazarr"]))
            lab.faults.clear()
            assert bazarr["state"] == "needs_attention"
        _edit_adguard(lab, "sonarr.home.arpa", "127.20.0.99")
        with Cockpit.open(project, write=True) as cockpit:  # a writer's look after the edit
            record_drift(cockpit, drift_report(cockpit))
    finally:
        lab.stop()
    report = build_report(project)
    return Board(
        project, report, render(report, "md"), render(report, "html"), json.loads(render(report, "json"))
    )


# -- reading each format back ------------------------------------------------------------------


def md_section(text: str, heading: str) -> str:
    """The Markdown from `heading` up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = text.index(heading + "\n")
    rest = text[start + len(heading) :]
    end = re.search(rf"^#{{1,{level}}} ", rest, flags=re.M)
    return heading + (rest[: end.start()] if end else rest)


def md_table(text: str, header: list[str]) -> list[list[str]]:
    (rows,) = [rows for found, rows in md_tables(text) if found == header]
    return rows


def md_items(text: str, heading: str) -> list[str]:
    section = md_section(text, heading)
    return [line[2:] for line in section.splitlines() if line.startswith("- ")]


def md_board(board: Board) -> dict[str, list[str]]:
    return {row[0].strip("`"): row for row in md_table(md_section(board.md, "## Services"), BOARD)}


def html_article(board: Board, service: str) -> Node:
    return html_tree(board.html).by_id(f"service-{service}")


def html_board(board: Board) -> dict[str, list[Node]]:
    services = html_tree(board.html).by_id("services")
    ((header, rows),) = [(h, r) for h, r in html_tables(services) if h == BOARD]
    return {row[0].text(): row for row in rows}


def html_table(node: Node, header: list[str]) -> list[list[Node]]:
    (rows,) = [rows for found, rows in html_tables(node) if found == header]
    return rows


def json_service(board: Board, name: str) -> dict:
    return next(s for s in board.json["services"] if s["name"] == name)


# -- the board --------------------------------------------------------------------------------


EXPECTED_BOARD = {  # state, DNS as last seen, drift (words), needs attention
    "immich": ("cut over", "adguard v3, pihole v3", "none at the last check", "no"),
    "grafana": ("rolled back", "adguard v2, pihole v2", "none at the last check", "no"),
    "sonarr": ("cut over", "adguard v3, pihole v3", "DRIFT (1)", "YES (1)"),
    "bazarr": ("NEEDS ATTENTION", "adguard v3, pihole v2", "DRIFT (1)", "YES (4)"),
    "radarr": ("planned", "never checked", "never checked", "no"),
}


def test_the_markdown_board_says_each_state_its_answers_and_its_drift(board):
    rows = md_board(board)
    for name, (state, dns, drift, attention) in EXPECTED_BOARD.items():
        row = rows[name]
        assert (row[2], row[5], row[6], row[7]) == (state, dns, drift, attention), name
    assert rows["bazarr"][3:5] == ["127.20.0.10", "127.30.0.10"]


def test_the_html_board_says_the_same_and_never_draws_a_split_service_green(board):
    rows = html_board(board)
    for name, (state, dns, drift, attention) in EXPECTED_BOARD.items():
        row = rows[name]
        drift_html = "none" if drift == "none at the last check" else drift
        assert (row[2].text(), row[5].text(), row[6].text(), row[7].text()) == (
            state,
            dns,
            drift_html,
            attention,
        ), name
    bazarr_badges = [
        span.classes for cell in rows["bazarr"] for span in cell.all("span") if "badge" in span.classes
    ]
    assert bazarr_badges and all("good" not in classes for classes in bazarr_badges), "no green for a split"
    assert (
        "good" in rows["immich"][6].all("span")[0].classes
        and "unknown" in rows["radarr"][6].all("span")[0].classes
    )


def test_the_json_board_has_the_newest_answers_with_their_source_and_time(board):
    bazarr = json_service(board, "bazarr")
    assert bazarr["state"] == "needs_attention"
    answers = {(a["server"], a["hostname"]): a for a in bazarr["dns"]["answers"]}
    assert {k: (a["label"], a["answer"], a["source"]) for k, a in answers.items()} == {
        ("adguard", "bazarr.home.arpa"): ("v3", ["127.30.0.10"], "read_back"),
        ("pihole", "bazarr.home.arpa"): ("v2", ["127.20.0.10"], "read_back"),
    }
    assert all(re.fullmatch(TIME, a["at"]) for a in answers.values())
    assert bazarr["dns"]["checked_at"] == max(a["at"] for a in answers.values())
    assert bazarr["dns"]["verified_at"] is None and bazarr["dns"]["ok"] is None
    (split,) = bazarr["drift"]
    assert "the servers disagree" in split and "adguard bazarr.home.arpa v3 (127.30.0.10)" in split
    assert (
        "pihole bazarr.home.arpa v2 (127.20.0.10)" in split
        and bazarr["drift_at"] == bazarr["dns"]["checked_at"]
    )
    grafana = json_service(board, "grafana")
    assert grafana["drift"] == [] and {a["label"] for a in grafana["dns"]["answers"]} == {"v2"}
    assert {a["source"] for a in grafana["dns"]["answers"]} == {"verification"}, (
        "the rollback's own check is newest"
    )
    assert grafana["dns"]["ok"] is True and grafana["dns"]["verified_at"] == grafana["dns"]["checked_at"]
    sonarr = json_service(board, "sonarr")
    assert len(sonarr["drift"]) == 1 and "127.20.0.99" in sonarr["drift"][0]
    assert sonarr["drift_at"] > sonarr["dns"]["checked_at"], (
        "the writer's look is newer than the verification"
    )
    assert (
        json_service(board, "radarr")["drift"] is None
        and json_service(board, "radarr")["dns"]["checked_at"] is None
    )


# -- each service: its DNS table, drift, needs attention --------------------------------------


def test_a_split_service_shows_each_server_answer_with_when_in_markdown_and_html(board):
    at = json_service(board, "bazarr")["dns"]["answers"][0]["at"]
    section = md_section(board.md, "### Service bazarr: Bazarr")
    assert md_table(section, DNS) == [
        ["adguard", "`bazarr.home.arpa`", "v3 (127.30.0.10)", f"read back at {at}"],
        ["pihole", "`bazarr.home.arpa`", "v2 (127.20.0.10)", f"read back at {at}"],
    ]
    assert "- Drift: DRIFT (1), as of" in section and "never checked" not in section
    assert f"DNS as last seen (newest {at}; no verification recorded):" in section
    article = html_article(board, "bazarr")
    rows = html_table(article, DNS)
    assert [[c.text() for c in row] for row in rows] == [
        ["adguard", "bazarr.home.arpa", "v3 (127.30.0.10)", f"read back at {at}"],
        ["pihole", "bazarr.home.arpa", "v2 (127.20.0.10)", f"read back at {at}"],
    ]
    drift = next(p for p in article.all("p") if p.text().startswith("Drift:"))
    assert drift.all("span")[0].text() == "DRIFT (1)" and "bad" in drift.all("span")[0].classes


def test_a_cut_over_and_a_rolled_back_service_show_their_verification(board):
    for name, label, address in (("immich", "v3", "127.30.0.10"), ("grafana", "v2", "127.20.0.10")):
        service = json_service(board, name)
        title = next(s.title for s in board.report.services if s.name == name)
        section = md_section(board.md, f"### Service {name}: {title}")
        verified = service["dns"]["verified_at"]
        assert f"last verification ok at {verified}" in section
        rows = md_table(section, DNS)
        assert {row[2] for row in rows} == {f"{label} ({address})"} and len(rows) == 2 * len(
            service["hostnames"]
        )
        assert {row[3] for row in rows} == {f"answered at {verified}"}
        assert f"- Drift: none at the last check ({verified})" in section
        html_rows = html_table(html_article(board, name), DNS)
        assert {row[2].text() for row in html_rows} == {f"{label} ({address})"}


def test_the_needs_attention_list_is_the_same_in_every_format_and_leads_the_blockers(board):
    bazarr = json_service(board, "bazarr")
    items = bazarr["needs_attention"]
    assert items[0].startswith("needs attention: ") and "restoring failed" in items[0]
    assert any(i.startswith("adguard: bazarr.home.arpa recorded before ['127.20.0.10']") for i in items)
    assert items[-1].startswith("drift: the servers disagree")
    md_list = md_items(md_section(board.md, "### Service bazarr: Bazarr"), "#### Needs attention")
    assert len(md_list) == len(items) and md_list[0].startswith("needs attention: ")
    assert md_list[-1].startswith("drift: the servers disagree")
    article = html_article(board, "bazarr")
    alert = next(div for div in article.all("div") if "alert" in div.classes)
    assert [li.text() for li in alert.all("li")] == items
    sonarr = json_service(board, "sonarr")
    assert len(sonarr["needs_attention"]) == 1 and sonarr["needs_attention"][0].startswith("drift: adguard: ")
    blockers = [(b["kind"], b["subject"]) for b in board.json["blockers"]]
    assert blockers[:2] == [("service", "sonarr"), ("service", "bazarr")]
    rows = md_table(md_section(board.md, "## Open blockers"), ["#", "Kind", "Phase", "Subject", "What"])
    assert [(r[1], r[3]) for r in rows[:2]] == [("service", "`sonarr`"), ("service", "`bazarr`")]
    assert rows[1][4].startswith("bazarr: needs attention: ")


# -- timelines and runbooks --------------------------------------------------------------------


def test_each_timeline_is_the_journal_in_order_in_every_format(board):
    for name in ("immich", "grafana", "bazarr", "sonarr"):
        events = json_service(board, name)["timeline"]
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(seqs) and len(seqs) > 3
        title = next(s.title for s in board.report.services if s.name == name)
        rows = md_table(md_section(board.md, f"### Service {name}: {title}"), TIMELINE)
        assert [int(r[0]) for r in rows] == seqs and [r[3].strip("`") for r in rows] == [
            e["action"] for e in events
        ]
        html_rows = html_table(html_article(board, name), TIMELINE)
        assert [int(r[0].text()) for r in html_rows] == seqs
        assert [r[3].text() for r in html_rows] == [e["action"] for e in events]
    grafana = [(e["action"], e["outcome"], e["summary"]) for e in json_service(board, "grafana")["timeline"]]
    assert ("service.verified", "failed") in [(a, o) for a, o, _ in grafana]
    assert grafana[-1][0] == "service.transition" and grafana[-1][2].startswith("rolling_back -> rolled_back")
    sonarr = [e["action"] for e in json_service(board, "sonarr")["timeline"]]
    assert sonarr[-1] == "drift.observed"


def test_a_failed_write_names_its_server_once_in_the_timeline(board):
    """The adapter's error already starts with the backend's name: the line says the server once."""
    failed = next(
        e
        for e in json_service(board, "bazarr")["timeline"]
        if e["action"] == "dns.outcome" and e["outcome"] == "failed" and e["summary"].startswith("pihole ")
    )
    assert re.findall(r"\bpihole\b", failed["summary"]) == ["pihole"], failed["summary"]
    assert "NOT applied" in failed["summary"] and "adding host record" in failed["summary"]


def test_each_runbook_is_there_in_every_format(board):
    for name in ("immich", "grafana", "bazarr"):
        runbook = json_service(board, name)["runbook"]
        title = next(s.title for s in board.report.services if s.name == name)
        section = md_section(md_section(board.md, f"### Service {name}: {title}"), "#### Runbook")
        article = html_article(board, name)
        for step in ("start", "stop", "backup", "restore", "rollback"):
            body = runbook[step]
            assert body, (name, step)
            assert f"**{step.capitalize()}**\n\n```\n{body}\n```" in section
            assert body in [pre.text() for pre in article.all("pre")]


def test_the_markdown_headings_and_the_html_anchors_name_every_service(board):
    headings = md_headings(board.md)
    tree = html_tree(board.html)
    for service in board.report.services:
        assert (3, f"Service {service.name}" + (f": {service.title}" if service.title else "")) in headings
        assert tree.by_id(f"service-{service.name}").tag == "article"


# -- the drift verdict: a writer's look, newer answers, and a split ---------------------------


def _dns(*answers: tuple[str, str, str]) -> ServiceDns:
    """Answers (server, label, at) for bazarr.home.arpa, read back after a write."""
    address = {"v2": "127.20.0.10", "v3": "127.30.0.10"}
    found = [
        DnsAnswer(
            server=s, hostname="bazarr.home.arpa", answer=[address[lab]], label=lab, source="read_back", at=at
        )
        for s, lab, at in answers
    ]
    return ServiceDns(checked_at=max(a[2] for a in answers), answers=found)


def test_a_writer_s_newer_no_drift_never_hides_a_split(board):
    service = board.project.config.service("bazarr")
    split_dns = _dns(("adguard", "v3", "2026-01-01T10:00:00Z"), ("pihole", "v2", "2026-01-01T10:00:00Z"))
    newer_look = {"state": "needs_attention", "drift": {"findings": [], "at": "2026-01-01T11:00:00Z"}}
    (finding,) = recorded_drift(service, newer_look, "needs_attention", split_dns)
    assert finding.startswith("the servers disagree: adguard bazarr.home.arpa v3 (127.30.0.10)")
    assert drift_time(newer_look, split_dns) == "2026-01-01T11:00:00Z"
    seen = {"state": "needs_attention", "drift": {"findings": ["pihole: odd"], "at": "2026-01-01T11:00:00Z"}}
    assert recorded_drift(service, seen, "needs_attention", split_dns) == ["pihole: odd", finding], "merged"
    agreeing = _dns(("adguard", "v3", "2026-01-01T10:00:00Z"), ("pihole", "v3", "2026-01-01T10:00:00Z"))
    assert recorded_drift(service, newer_look, "needs_attention", agreeing) == []


def test_a_writer_s_look_stands_until_newer_answers_are_recorded(board):
    service = board.project.config.service("bazarr")
    look = {
        "state": "cut_over",
        "drift": {"findings": ["adguard: edited by hand"], "at": "2026-01-01T11:00:00Z"},
    }
    older = _dns(("adguard", "v3", "2026-01-01T10:00:00Z"), ("pihole", "v3", "2026-01-01T10:00:00Z"))
    assert recorded_drift(service, look, "cut_over", older) == ["adguard: edited by hand"]
    newer = _dns(("adguard", "v3", "2026-01-01T12:00:00Z"), ("pihole", "v2", "2026-01-01T12:00:00Z"))
    (finding,) = recorded_drift(service, look, "cut_over", newer)
    assert finding.startswith(
        "pihole: bazarr.home.arpa is v2 (127.20.0.10) (read back at 2026-01-01T12:00:00Z)"
    )
    assert recorded_drift(service, {"state": "planned"}, "planned", ServiceDns()) is None, "never checked"
