"""Provides the linter's English: lists joined with "and", nouns counted, runs of phases.

A finding is read by a person at 3 AM; "phase 1, 2, 3, 4, 5 is not complete" makes them stop and
parse it. Every message builds its lists here, so singular and plural agree with what is listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def join(items: Iterable[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    listed = list(items)
    if len(listed) < 2:
        return "".join(listed)
    return f"{', '.join(listed[:-1])} and {listed[-1]}"


def noun(word: str, count: int, plural: str | None = None) -> str:
    return word if count == 1 else (plural or f"{word}s")


def counted(word: str, items: Sequence[str], plural: str | None = None) -> str:
    """'share downloads', 'shares downloads and media': the noun agrees with the list."""
    return f"{noun(word, len(items), plural)} {join(items)}"


def verb(count: int, singular: str, plural: str) -> str:
    return singular if count == 1 else plural


def phases(numbers: Iterable[int]) -> str:
    """'phase 5', 'phases 4 and 5', 'phases 1-5', 'phases 1-3, 5 and 6'.

    A run of three or more consecutive phases reads as a range; shorter runs are listed.
    """
    ordered = sorted(set(numbers))
    parts: list[str] = []
    start = 0
    for end in range(len(ordered)):
        if end + 1 < len(ordered) and ordered[end + 1] == ordered[end] + 1:
            continue
        run = ordered[start : end + 1]
        parts.extend([f"{run[0]}-{run[-1]}"] if len(run) >= 3 else [str(n) for n in run])
        start = end + 1
    return f"{noun('phase', len(ordered))} {join(parts)}"
