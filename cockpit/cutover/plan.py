"""Provides the plan of a cutover: per DNS server, the exact entries for each name now and after,
and everything that stands in the way. A plan changes nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cockpit.cutover.guards import gate_blocker
from cockpit.cutover.sides import DnsSide, Entry
from cockpit.cutover.states import CUTOVER_FROM
from cockpit.errors import CockpitError
from cockpit.gates import PhaseState
from cockpit.models.inventory import Service

if TYPE_CHECKING:
    from cockpit.cutover.engine import Engine


@dataclass
class ServicePlan:
    """What a cutover of one service would do, and what stands in its way."""

    service: str
    state: str
    v2: str
    v3: str
    live: dict[str, dict[str, list[Entry]]] = field(default_factory=dict)
    after: dict[str, dict[str, list[Entry]]] = field(default_factory=dict)
    blockers: list[str] = field(default_factory=list)
    overridable: list[str] = field(default_factory=list)  # the blockers --force may override
    v3_healthy: bool = False

    @property
    def only_overridable(self) -> bool:
        return all(b in self.overridable for b in self.blockers)

    def block(self, reason: str, *, overridable: bool = False) -> None:
        self.blockers.append(reason)
        if overridable:
            self.overridable.append(reason)

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "state": self.state,
            "v2": self.v2,
            "v3": self.v3,
            "servers": {
                server: {
                    name: {"now": self.live[server][name], "after": self.after[server][name]}
                    for name in names
                }
                for server, names in self.live.items()
            },
            "v3_healthy": self.v3_healthy,
            "blockers": self.blockers,
            "can_apply": not self.blockers,
        }


def make_plan(
    engine: Engine,
    service: Service,
    sides: list[DnsSide],
    states: dict[int, PhaseState],
    *,
    for_rollback: bool = False,
) -> ServicePlan:
    from cockpit.cutover.engine import _v3_health

    plan = ServicePlan(service.name, engine.state(service), str(service.v2), str(service.v3))
    if plan.state not in CUTOVER_FROM and not for_rollback:
        plan.block(f"{service.name} is {plan.state}: there is nothing to cut over")
    if service.follows and not for_rollback and not engine.owns_names(service):
        plan.block(f"{service.name} follows {service.follows}, which is not cut over yet")
    gate = gate_blocker(service, states)
    if gate and not for_rollback:
        plan.block(gate)
    for side in sides:
        for hostname in service.hostnames:
            try:
                live = side.live(hostname)
            except CockpitError as exc:
                plan.block(f"{side.name} cannot be read: {exc}")
                live = []
            plan.live.setdefault(side.name, {})[hostname] = live
            plan.after.setdefault(side.name, {})[hostname] = side.desired(hostname, str(service.v3))
            exact = [e for e in live if e["kind"] != "wildcard"]
            if len(exact) > 1:
                plan.block(
                    f"{side.name}: {len(exact)} entries answer {hostname} (duplicate rewrites); remove the "
                    "extra ones first"
                )
    for finding in engine.drift(service, sides):
        plan.block(f"drift: {finding} (--force overwrites it)", overridable=True)
    plan.v3_healthy = asyncio.run(_v3_health(service, engine.settings))
    if not plan.v3_healthy and not for_rollback:
        plan.block(
            f"v3 at {service.v3} does not answer its health check (--force cuts over anyway)",
            overridable=True,
        )
    return plan
