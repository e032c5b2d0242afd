"""Benchmark: the engine's rollback of one service against the lab, beside the same raw calls made directly.

The engine's rollback (restore the before entries on both DNS servers, read each back, verify
that both servers answer v2; every change journaled before and after) is timed against the bare
minimum a script would do: the same API calls on AdGuard Home and Pi-hole and the same DNS
queries, without journal or checks. No injected latency, the TTL wait off (the lab answers at
once). Target: overhead ratio (engine / raw) at most 2.

Run by hand: python benchmarks/rollback_latency.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cockpit import netguard
from cockpit.adapters import dns as dns_adapter
from cockpit.adapters.adguard import AdGuardClient, Rewrite
from cockpit.adapters.pihole import HostRecord, PiholeClient
from cockpit.core import Cockpit
from cockpit.cutover.engine import Engine
from cockpit.lab.lab import Lab
from cockpit.project import load_project

FAST = {"dns_wait_s": 2.0, "dns_poll_s": 0.01, "dns_timeout_s": 1.0, "http_successes": 1, "http_interval_s": 0.0}
V2, V3 = "127.20.0.11", "127.30.0.10"
NAMES = ("immich.home.arpa", "photos.home.arpa")


def raw_move(info: dict, source: str, target: str) -> None:
    """What a bare script does: swap each name's answer on both servers, read back, ask both DNS servers."""
    with AdGuardClient(info["adguard"]["url"], info["adguard"]["username"], info["adguard"]["password"]) as adguard, \
            PiholeClient(info["pihole"]["url"], info["pihole"]["password"]) as pihole:
        for name in NAMES:
            adguard.list_rewrites()
            adguard.update_rewrite(Rewrite(domain=name, answer=source), Rewrite(domain=name, answer=target))
            adguard.list_rewrites()
            pihole.list_hosts()
            pihole.add_record(HostRecord(ip=target, names=(name,)))
            pihole.remove_record(HostRecord(ip=source, names=(name,)))
            pihole.list_hosts()
    for server in (info["adguard"]["dns"], info["pihole"]["dns"]):
        for name in NAMES:
            assert dns_adapter.query_sync(server, name).addresses == [target]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    os.environ[netguard.ENV] = "1"
    netguard.allow_command(sys.executable)
    with tempfile.TemporaryDirectory(prefix="cockpit-bench-") as directory:
        lab = Lab(Path(directory), cutover=FAST)
        info = lab.start()
        try:
            project = load_project(info["config"], info["state"])
            with Cockpit.open(project, write=True) as cockpit:
                cockpit.override(4, "benchmark opens phase 4")
                engine = Engine(cockpit)
                (immich,) = engine.services(["immich"])
                engine_times, raw_times = [], []
                for _ in range(args.rounds):
                    engine.cutover([immich])
                    started = time.perf_counter()
                    result = engine.rollback([immich])
                    engine_times.append(time.perf_counter() - started)
                    assert result[0]["state"] == "rolled_back", result
                    raw_move(info, V2, V3)  # back to v3 by hand, untimed...
                    started = time.perf_counter()
                    raw_move(info, V3, V2)  # ...and the raw rollback, timed
                    raw_times.append(time.perf_counter() - started)
        finally:
            lab.stop()
    engine_median, raw_median = statistics.median(engine_times), statistics.median(raw_times)
    print(f"rollback of one service (2 names x 2 DNS servers), median of {args.rounds} rounds")
    print(f"{'engine rollback (journaled, read back, verified)':<52}{engine_median * 1000:>10.1f} ms")
    print(f"{'raw API calls and DNS queries':<52}{raw_median * 1000:>10.1f} ms")
    print(f"{'overhead ratio (engine / raw)':<52}{engine_median / raw_median:>10.2f}")
    print("target: ratio <= 2")


if __name__ == "__main__":
    main()
