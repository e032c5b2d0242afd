"""The JSON report's schema is a documented format: every property says what it holds.

Another tool reads `cockpit/report/schema.json` to consume reports, so a field without a
description is a field it has to guess at. Descriptions do not change the format: the version
stays 1, and the schema still matches what the model writes, field for field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from cockpit.report import SCHEMA_PATH, SCHEMA_VERSION
from cockpit.report.model import Report


def properties(node: Any, path: str = "") -> Iterator[tuple[str, dict]]:
    """Every property of every object in the schema, with its path."""
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            yield f"{path}.{name}", sub
        for key, sub in node.items():
            if key == "properties":
                for name, child in sub.items():
                    yield from properties(child, f"{path}.{name}")
            elif key == "$defs":
                for name, child in sub.items():
                    yield from properties(child, f"#{name}")
            elif isinstance(sub, dict | list):
                yield from properties(sub, path)
    elif isinstance(node, list):
        for item in node:
            yield from properties(item, path)


def test_every_property_and_definition_of_the_schema_is_described():
    schema = json.loads(SCHEMA_PATH.read_text())
    found = list(properties(schema))
    assert len(found) > 120
    missing = [path for path, node in found if not str(node.get("description", "")).strip()]
    assert missing == [], f"undocumented: {missing}"
    assert all(str(d.get("description", "")).strip() for d in schema["$defs"].values())
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION == 1


def test_the_schema_lists_exactly_the_fields_the_model_writes():
    """The schema and the model cannot drift apart: the same field names at every level."""
    schema = json.loads(SCHEMA_PATH.read_text())

    def fields(model: Any) -> dict[str, Any]:
        return model.model_fields

    def check(model: Any, node: dict) -> None:
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
        assert set(node["properties"]) == set(fields(model)), model.__name__
        for name, info in fields(model).items():
            for inner in _models(info.annotation):
                sub = node["properties"][name]
                target = sub.get("items", sub)
                refs = [target] if "$ref" in target else [x for x in target.get("anyOf", []) if "$ref" in x]
                if not refs and "items" in sub.get("anyOf", [{}])[0]:
                    refs = [sub["anyOf"][0]["items"]]
                for ref in refs:
                    check(inner, ref)

    check(Report, schema)


def _models(annotation: Any) -> list[Any]:
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models(arg)]
