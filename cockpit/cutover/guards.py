"""Provides what stands in the way of a cutover: the power guard, the phase gate, the batch brake."""

from __future__ import annotations

import asyncio

from cockpit.errors import CockpitError
from cockpit.gates import PhaseState
from cockpit.models.inventory import Service
from cockpit.project import Project


def power_blocker(project: Project) -> str | None:
    """Why the power is not safe for a change (on battery, low battery, NUT unreachable), or None."""
    if project.config.inventory.nut is None:
        return "power guard: no [nut] configured, so cockpit cannot tell that the UPS is on line power"
    from cockpit.checks.nut import client_for

    async def ask() -> list[str]:
        async with client_for(project) as client:
            status = await client.ups_status(project.config.inventory.nut.ups)  # type: ignore[union-attr]
            return list(status.flags)

    try:
        flags = asyncio.run(ask())
    except CockpitError as exc:
        return f"power guard: NUT cannot be reached ({exc})"
    bad = [f for f in flags if f in ("OB", "LB", "FSD")]
    if bad or "OL" not in flags:
        return f"power guard: the UPS reports {' '.join(flags) or 'no status'} (on battery or low battery)"
    return None


def gate_blocker(service: Service, states: dict[int, PhaseState]) -> str | None:
    state = states.get(service.phase)
    if state not in ("active", "complete"):
        return f"gate: phase {service.phase}, which owns this cutover, is {state}, not active"
    return None


def batch_blocker(count: int, total: int, share: float) -> str | None:
    if total and count > 1 and count > share * total:
        return (
            f"batch brake: {count} of {total} services at once is more than the configured share "
            f"({share:.0%}); cut them over in smaller batches or use --force"
        )
    return None
