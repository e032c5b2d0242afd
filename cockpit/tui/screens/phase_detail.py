"""Provides the detail pane of the Phase screen: a criterion's last result, or a task with its runbook.

Plain functions from the loaded values to a `Text`, so the pane never asks a backend and every
value passes through `safe` (secrets masked, never markup).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from cockpit.models.checks import ManualCheck
from cockpit.models.phases import Criterion, Task
from cockpit.results import CheckResult
from cockpit.tui.text import OUTCOME_LABELS, OUTCOME_STYLES, redact, safe, when

OUTPUT_CHARS = 400


def _who(record: dict[str, Any]) -> str:
    by = record.get("by") or {}
    return f"{by.get('user', '?')}@{by.get('host', '?')}" if isinstance(by, dict) else str(by)


def criterion_detail(criterion: Criterion, result: CheckResult) -> Text:
    text = Text()
    text.append(f"{result.kind} criterion {criterion.id}", style="bold")
    text.append(safe(f": {criterion.title}\n"))
    text.append(f"check {criterion.check.type}, principle {criterion.principle}\n", style="dim")
    text.append("result: ")
    text.append(OUTCOME_LABELS[result.result], style=OUTCOME_STYLES[result.result])
    took = f" ({result.duration_ms:.0f} ms)" if result.duration_ms is not None else ""
    text.append(f"    evaluated: {when(result.evaluated_at)}{took}\n")
    if result.observed is not None:
        text.append(safe(f"observed: {redact(result.observed)}\n"))
    if result.expected is not None:
        text.append(safe(f"expected: {redact(result.expected)}\n"))
    if result.evidence:
        text.append(safe(f"evidence: {result.evidence}\n"))
    if result.detail:
        text.append(safe(f"{result.detail}\n", "italic"))
    if isinstance(criterion.check, ManualCheck):
        text.append(safe(f"\nattest (key a): {criterion.check.prompt}\n"))
        text.append(safe(f"why manual: {criterion.check.why_manual}\n", "dim"))
    return text


def _last_run(run: dict[str, Any]) -> Text:
    text = Text()
    outcome = "ok" if run.get("ok") else "FAILED"
    text.append(f"last run: {outcome}, {when(run.get('at'))} by {_who(run)}\n", style="bold")
    for step in run.get("steps") or []:
        mark = "ok  " if step.get("ok") else "FAIL"
        output = str(step.get("output") or "").strip()[:OUTPUT_CHARS]
        text.append(safe(f"  {mark} {step.get('action')} {step.get('target')}: {output}\n"))
    return text


def task_detail(task: Task, record: dict[str, Any]) -> Text:
    text = Text()
    text.append(f"task {task.id}", style="bold")
    text.append(safe(f": {task.title}"))
    text.append("  (required)\n" if task.required else "  (optional)\n", style="dim")
    if record.get("done"):
        text.append(f"done, {when(record.get('at'))} by {_who(record)}", style="green")
    else:
        text.append("open" + (f" since {when(record.get('at'))}" if record.get("at") else ""))
    if record.get("note"):
        text.append(safe(f"; note: {record['note']}"))
    text.append("\n")
    if task.actions:
        names = ", ".join(
            f"{a.type} {getattr(a, 'guest', None) or getattr(a, 'host', None) or ''}".strip()
            for a in task.actions
        )
        text.append(safe(f"actions (key t): {names}\n"))
    if record.get("last_run"):
        text.append(_last_run(record["last_run"]))
    text.append("\nRunbook\n", style="bold underline")
    text.append(safe(task.runbook))
    return text
