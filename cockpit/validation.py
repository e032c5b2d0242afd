"""Provides the translation of pydantic errors into operator-readable problems (file, line, field)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cockpit.errors import InputError, InputProblem
from cockpit.models.checks import CHECK_TYPES
from cockpit.tomlfile import Loc, TomlDocument


def _child(node: Any, part: str | int) -> tuple[bool, Any]:
    """Whether `part` indexes into `node` as written in the input, and the child if so."""
    if isinstance(node, dict) and isinstance(part, str) and part in node:
        return True, node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None


def _input_path(data: Any, loc: Loc) -> Loc:
    """Keep only the parts of pydantic's loc that exist in the input (drops union tags and member names)."""
    kept: list[str | int] = []
    node = data
    for position, part in enumerate(loc):
        found, child = _child(node, part)
        if found:
            kept.append(part)
            node = child
        elif position == len(loc) - 1 and isinstance(node, dict):
            kept.append(part)  # a missing field: name it
        # anything else is a name pydantic added (union member, discriminator tag): skip it
    return tuple(kept)


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        known = str(ctx.get("expected_tags", ", ".join(CHECK_TYPES))).replace("'", "")
        what = "action" if "actions" in error["loc"] else "check"
        if kind == "union_tag_not_found":
            return f"missing 'type' (known: {known})"
        return f"unknown {what} type '{ctx.get('tag')}' (known: {known})"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message[:1].lower() + message[1:]


def problems_from(doc: TomlDocument, exc: ValidationError) -> list[InputProblem]:
    """One problem per field, in file order, with the union alternatives merged."""
    merged: dict[Loc, list[str]] = {}
    for error in exc.errors():
        loc = _input_path(doc.data, tuple(error["loc"]))
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "type")  # point at the discriminator the operator wrote (or forgot)
        messages = merged.setdefault(loc, [])
        text = _message(error)
        if text not in messages:
            messages.append(text)
    problems = [doc.problem(loc, " or ".join(msgs)) for loc, msgs in merged.items()]
    return sorted(problems, key=lambda p: p.line or 0)


M = TypeVar("M", bound=BaseModel)


def validate_document(doc: TomlDocument, model: type[M]) -> M:
    """Validate a whole TOML document against a model, or raise InputError naming every problem."""
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(problems_from(doc, exc)) from exc
