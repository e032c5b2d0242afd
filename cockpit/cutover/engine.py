"""Provides the cutover engine: each service's names move from v2 to v3 on every DNS server, or on none.

Every external change is journaled before it is made (`dns.intent`: operation id, server, name, the
exact entries before and after) and after (`dns.outcome`: what the server then answered), so that
a crash at any point leaves a record the next writer reconciles against the live servers. A server
failing part-way makes the engine restore the servers it already changed; what cannot be restored
ends in `needs_attention` with the exact difference, never in a silent mixed state.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from cockpit.adapters.errors import AdapterError, Timeout, Unreachable
from cockpit.core import Cockpit
from cockpit.cutover.guards import batch_blocker, power_blocker
from cockpit.cutover.plan import ServicePlan, make_plan
from cockpit.cutover.sides import DnsSide, Entry, open_side, same
from cockpit.cutover.states import ROLLBACK_FROM, allowed
from cockpit.cutover.verify import Verification, verify
from cockpit.errors import CockpitError, InputError, RefusedError, unprefixed
from cockpit.models.inventory import Service

# States a run passes through: finding a service in one at start means the run that left it died.
TRANSIENT = frozenset({"cutting_over", "verifying", "rolling_back"})


Target = tuple[DnsSide, str, list[Entry], list[Entry]]  # a server, a name, its entries before and after


class Abort(Exception):
    """A transaction that must be undone: the reason goes into the journal."""


ASKED_TO_STOP = "cockpit was asked to stop"


class Engine:
    """The cutover engine over one open Cockpit (the store lock held for changes)."""

    def __init__(self, cockpit: Cockpit) -> None:
        self.cockpit = cockpit
        self.project = cockpit.project
        self.settings = self.project.config.inventory.cutover
        self.stop = threading.Event()  # set by SIGTERM/SIGHUP: finish or compensate, then stop
        self.stop_reason = ASKED_TO_STOP

    def interrupt(self, reason: str) -> None:
        """Stop the transaction in flight at its next step, compensating it, for `reason`.

        The operator's `r` during a running cutover: what was applied is rolled back at once
        instead of after the verification runs its course.
        """
        self.stop_reason = reason
        self.stop.set()

    def resume(self) -> None:
        """Ready for the next operation after an interrupt (not after a signal: that ends the run)."""
        self.stop.clear()
        self.stop_reason = ASKED_TO_STOP

    # -- lookups ------------------------------------------------------------------------------

    def services(self, names: list[str], everything: bool = False) -> list[Service]:
        inventory = self.project.config.inventory
        if everything:
            return [s for s in inventory.services if s.cutover == "dns"]
        found = []
        for name in names:
            service = self.project.config.service(name)
            if service is None:
                known = ", ".join(s.name for s in inventory.services)
                raise InputError(f"no service named '{name}' (services: {known})")
            if service.cutover != "dns":
                raise InputError(f"{name} moves by hand ({service.cutover}), not by a DNS cutover")
            found.append(service)
        return found

    def record(self, service: Service) -> dict[str, Any]:
        return self.cockpit.store.service_record(service.name) or {"name": service.name, "state": "planned"}

    def state(self, service: Service) -> str:
        return str(self.record(service).get("state", "planned"))

    @contextlib.contextmanager
    def sides(self) -> Iterator[list[DnsSide]]:
        opened: list[DnsSide] = []
        try:
            for server in self.project.config.inventory.dns_servers:
                opened.append(open_side(server, self.project.config.base_dir, self.settings.api_timeout_s))
            yield opened
        finally:
            for side in opened:
                with contextlib.suppress(Exception):
                    side.close()

    @contextlib.contextmanager
    def signals_finish_the_transaction(self) -> Iterator[None]:
        """While a transaction runs, SIGTERM/SIGHUP ask it to finish or compensate rather than kill it."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
        for signum in previous:
            signal.signal(signum, lambda *_: self.stop.set())
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if self.stop.is_set():
            raise SystemExit(128 + signal.SIGTERM)

    # -- journal ------------------------------------------------------------------------------

    def transition(self, service: Service, new: str, reason: str, **extra: Any) -> None:
        current = self.state(service)
        if current == new:
            return
        if not allowed(current, new):
            raise RefusedError(f"{service.name} cannot go from {current} to {new}")
        self.cockpit.store.record(
            "service.transition",
            service.name,
            before={"state": current},
            after={"state": new, "reason": reason, **extra},
        )

    def _change(
        self,
        service: Service,
        side: DnsSide,
        hostname: str,
        before: list[Entry],
        after: list[Entry],
        purpose: str,
    ) -> list[Entry]:
        """One journaled change on one server: intent, the call, the observed outcome."""
        op = uuid.uuid4().hex
        intent = {
            "op": op,
            "server": side.name,
            "hostname": hostname,
            "before": before,
            "after": after,
            "purpose": purpose,
        }
        self.cockpit.store.record("dns.intent", service.name, after=intent)
        started = time.monotonic()
        try:
            observed = side.apply(hostname, before, after)
        except AdapterError as exc:
            # A request that timed out or lost its connection may still land: wait out its window,
            # then read what the server really holds before calling it a failure.
            wait = self.settings.api_timeout_s + 0.5 - (time.monotonic() - started)
            if isinstance(exc, Timeout | Unreachable) and wait > 0:
                time.sleep(wait)
            seen = _try_live(side, hostname)
            if seen is not None and same(seen, after):
                self.cockpit.store.record(
                    "dns.outcome",
                    service.name,
                    after={
                        "op": op,
                        "server": side.name,
                        "hostname": hostname,
                        "observed": seen,
                        "applied": True,
                        "note": f"the call failed ({exc}) but the change landed",
                    },
                )
                return seen
            self.cockpit.store.record(
                "dns.outcome",
                service.name,
                outcome="failed",
                after={
                    "op": op,
                    "server": side.name,
                    "hostname": hostname,
                    "observed": seen,
                    "applied": False,
                    "error": str(exc),
                },
            )
            raise Abort(f"{side.name}: {unprefixed(side.name, str(exc))}") from exc
        applied = same(observed, after)
        self.cockpit.store.record(
            "dns.outcome",
            service.name,
            outcome="ok" if applied else "failed",
            after={
                "op": op,
                "server": side.name,
                "hostname": hostname,
                "observed": observed,
                "applied": applied,
            },
        )
        if not applied:
            raise Abort(f"{side.name}: {hostname} reads back {observed}, not {after}")
        return observed

    # -- plan ---------------------------------------------------------------------------------

    def plan(self, services: list[Service], *, for_rollback: bool = False) -> list[ServicePlan]:
        states = self.cockpit.states()
        with self.sides() as sides:
            plans = [
                make_plan(self, service, sides, states, for_rollback=for_rollback) for service in services
            ]
        blocker = batch_blocker(len(services), len(self.services([], True)), self.settings.max_batch_share)
        if blocker and not for_rollback:
            for plan in plans:
                plan.block(blocker, overridable=True)
        if not for_rollback and plans:
            power = power_blocker(self.project)  # not overridable: no change while the power is not safe
            if power:
                for plan in plans:
                    plan.block(power)
        return plans

    # -- cutover ------------------------------------------------------------------------------

    def cutover(
        self,
        services: list[Service],
        *,
        force: bool = False,
        confirm: Callable[[list[ServicePlan]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Plan, confirm, then one transaction per service; refusals raise before anything changes."""
        self.reconcile()
        plans = self.plan(services)
        refused = [p for p in plans if p.blockers and not (force and p.only_overridable)]
        if refused:
            raise RefusedError("; ".join(f"{p.service}: {b}" for p in refused for b in p.blockers))
        if confirm is not None and not confirm(plans):
            raise RefusedError("not confirmed: nothing was changed")
        results = []
        with self.signals_finish_the_transaction():
            for plan, service in zip(plans, services, strict=True):
                if self.stop.is_set():
                    results.append(
                        {
                            "service": service.name,
                            "state": self.state(service),
                            "reason": f"not started: {self.stop_reason}",
                        }
                    )
                    continue
                if force and plan.blockers:
                    self.cockpit.store.record(
                        "cutover.forced", service.name, after={"overridden": plan.blockers}
                    )
                results.append(self._cutover_one(service, plan))
        return results

    def _cutover_one(self, service: Service, plan: ServicePlan) -> dict[str, Any]:
        if plan.v3_healthy and self.state(service) in ("planned", "rolled_back"):
            self.transition(service, "ready", "v3 answers its health check; DNS untouched")
        self.cockpit.store.record("service.cutover_started", service.name, after={"v3": str(service.v3)})
        self.transition(service, "cutting_over", "cutover started")
        done: list[Target] = []
        with self.sides() as sides:
            try:
                for side in sides:
                    for hostname in service.hostnames:
                        before = _current(side, hostname, plan.live[side.name][hostname])
                        after = side.desired(hostname, str(service.v3))
                        if not same(before, after):
                            done.append((side, hostname, before, after))
                            self._change(service, side, hostname, before, after, "cutover")
                        if self.stop.is_set():
                            raise Abort(f"{self.stop_reason} mid-transaction")
            except Abort as why:
                return self._compensate(service, done, str(why))
        self.transition(service, "verifying", "applied on every DNS server")
        return self._verify_and_settle(service, "cutover")

    def _restore(self, service: Service, targets: list[Target], purpose: str) -> list[str]:
        """Bring each (server, name) from what cockpit wrote (`after`) back to `before`, journaled.

        Only cockpit's own change is undone: live entries that are neither before, after, nor the
        midpoint between them were written by someone else; they are reported, never overwritten.
        """
        problems = []
        for side, hostname, before, after in targets:
            live = _try_live(side, hostname)
            if live is not None and same(live, before):
                continue
            if live is None:
                problems.append(f"{side.name}: cannot read {hostname}")
                continue
            if not (same(live, after) or same(live, _union(before, after))):
                problems.append(
                    f"{side.name}: {hostname} changed under cockpit ({_describe(live)}); left as it is"
                )
                continue
            try:
                self._change(service, side, hostname, live, before, purpose)
            except Abort as failed:
                problems.append(str(failed))
        return problems

    def _compensate(self, service: Service, done: list[Target], why: str) -> dict:
        """Restore the servers already changed to their exact before entries (newest first)."""
        problems = self._restore(service, list(reversed(done)), "compensate")
        if problems:
            self.transition(
                service,
                "needs_attention",
                f"{why}; restoring failed: {'; '.join(problems)}",
                diff=self.diff(service),
            )
            return self._summary(service, why)
        self.transition(service, "rolled_back", f"{why}; every server restored")
        return self._summary(service, why)

    # -- verification -------------------------------------------------------------------------

    def _verification(self, service: Service, address: str, http: bool = True) -> Verification:
        servers = self.project.config.inventory.dns_servers
        return asyncio.run(verify(service, servers, address, self.settings, http=http))

    def _verify_and_settle(self, service: Service, why: str, *, policy: bool = True) -> dict[str, Any]:
        """Verify, then cut_over; on failure the service's policy (or, with `policy` off, needs_attention)."""
        result = self._verification(service, str(service.v3))
        self.cockpit.store.record(
            "service.verified",
            service.name,
            after=result.model_dump(),
            outcome="ok" if result.ok else "failed",
        )
        if result.ok and not self.stop.is_set():
            self.transition(service, "cut_over", f"{why}: verified on every DNS server and over HTTP")
            return self._summary(service, "verified")
        reason = result.reason or f"{self.stop_reason} before verification ended"
        if not policy:
            self.transition(
                service,
                "needs_attention",
                f"verification failed after the grace period: {reason}",
                diff=self.diff(service),
            )
            return self._summary(service, reason)
        if service.rollback == "manual" and not self.stop.is_set():
            self.transition(
                service,
                "needs_attention",
                f"verification failed (policy manual): {reason}",
                diff=self.diff(service),
            )
            return self._summary(service, reason)
        return self._rollback_one(service, f"verification failed: {reason}")

    def verify_now(self, service: Service) -> dict[str, Any]:
        """Verify on demand; a cut-over service failing within its grace period gets its policy."""
        state = self.state(service)
        if state in ("cut_over", "verifying", "finalized"):
            if state == "cut_over":
                self.transition(service, "verifying", "verification on demand")
            if state == "finalized":
                result = self._verification(service, str(service.v3))
                summary = self._summary(service, result.reason or "verified")
                return {**summary, "verification": result.model_dump(), "ok": result.ok}
            # Within the grace period a failure gets the service's policy (by default: roll back);
            # past it, the service has been trusted for long: a failure is reported, not acted on.
            held = (
                datetime.now(UTC) - _parse_time(self.record(service).get("cut_over_at") or _now())
            ).total_seconds()
            settled = self._verify_and_settle(
                service, "re-verified", policy=held <= self.settings.grace_period_s
            )
            return {**settled, "ok": settled["state"] == "cut_over"}
        result = self._verification(service, str(service.v2), http=False)
        health = asyncio.run(_v3_health(service, self.settings))
        if health and state in ("planned", "rolled_back"):
            self.transition(service, "ready", "v3 answers its health check; DNS untouched")
        elif not health and state == "ready":
            self.transition(service, "planned", "v3 no longer answers its health check")
        summary = self._summary(service, "v2 answers" if result.ok else result.reason)
        return {**summary, "verification": result.model_dump(), "v3_healthy": health, "ok": result.ok}

    # -- rollback -----------------------------------------------------------------------------

    def rollback(self, services: list[Service]) -> list[dict[str, Any]]:
        self.reconcile()
        results = []
        # A later move of the same names (phase 6) goes back first, so each lands on its own v2.
        ordered = sorted(services, key=lambda s: -s.phase)
        with self.signals_finish_the_transaction():
            for service in ordered:
                state = self.state(service)
                blocker = self._rollback_blocker(service, state)
                if blocker:
                    results.append({**self._summary(service, blocker), "changed": False, "ok": False})
                    continue
                if state not in ROLLBACK_FROM:
                    results.append(
                        {**self._summary(service, f"nothing to roll back ({state})"), "changed": False}
                    )
                    continue
                results.append(self._rollback_one(service, "rollback asked by the operator"))
        return results

    def _rollback_blocker(self, service: Service, state: str) -> str | None:
        if state == "finalized":
            return f"{service.name} is finalized: v2 may be gone, so it is not rolled back"
        busy = {"cutting_over", "verifying", "cut_over", "rolling_back", "needs_attention", "finalized"}
        for follower in self.project.config.inventory.services:
            if follower.follows == service.name and self.state(follower) in busy:
                return f"{follower.name} moved these names on; roll {follower.name} back first"
        return None

    def _rollback_one(self, service: Service, why: str) -> dict[str, Any]:
        self.transition(service, "rolling_back", why)
        recorded = self.record(service).get("servers", {})
        with self.sides() as sides:
            targets = [
                (side, hostname, entry["before"], entry.get("after") or [])
                for side in sides
                for hostname, entry in recorded.get(side.name, {}).items()
                if entry.get("before") is not None
            ]
            problems = self._restore(service, targets[::-1], "rollback")  # newest change first
        if problems:
            self.transition(
                service,
                "needs_attention",
                f"{why}; rollback failed: {'; '.join(problems)}",
                diff=self.diff(service),
            )
            return self._summary(service, why)
        check = self._verification(service, str(service.v2), http=False)
        self.cockpit.store.record(
            "service.verified", service.name, after=check.model_dump(), outcome="ok" if check.ok else "failed"
        )
        reason = (
            f"{why}; every server answers v2 again" if check.ok else f"{why}; restored, but {check.reason}"
        )
        self.transition(service, "rolled_back", reason)
        return {**self._summary(service, reason), "ok": check.ok}

    # -- finalize, resolve --------------------------------------------------------------------

    def finalize(self, service: Service) -> dict[str, Any]:
        record = self.record(service)
        if record.get("state") != "cut_over":
            raise RefusedError(
                f"{service.name} is {record.get('state')}: only a cut-over service can be finalized"
            )
        since = _parse_time(record["cut_over_at"])
        held = (datetime.now(UTC) - since).total_seconds()
        if held < self.settings.grace_period_s:
            raise RefusedError(
                f"{service.name} has been cut over for {held:.0f} s; finalize after the grace period "
                f"({self.settings.grace_period_s:.0f} s)"
            )
        check = self._verification(service, str(service.v3))
        if not check.ok:
            raise RefusedError(f"{service.name} does not verify now ({check.reason}); not finalized")
        self.transition(
            service, "finalized", f"held cut_over for {held:.0f} s: v2 may be retired", v2_may_be_retired=True
        )
        return self._summary(service, "finalized")

    def resolve(self, service: Service, mode: str, reason: str) -> dict[str, Any]:
        if self.state(service) != "needs_attention":
            raise RefusedError(f"{service.name} is {self.state(service)}, not needs_attention")
        if len(reason.strip()) < 8:
            raise InputError("resolve needs a typed reason of at least 8 characters: --reason '...'")
        if mode == "restore":
            result = self._rollback_one(
                service, f"resolved by restoring the recorded before entries: {reason}"
            )
            return result
        live = self.live_answers(service)
        target = "cut_over" if live == "v3" else "rolled_back" if live == "v2" else None
        if target is None:
            raise RefusedError(
                f"{service.name}: the servers answer neither all v2 nor all v3 ({self.answers_in_words(service)}); "
                "restore instead, or fix the servers first"
            )
        self.transition(
            service,
            target,
            f"resolved by adopting what the servers answer ({live}): {reason}",
            adopted=self.diff(service),
        )
        return self._summary(service, f"adopted {live}")

    # -- drift and recovery -------------------------------------------------------------------

    def live_answers(self, service: Service) -> str:
        """'v2', 'v3' or 'mixed': what every server's entries for every name point at now."""
        seen = set()
        with self.sides() as sides:
            for side in sides:
                for hostname in service.hostnames:
                    live = _try_live(side, hostname) or []
                    seen.add(_points_at(live, service))
        return seen.pop() if len(seen) == 1 and seen <= {"v2", "v3"} else "mixed"

    def answers_in_words(self, service: Service) -> str:
        """What each server's entries point at, per name: `adguard v3, pihole v2` (for messages)."""
        words = []
        with self.sides() as sides:
            for side in sides:
                for hostname in service.hostnames:
                    live = _try_live(side, hostname)
                    seen = "unreadable" if live is None else _points_at(live, service)
                    words.append(
                        f"{side.name} {seen}" + (f" for {hostname}" if len(service.hostnames) > 1 else "")
                    )
        return ", ".join(words)

    def diff(self, service: Service) -> dict[str, Any]:
        """Per server and name: what cockpit recorded before and after, and what the server has now."""
        recorded = self.record(service).get("servers", {})
        out: dict[str, Any] = {}
        with self.sides() as sides:
            for side in sides:
                for hostname in service.hostnames:
                    entry = recorded.get(side.name, {}).get(hostname, {})
                    out.setdefault(side.name, {})[hostname] = {
                        "before": entry.get("before"),
                        "after": entry.get("after"),
                        "live": _try_live(side, hostname),
                    }
        return out

    def reconcile(self) -> list[dict[str, Any]]:
        """Settle every DNS intent without an outcome by reading the live server: applied, not, or attention."""
        settled: list[dict[str, Any]] = []
        pending = [p for p in self.cockpit.store.pending_operations() if p.get("kind") == "dns"]
        if pending:
            settled += self._settle_intents(pending)
        for service in self.services([], True):  # a run that died between two changes, or while verifying
            if self.state(service) in TRANSIENT:
                self._after_reconcile(service, {"server": "-", "hostname": "-"}, "interrupted")
                settled.append(
                    {"op": None, "service": service.name, "verdict": f"resumed to {self.state(service)}"}
                )
        return settled

    def _settle_intents(self, pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
        settled: list[dict[str, Any]] = []
        self._wait_out_in_flight(pending)
        with self.sides() as sides:
            by_name = {side.name: side for side in sides}
            for op in pending:
                service = self.project.config.service(op["subject"])
                side = by_name.get(op["server"])
                live = _try_live(side, op["hostname"]) if side else None
                if live is not None and same(live, op["after"]):
                    verdict = "applied"
                elif live is not None and same(live, op["before"]):
                    verdict = "not_applied"
                elif live is not None and same(live, _union(op["before"], op["after"])):
                    # The protocol's own midpoint (Pi-hole: the new item added, the old not yet removed):
                    # the service is rolled back below, not left to a guess.
                    verdict = "partial"
                else:
                    verdict = "needs_attention"
                self.cockpit.store.record(
                    "dns.reconciled",
                    op["subject"],
                    outcome=verdict,
                    after={
                        "op": op["op"],
                        "server": op["server"],
                        "hostname": op["hostname"],
                        "observed": live,
                        "applied": verdict == "applied",
                        "reconciled": verdict,
                    },
                )
                settled.append({"op": op["op"], "service": op["subject"], "verdict": verdict})
                if service is not None and verdict == "needs_attention":
                    self._after_reconcile(service, op, verdict)
        return settled

    def _wait_out_in_flight(self, pending: list[dict[str, Any]]) -> None:
        """A request sent just before a crash may still land: read only once it can no longer arrive.

        The dead run gave each call `api_timeout_s`; past that (and a margin) the server has either
        applied the change or never will, so what the live entries show is final.
        """
        newest = max(_parse_time(p["at"]) for p in pending)
        wait = self.settings.api_timeout_s + 0.5 - (datetime.now(UTC) - newest).total_seconds()
        if wait > 0:
            time.sleep(wait)

    def _after_reconcile(self, service: Service, op: dict[str, Any], verdict: str) -> None:
        """Bring the service's state in line with what the servers showed."""
        state = self.state(service)
        if verdict == "needs_attention":
            self.transition(
                service,
                "needs_attention",
                f"an interrupted change on {op['server']} left {op['hostname']} neither before nor after",
                diff=self.diff(service),
            )
            return
        if state not in TRANSIENT:
            return
        live = self.live_answers(service)
        if state in ("cutting_over", "verifying") and live == "v3":
            self.transition(service, "verifying", "reconciled after an interruption: applied everywhere")
            self._verify_and_settle(service, "resumed after an interruption")
        elif state in ("cutting_over", "verifying", "rolling_back") and live == "v2":
            if state == "verifying":
                self.transition(service, "rolling_back", "reconciled after an interruption")
            self.transition(service, "rolled_back", "reconciled after an interruption: not applied anywhere")
        elif state in ("cutting_over", "verifying", "rolling_back"):
            self._rollback_one(service, "reconciled after an interruption: mixed, rolling back")

    def drift(self, service: Service, sides: list[DnsSide]) -> list[str]:
        """Findings (empty: none); see `drift_or_unknown` for a server that could not be read."""
        return self.drift_or_unknown(service, sides) or []

    def owns_names(self, service: Service) -> bool:
        """Whether this move is the one answering for its names now (phase 6 moves follow phase 4's).

        A follow-up move takes over once the move it follows is cut over; the earlier move gives
        them up while its follower is underway or done.
        """
        if service.follows is not None:
            earlier = self.project.config.service(service.follows)
            if earlier is not None and self.state(earlier) not in ("cut_over", "finalized"):
                return False
        busy = {"cutting_over", "verifying", "cut_over", "rolling_back", "needs_attention", "finalized"}
        followers = [s for s in self.project.config.inventory.services if s.follows == service.name]
        return not any(self.state(f) in busy for f in followers)

    def drift_or_unknown(self, service: Service, sides: list[DnsSide]) -> list[str] | None:
        """Servers whose live entries are neither what cockpit recorded nor what it wrote."""
        if not self.owns_names(service):
            return []  # another move of the same names answers for them now
        record = self.record(service)
        state = record.get("state", "planned")
        recorded = record.get("servers", {})
        found: list[str] = []
        unknown = False
        for side in sides:
            for hostname in service.hostnames:
                live = _try_live(side, hostname)
                if live is None:
                    unknown = True
                    continue
                entry = recorded.get(side.name, {}).get(hostname)
                if entry is not None:
                    expected = (
                        entry["after"] if state in ("cut_over", "verifying", "finalized") else entry["before"]
                    )
                    settled = state in ("cut_over", "finalized", "rolled_back", "planned", "ready")
                    # At rest, the entries must answer what the state says (a merged or split host item
                    # answering the same addresses is not drift); mid-operation, either side will do.
                    if (
                        _addresses(live) != _addresses(expected)
                        if settled
                        else not (same(live, entry["before"]) or same(live, entry["after"]))
                    ):
                        found.append(
                            f"{side.name}: {hostname} is {_describe(live)}, not what cockpit recorded "
                            f"for a {state} service ({_describe(expected)})"
                        )
                elif _points_at(live, service) not in ("v2", "wildcard"):
                    found.append(
                        f"{side.name}: {hostname} is {_describe(live)}, not the v2 address "
                        f"{service.v2} cockpit expects before a cutover"
                    )
        return None if unknown and not found else found

    def _summary(self, service: Service, reason: str) -> dict[str, Any]:
        record = self.record(service)
        return {
            "service": service.name,
            "state": record.get("state", "planned"),
            "reason": reason,
            "servers": record.get("servers", {}),
            "verified": record.get("verified"),
        }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _current(side: DnsSide, hostname: str, planned: list[Entry]) -> list[Entry]:
    """The entries to change now: re-read, since an earlier name's change may have split a shared item.

    They must still answer what the plan saw (the same addresses), or the name changed under us.
    """
    live = _try_live(side, hostname)
    if live is None:
        raise Abort(f"{side.name}: cannot read {hostname}")
    if _addresses(live) != _addresses(planned):
        raise Abort(f"{side.name}: {hostname} changed under cockpit since the plan ({_describe(live)})")
    return live


def _addresses(entries: list[Entry]) -> set[str]:
    return {str(e.get("answer") or e.get("ip")) for e in entries}


def _union(a: list[Entry], b: list[Entry]) -> list[Entry]:
    return a + [e for e in b if not any(same([e], [x]) for x in a)]


def _try_live(side: DnsSide | None, hostname: str) -> list[Entry] | None:
    if side is None:
        return None
    try:
        return side.live(hostname)
    except CockpitError:
        return None


def _points_at(entries: list[Entry], service: Service) -> str:
    answers = {e.get("answer") or e.get("ip") for e in entries if e["kind"] != "wildcard"}
    if not entries:
        return "nothing"
    if not answers:
        return "wildcard"
    if answers == {str(service.v2)}:
        return "v2"
    if answers == {str(service.v3)}:
        return "v3"
    return "other"


def _describe(entries: list[Entry]) -> str:
    parts = [
        f"{e.get('domain') or e.get('item')} -> {e.get('answer') or e.get('ip')}"
        if e["kind"] != "host"
        else f"'{e['item']}'"
        for e in entries
    ]
    return ", ".join(parts) or "nothing"


async def _v3_health(service: Service, settings: Any) -> bool:
    from cockpit.adapters import health
    from cockpit.adapters.httpbase import async_client

    async with async_client("ready check") as http:
        result = await health.check(
            http,
            scheme=service.health.scheme,
            address=str(service.v3),
            port=service.health.effective_port,
            path=service.health.path,
            hostname=service.hostname,
            expect=service.health.expect_status,
            timeout=settings.http_timeout_s,
        )
    return result.ok


def settle_interrupted(cockpit: Cockpit) -> list[dict[str, Any]]:
    """Run at the start of every writer: reconcile DNS changes a crash left without an outcome."""
    if not cockpit.store.writable:
        return []
    pending = any(p.get("kind") == "dns" for p in cockpit.store.pending_operations())
    stuck = any(
        (cockpit.store.service_record(s.name) or {}).get("state") in TRANSIENT
        for s in cockpit.project.config.inventory.services
    )
    return Engine(cockpit).reconcile() if pending or stuck else []


def record_drift(cockpit: Cockpit, report: dict[str, list[str] | None]) -> list[dict[str, Any]]:
    """Journal each service whose drift changed since it was last recorded (`drift.observed`).

    Drift happens behind cockpit's back (a rewrite edited in a web UI), so the store would never
    know of it; a writer that looks records what it saw, and the report can then say what the
    servers held at the last check, with when. Only changes are journaled: a board refreshed
    every 30 s does not fill the journal. A server that could not be asked records nothing.
    """
    if not cockpit.store.writable:
        return []
    events = []
    for name, findings in report.items():
        if findings is None:
            continue
        previous = ((cockpit.store.service_record(name) or {}).get("drift") or {}).get("findings")
        if findings != (previous or []):
            events.append(
                cockpit.store.record(
                    "drift.observed",
                    name,
                    before={"findings": previous} if previous is not None else None,
                    after={"findings": findings},
                    outcome="drift" if findings else "ok",
                )
            )
    return events


def drift_report(cockpit: Cockpit) -> dict[str, list[str] | None]:
    """Each DNS cutover's drift findings (None: the servers could not be asked); read-only."""
    if cockpit.project.config.inventory.example or not cockpit.project.config.inventory.dns_servers:
        return {}
    engine = Engine(cockpit)
    report: dict[str, list[str] | None] = {}
    try:
        with engine.sides() as sides:
            for service in engine.services([], True):
                report[service.name] = engine.drift_or_unknown(service, sides)
    except CockpitError:
        return {s.name: None for s in engine.services([], True)}
    return report
