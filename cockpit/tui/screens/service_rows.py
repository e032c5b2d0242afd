"""Provides how the cutover board draws: the cells of a row, the detail line, the alert banner.

What must not be missed (a service in needs_attention, drift, a refused power guard) is said in
words and capitals as well as in colour, so it stays visible with NO_COLOR and on a monochrome
phone terminal. The columns that decide what to do come first, so they stay on an 80-column
screen; hostname and addresses follow.
"""

from __future__ import annotations

from rich.text import Text

from cockpit.tui.board import ServiceRow
from cockpit.tui.live import LiveStatus
from cockpit.tui.text import STATE_STYLES, redact, safe

COLUMNS = (
    ("Service", 13),
    ("State", 15),
    ("DNS", 7),
    ("Drift", 5),
    ("v3", 4),
    ("v2 addr", 12),
    ("v3 addr", 12),
    ("Hostname", 20),  # last: at 80 columns it is the one cut (the line under the board has it)
)
ALARM = "bold reverse red"


def _state(row: ServiceRow) -> Text:
    if row.busy:
        return Text(f"{row.busy}...", style="bold")
    if row.needs_attention:
        return Text("NEEDS ATTENTION", style=ALARM)
    return Text(row.state, style=STATE_STYLES.get(row.state, ""))


def _dns(row: ServiceRow) -> Text:
    if row.answers is None:
        return Text("..", style="dim")
    values = list(row.answers.values())
    mixed = len(set(values)) > 1 or any(v not in ("v2", "v3", "old") for v in values)
    return Text("/".join(values), style=ALARM if mixed else "")


def _drift(row: ServiceRow) -> Text:
    if row.drift is None:
        return Text("?" if row.answers is not None else "..", style="dim")
    return Text("DRIFT", style=ALARM) if row.drift else Text("-")


def _health(row: ServiceRow) -> Text:
    if row.v3_healthy is None:
        return Text("..", style="dim")
    return Text("ok") if row.v3_healthy else Text("DOWN", style="bold red")


def cells(row: ServiceRow) -> tuple[Text, ...]:
    """The row's cells, in COLUMNS order."""
    flag = "! " if row.needs_attention or row.drifted else ""
    name = Text(f"{flag}{row.name}", style="bold" if flag else "")
    return (
        name,
        _state(row),
        _dns(row),
        _drift(row),
        _health(row),
        Text(row.v2),
        Text(row.v3),
        Text(row.hostname),
    )


def detail(row: ServiceRow) -> Text:
    """The selected service, in full, under the board."""
    text = Text()
    text.append(f"{row.name}", style="bold")
    text.append(f"  {row.hostname}  v2 {row.v2} -> v3 {row.v3}\n")
    text.append(f"state {row.state}")
    if row.reason:
        text.append(safe(f": {row.reason}"))
    text.append("\n")
    if row.answers is not None:
        answers = ", ".join(f"{server} answers {answer}" for server, answer in row.answers.items())
        health = "unknown" if row.v3_healthy is None else "healthy" if row.v3_healthy else "NOT healthy"
        text.append(f"{answers}; v3 {health}\n")
    for finding in row.drift or []:
        text.append(safe(f"DRIFT: {finding}\n", ALARM))
    return text


def alerts(rows: list[ServiceRow], live: LiveStatus | None, refusal: str) -> list[Text]:
    """The banner's lines (empty: nothing to shout about)."""
    lines: list[Text] = []
    if live is not None and live.ups is not None and not live.ups.safe:
        why = live.ups.error and "NUT cannot be reached" or f"the UPS reports {' '.join(live.ups.flags)}"
        lines.append(Text(f"POWER GUARD: {redact(why)}; cutovers are refused", style=ALARM))
    if refusal:
        lines.append(safe(f"REFUSED: {refusal}", ALARM))
    attention = [r.name for r in rows if r.needs_attention]
    if attention:
        lines.append(
            Text(
                f"NEEDS ATTENTION: {', '.join(attention)} (r or u restores, a adopts what is live)",
                style=ALARM,
            )
        )
    drifted = [r.name for r in rows if r.drifted]
    if drifted:
        lines.append(
            Text(f"DRIFT: {', '.join(drifted)}: the servers hold what cockpit did not write", style=ALARM)
        )
    return lines
