"""Provides criterion evaluation: one evaluator per check type, each returning a CheckResult.

Issue 2 evaluates what the store alone can answer (manual attestations, services cut over);
every other type answers `not_evaluated` until its adapter exists: an honest answer, never a
pass. Adapters register an evaluator in EVALUATORS for their check types.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cockpit.models.checks import ServicesCutOver
from cockpit.models.phases import Criterion, CriterionKind
from cockpit.project import Project
from cockpit.results import CheckResult, Outcome
from cockpit.store.journal import utc_now
from cockpit.store.state import Store

SERVICE_DONE_STATES = ("cut_over", "finalized")


@dataclass(frozen=True)
class CheckContext:
    """What an evaluator may consult."""

    project: Project
    store: Store
    phase: int
    kind: CriterionKind


Evaluator = Callable[[Criterion, CheckContext], CheckResult]


def _result(criterion: Criterion, ctx: CheckContext, result: Outcome, **fields: Any) -> CheckResult:
    return CheckResult(
        phase=ctx.phase,
        criterion=criterion.id,
        kind=ctx.kind,
        type=criterion.check.type,
        result=result,
        evaluated_at=utc_now(),
        **fields,
    )


def evaluate_manual(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """A manual criterion passes only by an attestation, with the evidence the operator typed."""
    attestation = ctx.store.attestation(ctx.phase, criterion.id)
    if attestation is None:
        return _result(
            criterion,
            ctx,
            "not_evaluated",
            observed="not attested",
            expected="attestation with evidence",
            detail=f"attest with: cockpit attest {ctx.phase}.{criterion.id} --evidence '...'",
        )
    who = attestation["by"]
    return _result(
        criterion,
        ctx,
        "pass",
        observed=f"attested by {who.get('user')}@{who.get('host')} at {attestation['at']}",
        expected="attestation with evidence",
        evidence=attestation["evidence"],
    )


def evaluate_services_cut_over(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """Every service whose move the phase owns is cut over and verified (or finalized)."""
    check = criterion.check
    assert isinstance(check, ServicesCutOver)
    names = check.services or ctx.project.services_of_phase(
        check.phase if check.phase is not None else ctx.phase
    )
    if not names:
        return _result(
            criterion,
            ctx,
            "inconclusive",
            observed="no services",
            expected="all services cut over",
            detail="the inventory has no services for this phase",
        )
    states = {name: (ctx.store.service_record(name) or {}).get("state", "planned") for name in names}
    pending = sorted(name for name, state in states.items() if state not in SERVICE_DONE_STATES)
    done = len(names) - len(pending)
    return _result(
        criterion,
        ctx,
        "pass" if not pending else "fail",
        observed=f"{done}/{len(names)} cut over" + (f"; not yet: {', '.join(pending)}" if pending else ""),
        expected=f"{len(names)}/{len(names)} cut over",
        evidence="; ".join(f"{name}={state}" for name, state in sorted(states.items())),
    )


# Types answered from the store alone: safe to evaluate even for the example inventory.
STORE_ONLY = ("manual", "services.cut_over")

EVALUATORS: dict[str, Evaluator] = {
    "manual": evaluate_manual,
    "services.cut_over": evaluate_services_cut_over,
}


def evaluate(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """Evaluate one criterion; a type without an evaluator is reported as not evaluated."""
    started = time.perf_counter()
    evaluator = EVALUATORS.get(criterion.check.type)
    expected = criterion.check.model_dump(mode="json", exclude={"type"}, exclude_none=True)
    if evaluator is None:
        reason = f"no adapter evaluates {criterion.check.type} checks in this version of cockpit"
        result = _result(criterion, ctx, "not_evaluated", expected=expected, detail=reason)
    elif ctx.project.config.inventory.example and criterion.check.type not in STORE_ONLY:
        reason = "example inventory: cockpit never contacts its hosts"
        result = _result(criterion, ctx, "not_evaluated", expected=expected, detail=reason)
    else:
        result = evaluator(criterion, ctx)
    result.duration_ms = round((time.perf_counter() - started) * 1000, 3)
    return result
