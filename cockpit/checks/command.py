"""Provides the `command` evaluator: run a command locally or on inventory hosts, judge exit and output."""

from __future__ import annotations

import asyncio
import re

from cockpit.adapters import command as command_adapter
from cockpit.adapters.command import CommandResult
from cockpit.checks.context import CheckContext, result
from cockpit.config import LoadedConfig
from cockpit.errors import CockpitError
from cockpit.models.checks import PLACEHOLDER, CommandCheck
from cockpit.models.inventory import Host
from cockpit.models.phases import Criterion
from cockpit.results import CheckResult, Outcome

SSH_FAILED = 255  # ssh's own exit code when it cannot reach or log in to the host


def expand(argv: list[str], config: LoadedConfig) -> list[str]:
    """Replace `{address:REF}` and `{name:REF}` with the one host REF names (checked at load)."""

    def one(match: re.Match[str]) -> str:
        hosts = config.hosts_matching(match.group(2))
        if len(hosts) != 1:
            raise CockpitError(f"{match.group(0)} must name exactly one host; it names {len(hosts)}")
        host = hosts[0]
        return str(host.address) if match.group(1) == "address" else host.name

    return [PLACEHOLDER.sub(one, part) for part in argv]


def on_host(argv: list[str], host: Host, config: LoadedConfig) -> list[str]:
    """The argv that runs `argv` on `host` through the inventory's remote shell."""
    return [part.replace("{host}", host.name) for part in config.inventory.commands.remote] + argv


def judge(check: CommandCheck, run: CommandResult) -> bool:
    if run.exit_code != check.expect_exit:
        return False
    return check.expect_stdout is None or re.search(check.expect_stdout, run.stdout) is not None


async def evaluate_command(criterion: Criterion, ctx: CheckContext) -> CheckResult:
    """Pass when the command exits as expected and prints what is expected, on every host it names."""
    check = criterion.check
    assert isinstance(check, CommandCheck)
    config = ctx.project.config
    argv = expand(check.argv, config)
    hosts: list[Host | None] = list(config.hosts_matching(check.host)) if check.host else [None]
    if not hosts:
        raise CockpitError(f"no host matches {check.host}")
    jobs = [on_host(argv, h, config) if h else argv for h in hosts]
    runs = await asyncio.gather(
        *(command_adapter.run(j, timeout=check.timeout_s, what=criterion.id) for j in jobs)
    )
    observed = {}
    outcome: Outcome = "pass"
    for host, run in zip(hosts, runs, strict=True):
        where = host.name if host else "local"
        observed[where] = {"exit": run.exit_code, "stdout": run.stdout[:500], "stderr": run.stderr[:200]}
        if host is not None and run.exit_code == SSH_FAILED and check.expect_exit != SSH_FAILED:
            outcome = "error"  # the host could not be asked: not a verdict on it
        elif not judge(check, run) and outcome != "error":
            outcome = "fail"
    expected = {"exit": check.expect_exit, "stdout": check.expect_stdout}
    evidence = "; ".join(f"{' '.join(j)} -> exit {r.exit_code}" for j, r in zip(jobs, runs, strict=True))
    return result(criterion, ctx, outcome, observed=observed, expected=expected, evidence=evidence)
