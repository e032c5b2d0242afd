"""Provides the result of evaluating one criterion.

`not_evaluated` is its own outcome: a check that no adapter has run yet, or a manual criterion
nobody has attested, is never reported as a pass.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from cockpit.models.phases import CriterionKind

Outcome = Literal["pass", "fail", "error", "inconclusive", "not_evaluated"]
OUTCOMES: tuple[Outcome, ...] = ("pass", "fail", "error", "inconclusive", "not_evaluated")


class CheckResult(BaseModel):
    """What one evaluation of a criterion found."""

    phase: int
    criterion: str
    kind: CriterionKind
    type: str
    result: Outcome
    observed: Any = None
    expected: Any = None
    evidence: str | None = None
    detail: str = ""
    evaluated_at: str | None = None
    duration_ms: float | None = None

    @property
    def passed(self) -> bool:
        return self.result == "pass"

    def record(self) -> dict[str, Any]:
        """The form kept in the store and the journal."""
        return self.model_dump(exclude={"phase"})
