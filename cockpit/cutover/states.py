"""Provides a service's cutover states and the transitions that make sense between them."""

from __future__ import annotations

STATES = (
    "planned",
    "ready",
    "cutting_over",
    "verifying",
    "cut_over",
    "rolling_back",
    "rolled_back",
    "needs_attention",
    "finalized",
)

TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"ready", "cutting_over"}),
    "ready": frozenset({"planned", "cutting_over"}),
    "cutting_over": frozenset({"verifying", "rolling_back", "rolled_back", "needs_attention"}),
    "verifying": frozenset({"cut_over", "rolling_back", "needs_attention"}),
    "cut_over": frozenset({"verifying", "rolling_back", "finalized", "needs_attention"}),
    "rolling_back": frozenset({"rolled_back", "needs_attention"}),
    "rolled_back": frozenset({"ready", "planned", "cutting_over"}),
    "needs_attention": frozenset({"rolling_back", "cut_over", "rolled_back", "verifying"}),
    "finalized": frozenset(),
}

# A change may be on the servers: rollback has something to restore.
ROLLBACK_FROM = frozenset({"cutting_over", "verifying", "cut_over", "needs_attention", "rolling_back"})
CUTOVER_FROM = frozenset({"planned", "ready", "rolled_back"})


def allowed(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())
