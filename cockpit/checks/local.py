"""Provides the evaluators that the store alone can answer: manual attestations and services cut over."""

from __future__ import annotations

from cockpit.checks.context import CheckContext, result
from cockpit.models.checks import ServicesCutOver
from cockpit.models.phases import Criterion
from cockpit.results import CheckResult

SERVICE_DONE_STATES = ("cut_over", "finalized")

# Types answered from the store alone: safe to evaluate even for the example inventory.
STORE_ONLY = ("manual", "services.cut_over")


def attestation_result(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """A manual criterion passes only by an attestation, with the evidence the operator typed."""
    attestation = ctx.store.attestation(ctx.phase, criterion.id)
    if attestation is None:
        return result(
            criterion,
            ctx,
            "not_evaluated",
            observed="not attested",
            expected="attestation with evidence",
            detail=f"attest with: cockpit attest {ctx.phase}.{criterion.id} --evidence '...'",
        )
    who = attestation["by"]
    return result(
        criterion,
        ctx,
        "pass",
        observed=f"attested by {who.get('user')}@{who.get('host')} at {attestation['at']}",
        expected="attestation with evidence",
        evidence=attestation["evidence"],
    )


async def evaluate_manual(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    return attestation_result(criterion, ctx)


async def evaluate_services_cut_over(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """Every DNS cutover the phase owns is cut over and verified (or finalized)."""
    check = criterion.check
    assert isinstance(check, ServicesCutOver)
    names = check.services or ctx.project.services_of_phase(
        check.phase if check.phase is not None else ctx.phase
    )
    if not names:
        return result(
            criterion,
            ctx,
            "inconclusive",
            observed="no services",
            expected="all services cut over",
            detail="the inventory has no DNS cutovers for this phase",
        )
    states = {name: (ctx.store.service_record(name) or {}).get("state", "planned") for name in names}
    pending = sorted(name for name, state in states.items() if state not in SERVICE_DONE_STATES)
    done = len(names) - len(pending)
    return result(
        criterion,
        ctx,
        "pass" if not pending else "fail",
        observed=f"{done}/{len(names)} cut over" + (f"; not yet: {', '.join(pending)}" if pending else ""),
        expected=f"{len(names)}/{len(names)} cut over",
        evidence="; ".join(f"{name}={state}" for name, state in sorted(states.items())),
    )
