"""Provides the service detail (`enter` on the Services board): one service's facts and its runbook.

The seed asks that "every service has runbook-style documentation"; this is where the operator
reads it at the moment it matters (before a cutover, during a rollback). A runbook is optional
in the inventory, and each of its parts too: what was not written is said plainly, so a missing
restore procedure is noticed, never mistaken for an empty one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from cockpit.tui.text import STATE_STYLES, safe

if TYPE_CHECKING:
    from cockpit.models.inventory import Service
    from cockpit.tui.board import ServiceRow

RUNBOOK_PARTS = ("start", "stop", "backup", "restore", "rollback")  # every part is said, written or not
NO_RUNBOOK = "no runbook written"


def service_facts(service: Service, row: ServiceRow | None = None) -> Text:
    """Name, hostnames, addresses, phase, how it moves, and its state when the store is known."""
    text = Text()
    text.append_text(safe(f"{service.name}", "bold"))
    text.append_text(safe(f"  {service.title}\n" if service.title else "\n"))
    facts = [
        ("hostnames" if len(service.hostnames) > 1 else "hostname", ", ".join(service.hostnames) or "-"),
        ("v2", str(service.v2) if service.v2 is not None else "-"),
        ("v3", str(service.v3)),
        ("phase", f"{service.phase}, cutover by {service.cutover}, rollback {service.rollback}"),
    ]
    if service.follows:
        facts.append(("follows", service.follows))
    for label, value in facts:
        text.append(f"{label:<10}")
        text.append_text(safe(value + "\n"))
    text.append(f"{'state':<10}")
    if row is None:
        text.append("not read from the store", style="dim")
    else:
        text.append(row.state, style=STATE_STYLES.get(row.state, ""))
        text.append_text(safe(f" ({row.reason})" if row.reason else ""))
    return text


def runbook_text(runbook: object) -> Text:
    """The runbook: each part under its name ("not written" when missing), then any notes.

    Takes what the inventory holds (`Service.runbook`: None, or the parts by name), read with
    getattr so an inventory without some part still shows the rest.
    """
    parts = {name: _part(runbook, name) for name in RUNBOOK_PARTS}
    notes = _part(runbook, "notes")
    if not any(parts.values()) and not notes:
        return Text(NO_RUNBOOK, style="bold")
    text = Text()
    for name, body in parts.items():
        text.append(f"{name}\n", style="bold")
        if body:
            text.append_text(safe(_indent(body)))
        else:
            text.append("  not written\n", style="dim")
    if notes:
        text.append("notes\n", style="bold")
        text.append_text(safe(_indent(notes)))
    return text


def _indent(body: str) -> str:
    return "".join(f"  {line}\n" for line in body.splitlines())


def _part(runbook: object, name: str) -> str:
    value = getattr(runbook, name, None)
    return value.strip() if isinstance(value, str) else ""


class ServiceDetailScreen(ModalScreen[None]):
    """One service over the board; closed with `escape` (or `q`, quicker over a slow link)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="service_detail.close"),
    ]
    DEFAULT_CSS = """
    #service-detail-body { height: auto; max-height: 20; }
    """

    def __init__(self, service: Service, row: ServiceRow | None = None) -> None:
        super().__init__()
        self.service = service
        self.row = row

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(safe(f"Service {self.service.name}", "bold"), classes="dialog-title")
            with VerticalScroll(id="service-detail-body"):
                yield Static(service_facts(self.service, self.row), id="service-facts")
                yield Static(Text("\nRunbook", style="bold underline"))
                yield Static(runbook_text(getattr(self.service, "runbook", None)), id="service-runbook")
            yield Static(Text("escape or q: close    up/down: scroll"), classes="dialog-keys")

    def action_close(self) -> None:
        self.dismiss(None)
