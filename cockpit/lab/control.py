"""Provides the lab's control endpoint: how `cockpit lab fault` reaches a running lab.

A small HTTP API on 127.0.0.1, authenticated by a bearer token that the lab writes to a 0600
file named in the config it wrote, so only someone who can read that config can inject faults.
"""

from __future__ import annotations

import hmac
from typing import Any

from cockpit.lab.faults import Faults
from cockpit.lab.httpserver import LabHandler, LabHTTPServer


def apply_fault(
    faults: Faults,
    action: str,
    target: str | None = None,
    value: int | None = None,
    after: int = 0,
    known: dict[str, set[str]] | None = None,
) -> None:
    """Apply one `cockpit lab fault` action; ValueError for anything unknown or incomplete."""
    if action == "clear":
        faults.clear()
        return
    if action in ("split-filesystems", "join-filesystems"):
        faults.set_host_fault("split-filesystems", action == "split-filesystems")
        return
    if target is None:
        raise ValueError(f"'{action}' needs a target")
    kind = {"v3-down": "service", "v3-up": "service", "host-down": "host", "host-up": "host"}.get(action)
    if known and kind and target not in known.get(kind, set()):
        raise ValueError(
            f"no {kind} named '{target}' in this lab ({kind}s: {', '.join(sorted(known[kind]))})"
        )
    setters: dict[str, Any] = {
        "v3-down": lambda: faults.set_v3_down(target),
        "v3-up": lambda: faults.set_v3_down(target, False),
        "latency": lambda: faults.set_latency(target, _needed(value, "milliseconds")),
        "errors": lambda: faults.set_errors(target, _needed(value, "a count")),
        "down": lambda: faults.set_down(target),
        "up": lambda: faults.set_down(target, False),
        "dns-down": lambda: faults.set_dns_down(target),
        "dns-up": lambda: faults.set_dns_down(target, False),
        "ups": lambda: faults.set_ups(target),
        "write-latency": lambda: faults.set_write_latency(target, _needed(value, "milliseconds")),
        "write-errors": lambda: faults.set_write_fault(target, "error", value or 1, after),
        "write-timeout": lambda: faults.set_write_fault(target, "timeout", value or 1, after),
        "write-down": lambda: faults.set_write_fault(target, "down", value or 1, after),
        "host-down": lambda: faults.set_host_down(target),
        "host-up": lambda: faults.set_host_down(target, False),
    }
    if action not in setters:
        raise ValueError(f"unknown fault '{action}' (faults: {', '.join(sorted(setters))}, clear)")
    setters[action]()


def _needed(value: int | None, what: str) -> int:
    if value is None:
        raise ValueError(f"this fault needs {what}")
    return value


class ControlHandler(LabHandler):
    """GET /faults shows them; POST /faults {"action", "target", "value"} changes them."""

    def route(self) -> None:
        token = self.app["token"]
        given = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            self.send_json(401, {"error": "a valid token is needed"})
            return
        faults: Faults = self.app["faults"]
        if self.url_path != "/faults":
            self.send_json(404, {"error": "not found"})
        elif self.command == "GET":
            self.send_json(200, faults.as_dict())
        elif self.command == "POST":
            try:
                body = self.json_body()
                apply_fault(
                    faults,
                    body["action"],
                    body.get("target"),
                    body.get("value"),
                    body.get("after") or 0,
                    self.app.get("known"),
                )
            except (ValueError, KeyError, TypeError) as exc:
                self.send_json(400, {"error": str(exc)})
                return
            self.send_json(200, faults.as_dict())
        else:
            self.send_json(405, {"error": "GET or POST"})


def serve_control(faults: Faults, token: str, known: dict[str, set[str]] | None = None) -> LabHTTPServer:
    app = {"faults": faults, "token": token, "known": known or {}}
    server = LabHTTPServer(("127.0.0.1", 0), ControlHandler, faults, app=app)
    server.start()
    return server
