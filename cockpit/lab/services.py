"""Provides the demo services' endpoints: for each service, a v2 and a v3 listener on the loopback map.

Each endpoint routes by Host header like the reverse proxy in front of a real service (an
unknown Host gets Traefik's `404 page not found`), answers its health path with who it is
(`side`: v2, v3), and turns unhealthy (503) when the lab's `v3-down` fault names its service.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cockpit.lab.faults import Faults
from cockpit.lab.httpserver import LabHandler, LabHTTPServer


@dataclass(frozen=True)
class Endpoint:
    """One side of one service."""

    service: str
    side: str  # "v2" or "v3"
    hostnames: tuple[str, ...]
    health_path: str


class ServiceHandler(LabHandler):
    """Answers as the service behind one address."""

    def route(self) -> None:
        endpoint: Endpoint = self.app
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        if host not in endpoint.hostnames:
            self.send_text(404, "404 page not found\n")
            return
        if endpoint.side == "v3" and self.server.faults.v3_down(endpoint.service):
            self.send_text(503, "Service Unavailable\n")
            return
        payload = {"service": endpoint.service, "side": endpoint.side, "host": host, "path": self.url_path}
        if self.url_path == endpoint.health_path:
            self.send(200, json.dumps(payload).encode() + b"\n", "application/json")
        else:
            page = f"<!doctype html><title>{endpoint.service} ({endpoint.side})</title><p>{host}</p>\n"
            self.send(200, page.encode(), "text/html; charset=utf-8")


def serve(endpoint: Endpoint, address: str, port: int, faults: Faults) -> LabHTTPServer:
    """Start one endpoint listening on address:port (port 0: any free port)."""
    server = LabHTTPServer((address, port), ServiceHandler, faults, backend="services", app=endpoint)
    server.start()
    return server
