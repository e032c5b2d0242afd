"""Provides the lab's host shells: what `ssh HOST -- COMMAND` would print on the lab's machines.

The lab's config names this module as its remote shell (in ssh's place), so `command` checks run
for real as processes with exit codes and output, against simulated hosts whose facts follow the
lab's state: the NAS on bare metal with its HBA, a started array, one filesystem for downloads and
media (until the `split-filesystems` fault), a ZFS mirror for apps; the Docker VM's data mount;
the firewall seen from the Services VLAN. An unknown command is `not found` (exit 127), as on a
host that lacks it.

Usage: python -m cockpit.lab.hostshell --lab DIR HOST -- COMMAND...
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

Reply = tuple[int, str]
Handler = Callable[[re.Match[str], dict], Reply]

ZPOOL_APPS = "\n".join(
    [
        "  pool: apps",
        " state: ONLINE",
        "  scan: scrub repaired 0B in 00:04:12 with 0 errors on Sun Nov 22 03:00:01 2026",
        "config:",
        "",
        "        NAME                                       STATE     READ WRITE CKSUM",
        "        apps                                       ONLINE       0     0     0",
        "          mirror-0                                 ONLINE       0     0     0",
        "            ata-Samsung_SSD_870_EVO_1TB_S6PTNZ0R1  ONLINE       0     0     0",
        "            ata-Samsung_SSD_870_EVO_1TB_S6PTNZ0R2  ONLINE       0     0     0",
        "",
        "errors: No known data errors",
        "",
    ]
)


def _stat(paths: list[str], split: bool, mount: str) -> Reply:
    lines = []
    for index, path in enumerate(paths):
        if split and index:  # the second share on a filesystem of its own: hardlinks break
            lines.append(f"{2050 + index} {path}")
        else:
            lines.append(f"2049 {mount}")
    return 0, "\n".join(lines) + "\n"


def nas(command: str, faults: dict) -> Reply:
    split = "split-filesystems" in faults.get("hosts", [])
    known: list[tuple[str, Callable[[re.Match[str]], Reply]]] = [
        (
            r"grep -qw hypervisor /proc/cpuinfo && echo virtualized \|\| echo bare-metal",
            lambda m: (0, "bare-metal\n"),
        ),
        (
            r"lspci -d 1000:",
            lambda m: (
                0,
                "01:00.0 Serial Attached SCSI controller: Broadcom / LSI SAS3008 "
                "PCI-Express Fusion-MPT SAS-3 (rev 02)\n",
            ),
        ),
        (r"grep mdState /proc/mdstat", lambda m: (0, "mdState=STARTED\n")),
        (r"stat -c '%d %m' (\S+) (\S+)", lambda m: _stat([m.group(1), m.group(2)], split, "/mnt/user")),
        (r"grep shareUseCache /boot/config/shares/data\.cfg", lambda m: (0, 'shareUseCache="no"\n')),
        (r"zpool status apps", lambda m: (0, ZPOOL_APPS)),
    ]
    return _dispatch(command, known)


def docker(command: str, faults: dict) -> Reply:
    split = "split-filesystems" in faults.get("hosts", [])
    known: list[tuple[str, Callable[[re.Match[str]], Reply]]] = [
        (r"stat -c '%d %m' (\S+) (\S+)", lambda m: _stat([m.group(1), m.group(2)], split, "/mnt/data")),
        # The Services VLAN may not reach Management: the design's firewall drops it.
        (
            r"timeout 5 bash -c '</dev/tcp/(\S+)/(\d+)' 2>/dev/null && echo reachable \|\| echo blocked",
            lambda m: (0, "blocked\n"),
        ),
    ]
    return _dispatch(command, known)


def hypervisor(command: str, faults: dict) -> Reply:
    known: list[tuple[str, Callable[[re.Match[str]], Reply]]] = [
        (
            r"pvesh get /nodes/(\S+)/tasks --typefilter vzdump --limit 1 --output-format json",
            lambda m: (0, json.dumps([{"type": "vzdump", "status": "OK", "node": m.group(1)}]) + "\n"),
        ),
    ]
    return _dispatch(command, known)


def _dispatch(command: str, known: list[tuple[str, Callable[[re.Match[str]], Reply]]]) -> Reply:
    for pattern, handler in known:
        match = re.fullmatch(pattern, command.strip())
        if match:
            return handler(match)
    program = command.split()[0] if command.split() else ""
    return 127, f"sh: 1: {program}: not found\n"


HOSTS: dict[str, Callable[[str, dict], Reply]] = {
    "nas-prod-01": nas,
    "docker-prod-01": docker,
    "pve-prod-01": hypervisor,
    "pve-prod-02": hypervisor,
}


def lab_faults(lab: Path) -> dict:
    """The running lab's faults, asked of its control endpoint (loopback, with its token)."""
    config = (lab / "cockpit.toml").read_text()
    url = re.search(r'control_url = "([^"]+)"', config)
    token = (lab / "secrets" / "control.secret").read_text().strip()
    if url is None:
        return {}
    response = httpx.get(
        f"{url.group(1)}/faults", headers={"Authorization": f"Bearer {token}"}, timeout=5, trust_env=False
    )
    return response.json() if response.status_code == 200 else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cockpit.lab.hostshell")
    parser.add_argument("--lab", required=True)
    parser.add_argument("host")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    words = args.command[1:] if args.command[:1] == ["--"] else args.command
    shell = HOSTS.get(args.host)
    if shell is None:
        sys.stderr.write(f"ssh: Could not resolve hostname {args.host}: Name or service not known\n")
        return 255
    faults = lab_faults(Path(args.lab))
    if args.host in faults.get("hosts_down", []):
        sys.stderr.write(f"ssh: connect to host {args.host} port 22: Connection refused\n")
        return 255
    code, output = shell(" ".join(words), faults)
    (sys.stdout if code == 0 else sys.stderr).write(output)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
