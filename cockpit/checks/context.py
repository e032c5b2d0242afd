"""Provides what an evaluator may consult: the project, the store, and the shared network clients."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from cockpit.models.phases import Criterion, CriterionKind
from cockpit.project import Project
from cockpit.results import CheckResult, Outcome
from cockpit.store.journal import utc_now
from cockpit.store.state import Store

if TYPE_CHECKING:  # httpx costs tens of milliseconds to import: only when a check runs
    import httpx


@dataclass(frozen=True)
class CheckContext:
    """One criterion's view: which phase and kind it belongs to, and the run's shared clients."""

    project: Project
    store: Store
    phase: int = 0
    kind: CriterionKind = "entry"
    http: httpx.AsyncClient | None = None

    def for_phase(self, phase: int, kind: str) -> CheckContext:
        return replace(self, phase=phase, kind=kind)  # type: ignore[arg-type]

    @classmethod
    @contextlib.asynccontextmanager
    async def network(cls, project: Project, store: Store) -> AsyncIterator[CheckContext]:
        """A context whose HTTP client lives for one check run (connections are reused across criteria)."""
        from cockpit.adapters.httpbase import async_client

        async with async_client("a check") as http:
            yield cls(project, store, http=http)


Evaluator = Callable[[Criterion, CheckContext], Awaitable[CheckResult]]


def result(criterion: Criterion, ctx: CheckContext, outcome: Outcome, **fields: Any) -> CheckResult:
    return CheckResult(
        phase=ctx.phase,
        criterion=criterion.id,
        kind=ctx.kind,
        type=criterion.check.type,
        result=outcome,
        evaluated_at=utc_now(),
        **fields,
    )
