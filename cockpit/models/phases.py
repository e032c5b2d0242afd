"""Provides the phase model: entry criteria, ordered tasks, exit criteria, each tracing to a principle."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from cockpit.models.actions import TaskAction
from cockpit.models.base import Slug, Strict, Text
from cockpit.models.checks import Check
from cockpit.principles import PRINCIPLES


def _known_principle(value: str) -> str:
    if value not in PRINCIPLES:
        raise ValueError(f"unknown principle '{value}' (known: {', '.join(PRINCIPLES)})")
    return value


CriterionKind = Literal["entry", "exit"]
PrincipleId = Annotated[str, AfterValidator(_known_principle)]


class Criterion(Strict):
    """A condition that gates a phase, with a typed check."""

    id: Slug
    title: Text
    principle: PrincipleId
    check: Check

    @property
    def manual(self) -> bool:
        return self.check.type == "manual"


class Task(Strict):
    """One piece of work in a phase, with runbook text: what to do and how to check it."""

    id: Slug
    title: Text
    runbook: Text
    principle: PrincipleId
    required: bool = True
    actions: list[TaskAction] = []


class Phase(Strict):
    """One phase of the rebuild."""

    id: int = Field(ge=0, le=99)
    title: Text
    goal: Text
    entry: list[Criterion] = []
    tasks: list[Task] = Field(min_length=1)
    exit: list[Criterion] = Field(min_length=1)

    def criteria(self) -> list[tuple[CriterionKind, Criterion]]:
        """Entry then exit criteria, each with its kind ('entry' or 'exit')."""
        entry: list[tuple[CriterionKind, Criterion]] = [("entry", c) for c in self.entry]
        return entry + [("exit", c) for c in self.exit]

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for _, c in self.criteria() if c.id == criterion_id), None)

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)
