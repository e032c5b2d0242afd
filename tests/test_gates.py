"""The operator's path through the gates: sequential phases, attestations, overrides, latches."""

from __future__ import annotations


def phases(result):
    return {p["id"]: p for p in result.json["phases"]}


def test_a_new_store_has_phase_0_ready_and_the_rest_locked(cli):
    status = cli("status", "--json")
    assert status.code == 0
    states = {i: p["state"] for i, p in phases(status).items()}
    assert states == {0: "ready", 1: "locked", 2: "locked"}
    assert status.json["services"] == [
        {
            "name": "immich",
            "hostname": "immich.home.arpa",
            "phase": 1,
            "cutover": "dns",
            "state": "planned",
            "drift": None,
        }  # nothing answers on this test's DNS API addresses: drift unknown, not "none"
    ]


def test_tasks_of_a_phase_that_is_not_open_are_refused(cli):
    result = cli("task", "done", "1.cut-immich", "--note", "skipping ahead")
    assert result.code == 3
    assert "phase 1 is locked (phase 0 is not complete)" in result.err
    result = cli("task", "done", "0.install-ups", "--note", "too early")
    assert result.code == 3
    assert "phase 0 is ready (its entry criteria have not all passed" in result.err


def test_attest_then_check_opens_the_phase_and_records_evidence(cli):
    assert cli("check", "0").code == 1
    assert cli("attest", "0.ups-bought", "--evidence", "invoice 4711, photo in NAS/docs").code == 0
    run = cli("check", "0", "--json")
    assert run.json["latched"] == [{"phase": 0, "state": "active"}]
    assert run.json["recorded"] is True
    entry = next(r for r in run.json["results"] if r["criterion"] == "ups-bought")
    assert entry["result"] == "pass" and entry["evidence"] == "invoice 4711, photo in NAS/docs"
    assert phases(cli("status", "--json"))[0]["state"] == "active"


def test_a_phase_completes_with_required_tasks_and_exit_criteria_then_unlocks_the_next(cli):
    cli("attest", "0.ups-bought", "--evidence", "invoice")
    cli("check", "0")
    assert cli("task", "done", "0.install-ups", "--note", "APC on the rack shelf").code == 0
    cli("attest", "0.drill-observed", "--evidence", "nodes went down first, NAS last")
    run = cli("check", "0", "--json")
    assert run.code == 0, run.out
    assert run.json["latched"] == [{"phase": 0, "state": "complete"}]
    status = phases(cli("status", "--json"))
    assert status[0]["state"] == "complete" and status[0]["tasks_done"] == 1  # optional task not needed
    assert status[1]["state"] == "ready"


def test_unevaluated_automated_criteria_never_pass(cli):
    cli("override", "1", "--reason", "testing the services board early")
    run = cli("check", "1", "--json")
    assert run.code == 1
    by_id = {r["criterion"]: r for r in run.json["results"]}
    assert by_id["nas-online"]["result"] == "error"  # no [proxmox] in this inventory: could not ask
    assert "no [proxmox] section" in by_id["nas-online"]["detail"]
    assert by_id["all-cut-over"]["result"] == "fail"
    assert by_id["all-cut-over"]["observed"] == "0/1 cut over; not yet: immich"


def test_complete_latches_and_a_later_regression_is_a_warning_not_a_relock(cli):
    cli("attest", "0.ups-bought", "--evidence", "invoice")
    cli("check", "0")
    cli("task", "done", "0.install-ups")
    cli("attest", "0.drill-observed", "--evidence", "seen")
    cli("check", "0")
    assert cli("attest", "0.drill-observed", "--revoke", "--evidence", "drill was wrong").code == 0
    cli("task", "undo", "0.install-ups", "--note", "UPS returned for RMA")
    status = phases(cli("status", "--json"))
    assert status[0]["state"] == "complete"
    assert status[1]["state"] == "ready"
    assert status[0]["regressions"] == [
        "required task install-ups is no longer done",
        "exit criterion drill-observed is no longer attested",
    ]


def test_override_needs_a_typed_reason_and_stays_flagged(cli):
    assert cli("override", "2", "--reason", "").code == 2
    result = cli("override", "2", "--reason", "lab hardware arrived early, want to test")
    assert result.code == 0
    status = phases(cli("status", "--json"))
    assert status[2]["state"] == "active" and status[2]["overridden"] is True
    assert status[2]["override_reason"] == "lab hardware arrived early, want to test"
    assert status[1]["state"] == "locked"
    audit = cli("audit", "--json", "--action", "phase.overridden").json["events"]
    assert audit[0]["after"] == {"reason": "lab hardware arrived early, want to test"}
    assert audit[0]["before"] == {"state": "locked"}
    assert cli("override", "2", "--reason", "again and again").code == 2


def test_attesting_an_automated_criterion_is_bad_input(cli):
    cli("override", "1", "--reason", "testing the services board early")
    result = cli("attest", "1.nas-online", "--evidence", "I looked")
    assert result.code == 2
    assert "1.nas-online is checked by proxmox.node_online, not attested" in result.err


def test_unknown_task_or_phase_is_bad_input(cli):
    assert cli("task", "done", "0.nope").code == 2
    assert cli("check", "9").code == 2
    assert cli("task", "done", "zero.install").code == 2


def test_every_change_is_audited_with_operator_before_and_after(cli, monkeypatch):
    monkeypatch.setenv("SSH_CLIENT", "203.0.113.7 50022 22")
    cli("attest", "0.ups-bought", "--evidence", "invoice")
    event = cli("audit", "--json", "--limit", "1").json["events"][0]
    assert event["action"] == "criterion.attested"
    assert event["subject"] == "0.ups-bought"
    assert event["operator"]["ssh_client"] == "203.0.113.7"
    assert event["before"] is None and event["after"] == {"evidence": "invoice"}
    assert event["outcome"] == "ok"


def test_bad_arguments_to_a_change_write_nothing(lab, cli):
    for args in (
        ("task", "done", "0.nope"),
        ("attest", "0.nope", "--evidence", "x"),
        ("attest", "0.ups-bought", "--evidence", "  "),
        ("override", "1", "--reason", "short"),
        ("override", "8", "--reason", "a long enough reason"),
        ("attest", "0.install-ups", "--evidence", "x"),
        ("attest", "0.ups-bought", "--revoke"),
    ):
        result = cli(*args)
        assert result.code == 2, args
    assert not lab.state.exists()


def test_an_empty_store_file_stops_every_command_with_exit_2(lab, cli):
    cli("attest", "0.ups-bought", "--evidence", "invoice")
    (lab.state / "cockpit-state.json").write_bytes(b"")
    for args in (("status",), ("attest", "0.ups-bought", "--evidence", "again"), ("check", "0")):
        result = cli(*args)
        assert result.code == 2
        assert (
            "the store file is empty; refusing to use it. restore the previous generation with: cp"
            in result.err
        )
    assert (lab.state / "cockpit-state.json").read_bytes() == b""
