"""Provides who is acting: user, host and SSH client address, recorded with every event and the lock."""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Operator:
    """The person (or script) behind a change."""

    user: str
    host: str
    ssh_client: str | None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def __str__(self) -> str:
        via = f" via {self.ssh_client}" if self.ssh_client else ""
        return f"{self.user}@{self.host}{via}"


def current_operator() -> Operator:
    """Who runs this process; the SSH client is the first field of $SSH_CLIENT or $SSH_CONNECTION."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    ssh = os.environ.get("SSH_CLIENT") or os.environ.get("SSH_CONNECTION") or ""
    return Operator(user=user, host=socket.gethostname(), ssh_client=ssh.split()[0] if ssh.split() else None)
