"""Provides how keys are named to the operator: `?` rather than `question_mark`, `R` as shift+r."""

from __future__ import annotations

NAMES = {
    "question_mark": "?",
    "slash": "/",
    "space": "space",
    "escape": "escape",
    "enter": "enter",
    "backspace": "backspace",
}


def key_label(key: str) -> str:
    """One key as printed in the help and the palette."""
    if len(key) == 1 and key.isupper():
        return f"{key} (shift+{key.lower()})"
    return NAMES.get(key, key)
