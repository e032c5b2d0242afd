"""Soak: SIGKILL `cockpit cutover` and `cockpit rollback` at random moments, many times, against the lab.

After each kill cockpit reconciles; the store must open, every intent must have an outcome, no
service may rest half cut over, and the recorded state must match what both DNS servers answer.
Prints how many kills landed between an intent and its outcome (the test's own check that it hits
the dangerous window) and how the service ended each time.

Run by hand: python benchmarks/cutover_soak.py [--kills 100] [--seed 1]
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cockpit import netguard
from cockpit.adapters import dns as dns_adapter
from cockpit.cli import main as cockpit_main
from cockpit.lab.lab import Lab
from cockpit.operator import Operator
from cockpit.store.state import Store

FAST = {"dns_wait_s": 1.0, "dns_poll_s": 0.05, "dns_timeout_s": 0.5, "http_successes": 1, "http_interval_s": 0.0,
        "api_timeout_s": 1.0}
NAMES = ("immich.home.arpa", "photos.home.arpa")
OP = Operator("soak", "soak", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.environ[netguard.ENV] = "1"
    netguard.allow_command(sys.executable)
    rng = random.Random(args.seed)
    endings: collections.Counter[str] = collections.Counter()
    landed = 0
    with tempfile.TemporaryDirectory(prefix="cockpit-soak-") as directory:
        lab = Lab(Path(directory) / "lab", cutover=FAST, pihole_session_timeout=4.0)
        info = lab.start()
        state = Path(directory) / "state"
        base = ["--config", info["config"], "--state", str(state)]
        try:
            cockpit_main([*base, "override", "4", "--reason", "soak opens phase 4"])
            lab.faults.set_write_latency("adguard", 150)
            lab.faults.set_write_latency("pihole", 150)
            number = 0
            while number < args.kills:
                record = Store.open_reader(state, OP).service_record("immich") or {}
                verb = ["rollback", "immich"] if record.get("state") in ("cut_over", "needs_attention") \
                    else ["cutover", "immich", "--yes"]
                process = subprocess.Popen([sys.executable, "-m", "cockpit", *base, *verb],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if rng.random() < 0.3:  # now and then a run completes, so that rollbacks get killed too
                    process.wait()
                    continue
                number += 1
                time.sleep(rng.uniform(0.6, 1.6))
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
                reader = Store.open_reader(state, OP)
                landed += any(p.get("kind") == "dns" for p in reader.pending_operations())
                cockpit_main([*base, "reconcile"])
                store = Store.open_writer(state, OP)
                events, corrupt = store.journal.scan()
                intents = {e["after"]["op"] for e in events if e["action"] == "dns.intent"}
                outcomes = {e["after"]["op"] for e in events if e["action"] in ("dns.outcome", "dns.reconciled")}
                final = (store.service_record("immich") or {}).get("state", "planned")
                store.close()
                answers = {a for s in ("adguard", "pihole") for n in NAMES
                           for a in dns_adapter.query_sync(info[s]["dns"], n).addresses}
                expected = {"127.30.0.10"} if final == "cut_over" else {"127.20.0.11"}
                problems = []
                if corrupt or intents != outcomes:
                    problems.append("journal")
                if final not in ("cut_over", "rolled_back", "planned", "ready") or answers != expected:
                    problems.append(f"state {final} but DNS answers {sorted(answers)}")
                endings[final] += 1
                print(f"kill {number:>4}: {verb[0]:<8} -> {final:<12} {problems or 'OK'}",
                      flush=True)
                if problems:
                    raise SystemExit(1)
        finally:
            lab.stop()
    print(f"{landed}/{args.kills} kills landed between an intent and its outcome; endings: {dict(endings)}")


if __name__ == "__main__":
    main()
