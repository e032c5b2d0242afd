"""Provides criterion evaluation: one evaluator per check type, run concurrently, each with a timeout.

Every evaluator is a coroutine returning a CheckResult. A type without an evaluator, and every
automated type on the example inventory (which is never contacted), is reported as
`not_evaluated`: an honest answer, never a pass.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from cockpit.checks.command import evaluate_command
from cockpit.checks.context import CheckContext, Evaluator, result
from cockpit.checks.local import STORE_ONLY, evaluate_manual, evaluate_services_cut_over
from cockpit.checks.network import evaluate_dns_resolves, evaluate_http_ok
from cockpit.checks.nut import EVALUATORS as NUT_EVALUATORS
from cockpit.checks.proxmox import EVALUATORS as PROXMOX_EVALUATORS
from cockpit.checks.unifi import EVALUATORS as UNIFI_EVALUATORS
from cockpit.errors import CockpitError
from cockpit.models.phases import Criterion, Phase
from cockpit.project import Project
from cockpit.results import CheckResult
from cockpit.store.state import Store

OnResult = Callable[[CheckResult, int, int], None]  # (result, evaluated so far, total)

CONCURRENCY = 8
CRITERION_TIMEOUT = 20.0

EVALUATORS: dict[str, Evaluator] = {
    "manual": evaluate_manual,
    "services.cut_over": evaluate_services_cut_over,
    "dns.resolves": evaluate_dns_resolves,
    "http.ok": evaluate_http_ok,
    "command": evaluate_command,
    **NUT_EVALUATORS,
    **PROXMOX_EVALUATORS,
    **UNIFI_EVALUATORS,
}

__all__ = ["CheckContext", "EVALUATORS", "evaluate", "evaluate_manual", "run_checks"]


async def evaluate(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """Evaluate one criterion within its timeout; a failure to ask is an `error`, never a crash."""
    started = time.perf_counter()
    evaluator = EVALUATORS.get(criterion.check.type)
    expected = criterion.check.model_dump(mode="json", exclude={"type"}, exclude_none=True)
    if evaluator is None:
        reason = f"no adapter evaluates {criterion.check.type} checks in this version of cockpit"
        outcome = result(criterion, ctx, "not_evaluated", expected=expected, detail=reason)
    elif ctx.project.config.inventory.example and criterion.check.type not in STORE_ONLY:
        reason = "example inventory: cockpit never contacts its hosts"
        outcome = result(criterion, ctx, "not_evaluated", expected=expected, detail=reason)
    else:
        try:
            outcome = await asyncio.wait_for(evaluator(criterion, ctx), CRITERION_TIMEOUT)
        except TimeoutError:
            outcome = result(
                criterion, ctx, "error", expected=expected, detail=f"no result within {CRITERION_TIMEOUT:g} s"
            )
        except CockpitError as exc:
            outcome = result(criterion, ctx, "error", expected=expected, detail=str(exc))
        except Exception as exc:  # noqa: BLE001 - one criterion's surprise never takes the whole run down
            detail = f"unexpected {type(exc).__name__}: {exc}"
            outcome = result(criterion, ctx, "error", expected=expected, detail=detail)
    outcome.duration_ms = round((time.perf_counter() - started) * 1000, 3)
    return outcome


async def _run(
    project: Project, store: Store, phases: list[Phase], on_result: OnResult | None = None
) -> list[CheckResult]:
    limit = asyncio.Semaphore(CONCURRENCY)
    total = sum(len(p.criteria()) for p in phases)
    done = 0
    async with CheckContext.network(project, store) as shared:

        async def one(phase: Phase, kind: str, criterion: Criterion) -> CheckResult:
            nonlocal done
            async with limit:
                outcome = await evaluate(criterion, shared.for_phase(phase.id, kind))
            done += 1
            if on_result is not None:
                on_result(outcome, done, total)
            return outcome

        jobs = [one(p, kind, c) for p in phases for kind, c in p.criteria()]
        return list(await asyncio.gather(*jobs))


def run_checks(
    project: Project, store: Store, phases: list[Phase], on_result: OnResult | None = None
) -> list[CheckResult]:
    """Evaluate every criterion of `phases`, at most CONCURRENCY at a time, results in phase order.

    `on_result(result, done, total)` hears of each criterion as it is evaluated (in completion
    order), so a screen can show progress while a slow backend holds up the rest.
    """
    return asyncio.run(_run(project, store, phases, on_result))
