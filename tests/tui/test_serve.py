"""`cockpit serve`: the TUI in a browser through textual-serve, driven over its websocket.

The server runs in a process of its own against the TUI tests' lab; the test is the browser:
it asks for the page, opens `/ws`, reads the terminal output the app sends, and types a key.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cockpit.errors import RefusedError
from cockpit.lab.lab import Lab
from cockpit.tui.serve import app_command, serve

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def plain(data: bytes) -> str:
    return ANSI.sub("", data.decode("utf-8", "replace"))


@pytest.fixture
def server(tui_lab: tuple[Lab, dict[str, Any]], tmp_path: Path) -> Iterator[str]:
    lab, info = tui_lab
    lab.reset()
    port = free_port()
    code = (
        "import sys; from cockpit.tui.serve import serve; "
        "sys.exit(serve(sys.argv[1], sys.argv[2], '127.0.0.1', int(sys.argv[3])))"
    )
    env = {**os.environ, "COCKPIT_LOOPBACK_ONLY": "1"}
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", code, info["config"], str(tmp_path / "state"), str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its app processes too end with the group
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"cockpit serve never listened: {(tmp_path / 'serve.log').read_text()}")
            time.sleep(0.05)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()
        lab.reset()


async def read_until(
    ws: aiohttp.ClientWebSocketResponse, seen: bytearray, words: list[str], timeout: float
) -> str:
    """Collect the app's output until every word shows (as text, escape sequences stripped)."""
    deadline = time.monotonic() + timeout
    while not all(word in plain(bytes(seen)) for word in words):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"never saw {words}; last output: {plain(bytes(seen))[-2000:]!r}")
        try:
            message = await ws.receive(timeout=left)
        except TimeoutError:
            continue
        if message.type == aiohttp.WSMsgType.BINARY:
            seen.extend(message.data)
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            raise AssertionError(f"websocket closed before {words}; output: {plain(bytes(seen))[-2000:]!r}")
    return plain(bytes(seen))


def test_serve_answers_and_a_key_sent_over_the_websocket_changes_the_screen(server: str) -> None:
    async def browse() -> None:
        async with aiohttp.ClientSession() as session:
            async with session.get(server + "/") as response:
                assert response.status == 200
                assert "/ws" in await response.text()
            async with session.ws_connect(server + "/ws?width=100&height=30") as ws:
                seen = bytearray()
                await read_until(ws, seen, ["Phases", "enter: open"], timeout=20)
                seen.clear()
                await ws.send_json(["stdin", "2"])
                await read_until(ws, seen, ["Services", "cutover board"], timeout=10)
                await ws.send_json(["stdin", "q"])

    asyncio.run(browse())


def test_serve_refuses_a_remote_host_unless_allowed() -> None:
    with pytest.raises(RefusedError, match="not loopback"):
        serve(None, None, host="0.0.0.0", port=free_port())


def test_the_app_command_quotes_its_paths() -> None:
    command = app_command("/tmp/a lab/cockpit.toml", "/tmp/st'ate")
    assert command.startswith(f"{shlex.quote(sys.executable)} -m cockpit.tui.serve --app")
    assert "'/tmp/a lab/cockpit.toml'" in command
    assert "/tmp/st'\"'\"'ate" in command
