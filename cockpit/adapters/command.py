"""Provides the command adapter: run a program locally or on an inventory host, with a timeout.

Commands on a host go through the inventory's remote shell (by default `ssh -o BatchMode=yes HOST --`),
so the check never needs a password prompt and a lab can put its host simulator in ssh's place.
Under the loopback guard, a program that no test has allow-listed is refused before it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time

from pydantic import BaseModel

from cockpit import netguard
from cockpit.adapters.errors import Timeout, Unreachable

OUTPUT_LIMIT = 64 * 1024


class CommandResult(BaseModel):
    """What a command did: its exit code and (bounded) output."""

    argv: list[str]
    exit_code: int
    stdout: str
    stderr: str
    elapsed_ms: float


async def run(argv: list[str], *, timeout: float = 30.0, what: str = "command") -> CommandResult:
    """Run `argv` (no shell); raise Timeout when it outlives `timeout`, Unreachable when it cannot start."""
    netguard.check_command(argv)
    started = time.perf_counter()
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "LC_ALL": "C"},  # stable, parseable output
            start_new_session=True,
        )
    except OSError as exc:
        raise Unreachable(what, f"cannot start {argv[0]}: {exc.strerror or exc}") from None
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
        await process.wait()
        raise Timeout(what, f"{argv[0]} did not finish within {timeout:g} s") from None
    return CommandResult(
        argv=argv,
        exit_code=process.returncode if process.returncode is not None else -1,
        stdout=out[:OUTPUT_LIMIT].decode("utf-8", "replace"),
        stderr=err[:OUTPUT_LIMIT].decode("utf-8", "replace"),
        elapsed_ms=round((time.perf_counter() - started) * 1000, 3),
    )
