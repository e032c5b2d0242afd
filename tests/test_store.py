"""The store never loses progress: atomic writes, refusals of untrusted files, journal replay, migrations."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cockpit.errors import StoreError
from cockpit.operator import Operator
from cockpit.store import schema
from cockpit.store.journal import Journal
from cockpit.store.state import JOURNAL_FILE, STATE_FILE, Store

OP = Operator("ops", "laptop", None)


def open_writer(path: Path) -> Store:
    return Store.open_writer(path, OP)


def done(store: Store, task: str, note: str = "") -> None:
    store.record("task.done", f"0.{task}", after={"done": True, "note": note})


def test_a_change_survives_reopen_and_keeps_the_previous_generation(tmp_path):
    store = open_writer(tmp_path)
    done(store, "a", "first")
    done(store, "b", "second")
    store.close()
    backup = json.loads((tmp_path / f"{STATE_FILE}.bak").read_text())
    assert "0.b" not in json.dumps(backup) and "0.a" in json.dumps(backup)
    store = open_writer(tmp_path)
    assert store.task(0, "a")["note"] == "first" and store.task(0, "b")["note"] == "second"
    store.close()


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "the store file is empty"),
        (b"   \n", "the store file is empty"),
        (b'{"meta": {"1": {"schema_version": 1, "journ', "the store file is not valid JSON"),
        (b"[1, 2]", "the store file is not a cockpit store"),
        (b'{"tasks": {}}', "the store file has no schema version"),
    ],
)
def test_an_untrusted_store_is_refused_naming_the_file_and_the_backup(tmp_path, content, why):
    store = open_writer(tmp_path)
    done(store, "a")
    store.close()
    (tmp_path / STATE_FILE).write_bytes(content)
    for opener in (Store.open_writer, Store.open_reader):
        with pytest.raises(StoreError) as info:
            opener(tmp_path, OP)
        message = str(info.value)
        assert why in message
        assert str(tmp_path / STATE_FILE) in message
        assert (
            f"restore the previous generation with: cp {tmp_path / STATE_FILE}.bak {tmp_path / STATE_FILE}"
            in message
        )
        assert info.value.exit_code == 2
    assert (tmp_path / STATE_FILE).read_bytes() == content  # nothing written
    assert not (tmp_path / "cockpit.lock").read_bytes()  # lock released after the refusal


def test_a_crash_between_journal_and_state_is_replayed_from_the_journal(tmp_path):
    store = open_writer(tmp_path)
    done(store, "a", "kept in state")
    store.close()
    # The journal got the event, the process died before the state write.
    journal = Journal(tmp_path / JOURNAL_FILE)
    journal.open_for_append()
    journal.append(OP, "task.done", "0.b", after={"done": True, "note": "only in the journal"})
    journal.close()
    reader = Store.open_reader(tmp_path, OP)
    assert reader.task(0, "b")["note"] == "only in the journal"
    assert (
        json.loads((tmp_path / STATE_FILE).read_text())["meta"]["1"]["journal_seq"] == 2
    )  # reader wrote nothing
    store = open_writer(tmp_path)
    assert store.task(0, "b")["note"] == "only in the journal"
    assert store.journal_seq == 3
    store.close()


def test_a_deleted_state_file_is_rebuilt_from_the_journal(tmp_path):
    store = open_writer(tmp_path)
    done(store, "a", "one")
    store.record("criterion.attested", "0.bought", after={"evidence": "receipt"})
    store.close()
    (tmp_path / STATE_FILE).unlink()
    (tmp_path / f"{STATE_FILE}.bak").unlink()
    store = open_writer(tmp_path)
    assert store.task(0, "a")["note"] == "one"
    assert store.attestation(0, "bought")["evidence"] == "receipt"
    store.close()
    actions = [e["action"] for e in Journal(tmp_path / JOURNAL_FILE).scan()[0]]
    assert actions[-1] == "store.rebuilt"


def test_a_torn_journal_tail_is_cut_and_the_repair_recorded(tmp_path):
    store = open_writer(tmp_path)
    done(store, "a")
    store.close()
    with open(tmp_path / JOURNAL_FILE, "ab") as handle:
        handle.write(b'{"seq":3,"time":"2026')
    store = open_writer(tmp_path)
    events, corrupt = store.journal.scan()
    assert corrupt == []
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[-1]["action"] == "journal.repaired"
    assert events[-1]["after"] == {"torn_bytes_dropped": 21}
    store.close()


def test_the_journal_is_never_rewritten_only_appended(tmp_path):
    store = open_writer(tmp_path)
    done(store, "a")
    before = (tmp_path / JOURNAL_FILE).read_bytes()
    done(store, "b")
    store.close()
    assert (tmp_path / JOURNAL_FILE).read_bytes().startswith(before)


def test_a_reader_never_takes_the_lock_and_sees_a_whole_generation(tmp_path):
    writer = open_writer(tmp_path)
    done(writer, "a", "x")
    reader = Store.open_reader(tmp_path, OP)
    assert reader.task(0, "a")["note"] == "x"
    assert not reader.writable
    done(writer, "b", "y")
    writer.close()


def test_migrations_run_from_an_earlier_version_and_keep_a_copy(tmp_path, monkeypatch):
    """The mechanism every later schema version uses (fixture stores join this test from version 2 on)."""
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    monkeypatch.setattr("cockpit.store.state.SCHEMA_VERSION", 2)

    def rename_note(data):
        for doc in data.get("tasks", {}).values():
            doc["comment"] = doc.pop("note", "")
        return data

    monkeypatch.setitem(schema.MIGRATIONS, 1, rename_note)
    v1 = {
        "meta": {"1": {"schema_version": 1, "journal_seq": 0}},
        "tasks": {"1": {"key": "0.a", "phase": 0, "task": "a", "done": True, "note": "old"}},
    }
    (tmp_path / STATE_FILE).write_text(json.dumps(v1))
    store = open_writer(tmp_path)
    assert store.task(0, "a")["comment"] == "old"
    assert store.migrated_from == 1
    store.close()
    assert json.loads((tmp_path / f"{STATE_FILE}.v1.bak").read_text()) == v1
    assert json.loads((tmp_path / STATE_FILE).read_text())["meta"]["1"]["schema_version"] == 2


def test_files_are_private_to_the_operator(tmp_path):
    store = open_writer(tmp_path)
    done(store, "a")
    store.close()
    for name in (STATE_FILE, JOURNAL_FILE):
        assert os.stat(tmp_path / name).st_mode & 0o077 == 0


def test_a_store_from_a_newer_cockpit_asks_for_an_upgrade_not_a_restore(tmp_path):
    (tmp_path / STATE_FILE).write_text('{"meta": {"1": {"schema_version": 99, "journal_seq": 0}}}')
    with pytest.raises(
        StoreError,
        match="newer than this cockpit knows .1.; refusing to use it. it was written by a newer cockpit: upgrade cockpit",
    ):
        open_writer(tmp_path)


def test_without_a_backup_the_refusal_says_how_to_rebuild_from_the_journal(tmp_path):
    store = open_writer(tmp_path)
    done(store, "a")
    store.close()
    (tmp_path / f"{STATE_FILE}.bak").unlink()
    (tmp_path / STATE_FILE).write_bytes(b"{torn")
    with pytest.raises(StoreError, match=f"move {tmp_path / STATE_FILE} aside and run cockpit again"):
        open_writer(tmp_path)


@pytest.mark.parametrize("keep", [0, 2])
def test_a_journal_behind_the_state_is_refused_not_continued(tmp_path, keep):
    store = open_writer(tmp_path)
    for name in "abcd":
        done(store, name)
    store.close()
    lines = (tmp_path / JOURNAL_FILE).read_bytes().splitlines(keepends=True)
    (tmp_path / JOURNAL_FILE).write_bytes(b"".join(lines[:keep]))
    for opener in (Store.open_writer, Store.open_reader):
        with pytest.raises(
            StoreError, match=f"the journal ends at event {keep} but the state .* has seen event 5"
        ):
            opener(tmp_path, OP)


def test_opening_a_new_store_writes_nothing_until_the_first_change(tmp_path):
    store = open_writer(tmp_path / "state")
    store.close()
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["cockpit.lock"]
    store = open_writer(tmp_path / "state")
    done(store, "a")
    store.close()
    events = Journal(tmp_path / "state" / JOURNAL_FILE).scan()[0]
    assert [e["action"] for e in events] == ["store.created", "task.done"]


@pytest.mark.parametrize("secret", ["155", "true", "2026", 'pa"ss\\word', "ok"])
def test_redaction_masks_values_never_json_syntax(tmp_path, secret):
    from cockpit.secrets import MASK, Redactor

    redactor = Redactor()
    redactor.add(secret)
    event = {"seq": 155, "done": True, "time": "2026-11-27", "note": f"pasted {secret}"}
    masked = redactor.redact_values(event)
    assert masked["seq"] == 155 and masked["done"] is True
    if len(secret) >= 3:
        assert masked["note"] == f"pasted {MASK}"


def test_a_damaged_line_inside_the_journal_is_reported_by_validate_and_audit(lab, cli):
    cli("attest", "0.ups-bought", "--evidence", "invoice")
    cli("attest", "0.ups-bought", "--evidence", "invoice, again")
    journal = lab.state / JOURNAL_FILE
    lines = journal.read_bytes().splitlines(keepends=True)
    lines[1] = b"garbage{\n"
    journal.write_bytes(b"".join(lines))
    result = cli("validate")
    assert result.code == 2
    assert f"{journal}:2: not a valid journal event: 'garbage{{'" in result.err
    audit = cli("audit")
    assert audit.code == 0
    assert f"cockpit: warning: {journal}:2: not a valid journal event" in audit.err
