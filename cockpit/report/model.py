"""Provides the report model: everything a progress report says, as plain typed data.

The three renderers (Markdown, HTML, JSON) draw from this one model, so they cannot disagree.
Its JSON form is the versioned, documented schema in `schema.json`: bump `SCHEMA_VERSION` (and
the schema) whenever a field changes meaning or goes away; adding an optional field does not.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

SCHEMA_VERSION = 1

BlockerKind = Literal["regression", "service", "pending", "criterion", "task"]
AnswerLabel = Literal["v2", "v3", "old", "other", "nxdomain", "error"]
AnswerSource = Literal["verification", "read_back"]
RUNBOOK_STEPS = ("start", "stop", "backup", "restore", "rollback")


class Who(BaseModel):
    """The operator behind an event, as the journal records it."""

    user: str | None = None
    host: str | None = None
    ssh_client: str | None = None

    def __str__(self) -> str:
        via = f" via {self.ssh_client}" if self.ssh_client else ""
        return f"{self.user or '?'}@{self.host or '?'}{via}"


class Stamp(BaseModel):
    """Who did something and when (a latch, an attestation, a task marked done)."""

    by: Who | None = None
    at: str | None = None


class Attestation(Stamp):
    """A manual criterion's attestation: the evidence the operator typed."""

    evidence: str


class CriterionReport(BaseModel):
    """One criterion and what is known of it now (the last recorded check, or the attestation)."""

    id: str
    kind: Literal["entry", "exit"]
    title: str
    principle: str
    type: str
    result: Literal["pass", "fail", "error", "inconclusive", "not_evaluated"]
    observed: Any = None
    expected: Any = None
    evidence: str | None = None
    detail: str = ""
    evaluated_at: str | None = None
    attestation: Attestation | None = None


class TaskReport(BaseModel):
    """One task: done or open, with the note and who marked it."""

    id: str
    title: str
    required: bool
    done: bool
    note: str | None = None
    by: Who | None = None
    at: str | None = None
    last_run: str | None = Field(default=None, description="outcome of the last run of its actions")


class OverrideReport(Stamp):
    """An override that opened a closed phase, with the reason typed for it."""

    phase: int
    reason: str
    in_force: bool


class PhaseReport(BaseModel):
    """One phase: its gate, its tasks and every criterion."""

    id: int
    title: str
    goal: str
    state: Literal["locked", "ready", "active", "complete"]
    overridden: bool
    override: OverrideReport | None = None
    activated: Stamp | None = None
    completed: Stamp | None = None
    tasks_done: int
    tasks_total: int
    criteria_passed: int
    criteria_total: int
    tasks: list[TaskReport]
    criteria: list[CriterionReport]
    regressions: list[str] = []


class DnsAnswer(BaseModel):
    """What one DNS server held for one name, from the newest record of it (see `knowledge`)."""

    server: str
    hostname: str
    answer: list[str] | str
    label: AnswerLabel
    source: AnswerSource = Field(
        default="verification",
        description="verification: a DNS query; read_back: the entries the engine read back after a write",
    )
    at: str | None = Field(default=None, description="when that record was made")


class ServiceDns(BaseModel):
    """What is known of a service's names; `checked_at` (the newest record) None: never checked."""

    checked_at: str | None = None
    ok: bool | None = Field(default=None, description="the verdict of the last recorded verification")
    verified_at: str | None = Field(default=None, description="when that verification was recorded")
    answers: list[DnsAnswer] = []


class Runbook(BaseModel):
    """A service's runbook text; `missing` names the steps nobody has written yet."""

    start: str | None = None
    stop: str | None = None
    backup: str | None = None
    restore: str | None = None
    rollback: str | None = None
    notes: str | None = Field(
        default=None, description="anything else (an older one-block runbook lands here)"
    )
    missing: list[str] = []


class TimelineEntry(BaseModel):
    """One journal event about a service, in one line."""

    seq: int
    time: str
    by: Who | None = None
    action: str
    outcome: str
    summary: str


class ServiceReport(BaseModel):
    """One move of a service from v2 to v3, as the store last recorded it."""

    name: str
    title: str
    hostnames: list[str]
    phase: int
    cutover: Literal["dns", "manual"]
    rollback_policy: str
    state: str
    since: str | None = None
    reason: str = ""
    v2: str | None = None
    v3: str
    dns: ServiceDns
    drift: list[str] | None = Field(description="None: never checked; empty: none seen at the last check")
    drift_at: str | None = Field(
        default=None, description="when what the drift verdict rests on was recorded"
    )
    needs_attention: list[str] = []
    runbook: Runbook
    timeline: list[TimelineEntry] = []


class DecisionReport(BaseModel):
    """One entry of the decisions log."""

    id: str
    title: str
    date: str | None = None
    decision: str = ""
    rationale: str = ""
    principle: str | None = None
    revisit: str | None = None
    path: str | None = None


class Blocker(BaseModel):
    """Something that stands between the operator and the next step, most serious first."""

    kind: BlockerKind
    phase: int | None = None
    subject: str
    message: str


class Source(BaseModel):
    """Where the report's facts came from: the config and the store (never a live backend)."""

    config: str
    origin: str
    example: bool
    store: str
    journal_seq: int


class Summary(BaseModel):
    """The numbers on the first line of every report."""

    phases_total: int
    phases_complete: int
    current_phase: int | None
    tasks_done: int
    tasks_total: int
    services_total: int
    services_done: int
    blockers: int


class Report(BaseModel):
    """A whole progress report."""

    schema_version: Literal[1] = 1
    generated_at: str
    operator: Who
    source: Source
    summary: Summary
    blockers: list[Blocker]
    phases: list[PhaseReport]
    overrides: list[OverrideReport]
    services: list[ServiceReport]
    decisions: list[DecisionReport]
    decisions_note: str | None = Field(default=None, description="why the decisions log is empty or missing")
