"""Provides what is known of a service's names: per server and name, the newest record of its answer.

Two kinds of record say what a DNS server held. A verification asked the server's DNS
(`service.verified`); the engine reads a server's entries back after every write (`dns.outcome`,
`dns.reconciled`) and once more when a service enters needs_attention (the transition's `diff`).
A verification can be older than the writes that followed it (a cutover that failed half-way, a
rollback), so the report takes, for each server and name, whichever record is newest, and keeps
its time and kind: a service whose servers were left split shows the split, never "never checked".
"""

from __future__ import annotations

from typing import Any

from cockpit.models.inventory import Service
from cockpit.report import words
from cockpit.report.model import AnswerLabel, AnswerSource, DnsAnswer, ServiceDns

READ_BACK_EVENTS = ("dns.outcome", "dns.reconciled")
UNREADABLE = "error: the server could not be read"


def label(service: Service, earlier: Service | None, answer: list[str] | str) -> AnswerLabel:
    """Which side an answer points at: v2, v3, `old` (the move this one follows), other or a failure."""
    if isinstance(answer, str):
        return "nxdomain" if answer == "NXDOMAIN" else "error"
    if service.v2 is not None and answer == [str(service.v2)]:
        return "v2"
    if answer == [str(service.v3)]:
        return "v3"
    if earlier is not None and earlier.v2 is not None and answer == [str(earlier.v2)]:
        return "old"  # the move this one follows has not happened yet
    return "other"


def addresses(entries: Any) -> list[str]:
    """The addresses a server's entries answer (AdGuard rewrites and Pi-hole host records alike)."""
    return sorted({str(e.get("answer") or e.get("ip")) for e in entries or [] if isinstance(e, dict)})


def known_answers(
    service: Service,
    record: dict[str, Any],
    events: list[dict[str, Any]],
    earlier: Service | None = None,
) -> ServiceDns:
    """The newest recorded answer of every server for every name, each with its kind and time."""
    newest: dict[tuple[str, str], DnsAnswer] = {}

    def offer(server: str, hostname: str, answer: list[str] | str, source: AnswerSource, at: Any) -> None:
        found = DnsAnswer(
            server=server,
            hostname=hostname,
            answer=answer,
            label=label(service, earlier, answer),
            source=source,
            at=str(at) if at else None,
        )
        held = newest.get((server, hostname))
        if held is None or (found.at or "") >= (held.at or ""):  # a tie goes to the read-back: offered later
            newest[(server, hostname)] = found

    verified = record.get("verified") if isinstance(record.get("verified"), dict) else None
    for server, by_name in sorted(((verified or {}).get("answers") or {}).items()):
        for hostname, answer in sorted(by_name.items()):
            value = [str(a) for a in answer] if isinstance(answer, list) else str(answer)
            offer(server, hostname, value, "verification", (verified or {}).get("at"))
    times = _read_back_times(events)
    for server, names in sorted((record.get("servers") or {}).items()):
        for hostname, entry in sorted(names.items()):
            if isinstance(entry, dict) and "live" in entry:  # an intent without an outcome read nothing
                offer(server, hostname, _read(entry["live"]), "read_back", times.get((server, hostname)))
    if record.get("state") == "needs_attention":  # what the engine read as it stopped, every name
        for server, names in sorted((record.get("diff") or {}).items()):
            for hostname, entry in sorted(names.items()):
                if isinstance(entry, dict) and "live" in entry:
                    offer(server, hostname, _read(entry["live"]), "read_back", record.get("since"))
    answers = [newest[key] for key in sorted(newest)]
    times_known = [a.at for a in answers if a.at]
    return ServiceDns(
        checked_at=max(times_known) if times_known else (record.get("since") if answers else None),
        ok=verified.get("ok") if verified else None,
        verified_at=verified.get("at") if verified else None,
        answers=answers,
    )


def _read(live: Any) -> list[str] | str:
    return UNREADABLE if live is None else addresses(live)


def _read_back_times(events: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """When each (server, name) was last read back: the time of its newest outcome event."""
    times: dict[tuple[str, str], str] = {}
    for event in events:  # oldest first: the last one wins
        after = event.get("after")
        if event.get("action") in READ_BACK_EVENTS and isinstance(after, dict):
            times[(str(after.get("server")), str(after.get("hostname")))] = str(event.get("time", ""))
    return times


def split(dns: ServiceDns) -> str | None:
    """One sentence naming what each server holds when they do not all point the same way."""
    if len({a.label for a in dns.answers}) < 2:
        return None
    held = "; ".join(f"{a.server} {a.hostname} {_said(a)}" for a in dns.answers)
    return f"the servers disagree: {held}"


def _said(answer: DnsAnswer) -> str:
    return f"{words.answer(answer)} ({words.seen(answer)})"
