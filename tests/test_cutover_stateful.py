"""A property-based stateful test: random cutovers, rollbacks, verifications and faults against the lab.

After every step, no service rests in a passing state (cutting_over, verifying, rolling_back), no
change is left without its outcome, and what the store records matches what both DNS servers
answer.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from cockpit import netguard
from cockpit.adapters import dns as dns_adapter
from cockpit.core import Cockpit
from cockpit.cutover.engine import Engine
from cockpit.errors import RefusedError
from cockpit.lab.lab import Lab
from cockpit.project import load_project

FAST = {
    "dns_wait_s": 0.6,
    "dns_poll_s": 0.03,
    "dns_timeout_s": 0.3,
    "http_successes": 1,
    "http_interval_s": 0.0,
    "http_failures": 1,
    "http_timeout_s": 0.5,
    "api_timeout_s": 1.0,
    "max_batch_share": 1.0,
}
SERVICES = {"immich": ("127.20.0.11", "127.30.0.10"), "sonarr": ("127.20.0.10", "127.30.0.10")}
NAMES = {"immich": ("immich.home.arpa", "photos.home.arpa"), "sonarr": ("sonarr.home.arpa",)}
RESTING = {"planned", "ready", "cut_over", "rolled_back", "needs_attention", "finalized"}

LAB: dict[str, object] = {}


@pytest.fixture(scope="module", autouse=True)
def lab(tmp_path_factory):
    running = Lab(tmp_path_factory.mktemp("statelab"), cutover=FAST)
    LAB["lab"], LAB["info"] = running, running.start()
    yield
    running.stop()


class CutoverMachine(RuleBasedStateMachine):
    """Drives the real engine; the lab's faults are the weather."""

    @initialize()
    def fresh(self) -> None:
        netguard.allow_command(sys.executable)
        self.lab: Lab = LAB["lab"]  # type: ignore[assignment]
        self.lab.reset()
        self.state_dir = Path(tempfile.mkdtemp(prefix="stateful-"))
        self.project = load_project(LAB["info"]["config"], str(self.state_dir))  # type: ignore[index]
        with Cockpit.open(self.project, write=True) as cockpit:
            cockpit.override(4, "the stateful test opens phase 4")

    def engine_do(self, action: str, name: str) -> None:
        with Cockpit.open(self.project, write=True) as cockpit:
            engine = Engine(cockpit)
            (service,) = engine.services([name])
            with contextlib.suppress(RefusedError):  # a refusal changes nothing; the invariants say so
                getattr(engine, action)(*([[service]] if action in ("cutover", "rollback") else [service]))

    @rule(name=st.sampled_from(sorted(SERVICES)), force=st.booleans())
    def cutover(self, name: str, force: bool) -> None:
        with Cockpit.open(self.project, write=True) as cockpit:
            engine = Engine(cockpit)
            with contextlib.suppress(RefusedError):
                engine.cutover(engine.services([name]), force=force)

    @rule(name=st.sampled_from(sorted(SERVICES)))
    def rollback(self, name: str) -> None:
        self.engine_do("rollback", name)

    @rule(name=st.sampled_from(sorted(SERVICES)))
    def verify(self, name: str) -> None:
        self.engine_do("verify_now", name)

    @rule(
        backend=st.sampled_from(["adguard", "pihole"]),
        kind=st.sampled_from(["error", "down"]),
        after=st.integers(0, 4),
    )
    def write_fault(self, backend: str, kind: str, after: int) -> None:
        self.lab.faults.set_write_fault(backend, kind, 1, after)

    @rule(name=st.sampled_from(sorted(SERVICES)), down=st.booleans())
    def v3_health(self, name: str, down: bool) -> None:
        self.lab.faults.set_v3_down(name, down)

    @rule()
    def calm(self) -> None:
        self.lab.faults.clear()

    @invariant()
    def store_matches_the_dns_servers(self) -> None:
        if not hasattr(self, "project"):
            return
        with Cockpit.open(self.project, write=False) as cockpit:
            assert [p for p in cockpit.store.pending_operations() if p.get("kind") == "dns"] == []
            states = {n: (cockpit.store.service_record(n) or {}).get("state", "planned") for n in SERVICES}
        for name, state in states.items():
            assert state in RESTING, (name, state)
            v2, v3 = SERVICES[name]
            answers = {
                a
                for server in ("adguard", "pihole")
                for host in NAMES[name]
                for a in dns_adapter.query_sync(LAB["info"][server]["dns"], host).addresses
            }  # type: ignore[index]
            if state in ("cut_over", "finalized"):
                assert answers == {v3}, (name, state, answers)
            elif state != "needs_attention":
                assert answers == {v2}, (name, state, answers)


TestCutoverMachine = CutoverMachine.TestCase
TestCutoverMachine.settings = settings(
    max_examples=15,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
