"""Benchmark: 200 HTTP health checks against lab endpoints with 200 ms injected latency.

Prints, for each concurrency, the wall time, the ratio to the ideal ceil(200/concurrency) x 0.2 s
(target at most 1.25) and the longest event-loop stall while the checks run (target under 50 ms),
measured by a ticker that asks to wake every 5 ms and records how late it woke.

Run by hand: python benchmarks/health_checks.py [--concurrency 10 25 50 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import statistics
import time
from multiprocessing.connection import Connection

import httpx

from cockpit.adapters import health
from cockpit.adapters.httpbase import async_client
from cockpit.lab.catalog import SERVICES
from cockpit.lab.faults import Faults
from cockpit.lab.services import Endpoint, serve

CHECKS = 200
LATENCY_S = 0.2


async def ticker(stop: asyncio.Event, worst: list[float]) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.005)
        worst[0] = max(worst[0], time.perf_counter() - before - 0.005)


async def run_checks(targets: list[tuple[str, int, str, str]], concurrency: int) -> tuple[float, float, int]:
    """cockpit's own bulk health check (health.check_many) with the given concurrency."""
    stop, worst = asyncio.Event(), [0.0]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    work = [health.Target("http", a, p, path, host) for a, p, host, path in targets]
    work = [work[i % len(work)] for i in range(CHECKS)]
    async with async_client("benchmark", limits=limits) as http:
        tick = asyncio.create_task(ticker(stop, worst))
        started = time.perf_counter()
        results = await health.check_many(http, work, concurrency=concurrency, timeout=10)
        wall = time.perf_counter() - started
        stop.set()
        await tick
    return wall, worst[0], sum(r.ok for r in results)


def serve_lab(conn: Connection) -> None:
    """The lab endpoints, in their own process as with `cockpit lab`: their threads never hold our GIL."""
    faults = Faults()
    servers, targets = [], []
    for service in SERVICES:
        if service.follows:
            continue
        endpoint = Endpoint(service.name, "v3", service.hostnames, service.health_path)
        server = serve(endpoint, service.v3, 0, faults)
        servers.append(server)
        targets.append((service.v3, server.port, service.hostnames[0], service.health_path))
    faults.set_latency("services", int(LATENCY_S * 1000))
    conn.send(targets)
    conn.recv()  # until the benchmark is done
    for server in servers:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[health.HEALTH_CONCURRENCY, 10, 25, 50, 100],
        help="the first is cockpit's own (health.HEALTH_CONCURRENCY); the rest for comparison",
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ours, theirs = multiprocessing.Pipe()
    lab = multiprocessing.Process(target=serve_lab, args=(theirs,), daemon=True)
    lab.start()
    targets = ours.recv()
    asyncio.run(run_checks(targets, 10))  # warm-up: imports, first connections; not counted
    print(
        f"{CHECKS} health checks over {len(targets)} lab endpoints, {LATENCY_S * 1000:.0f} ms injected latency, "
        f"median of {args.rounds} rounds"
    )
    print(f"{'concurrency':>11} {'wall s':>8} {'ideal s':>8} {'ratio':>6} {'max stall ms':>13} {'ok':>5}")
    try:
        for concurrency in args.concurrency:
            walls, stalls, oks = [], [], []
            for _ in range(args.rounds):
                wall, stall, ok = asyncio.run(run_checks(targets, concurrency))
                walls.append(wall)
                stalls.append(stall)
                oks.append(ok)
            ideal = math.ceil(CHECKS / concurrency) * LATENCY_S
            wall = statistics.median(walls)
            print(
                f"{concurrency:>11} {wall:>8.3f} {ideal:>8.3f} {wall / ideal:>6.2f} "
                f"{max(stalls) * 1000:>13.1f} {min(oks):>5}"
            )
    finally:
        ours.send("stop")
        lab.join(timeout=10)
    print("targets: ratio <= 1.25, longest stall < 50 ms")


if __name__ == "__main__":
    main()
