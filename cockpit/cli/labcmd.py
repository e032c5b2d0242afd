"""Provides `cockpit lab` (run the embedded lab in the foreground) and `cockpit lab fault` (change its faults)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
from pathlib import Path

import httpx

from cockpit.cli.output import emit_json, out
from cockpit.config import load_config
from cockpit.configsource import find_config
from cockpit.errors import CockpitError, InputError
from cockpit.secrets import resolve_secret


def run_lab(args: argparse.Namespace) -> int:
    """Start the lab, print one JSON line when it is ready, serve until SIGINT or SIGTERM."""
    from cockpit.lab.lab import Lab

    directory = (
        Path(args.dir).expanduser().resolve() if args.dir else Path(tempfile.mkdtemp(prefix="cockpit-lab-"))
    )
    lab = Lab(directory, adguard_version=args.adguard_version)
    info = lab.start()
    try:
        sys.stdout.write(json.dumps(info) + "\n")
        sys.stdout.flush()
        threading.Event().wait()  # until a signal unwinds us (SIGTERM raises SystemExit in main)
    finally:
        lab.stop()
    return 0


def run_fault(args: argparse.Namespace) -> int:
    """Send one fault to the lab that wrote the config named by --config (or found as usual)."""
    config = load_config(find_config(args.config))
    section = config.inventory.lab
    if section is None:
        raise InputError(f"{config.source.path} was not written by `cockpit lab` (it has no [lab] section)")
    token = resolve_secret(section.token, config.base_dir)
    body = {
        "action": args.action,
        "target": args.target,
        "value": args.count if args.count is not None else args.value,
        "after": args.after,
    }
    try:
        response = httpx.post(
            f"{section.control_url}/faults",
            json=body,
            timeout=5.0,
            trust_env=False,
            headers={"Authorization": f"Bearer {token}"},
        )
    except httpx.HTTPError as exc:
        raise CockpitError(f"the lab at {section.control_url} does not answer: {exc}") from exc
    payload = response.json()
    if response.status_code == 400:
        raise InputError(f"lab fault: {payload.get('error')}")
    if response.status_code != 200:
        raise CockpitError(f"the lab refused the fault: {payload.get('error')}")
    if args.json:
        emit_json(payload)
    else:
        out(f"lab faults now: {json.dumps(payload)}")
    return 0
