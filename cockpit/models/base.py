"""Provides the strict base model every input file model derives from.

Unknown fields are refused (a typo in a phase file must not silently drop a criterion).
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, ip_address
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

# Types parsed from TOML strings: exempt from strict mode, which would demand ready-made instances.
Subnet = Annotated[IPv4Network, Field(strict=False)]


def _ip(value: object) -> object:
    if isinstance(value, str):
        try:
            return ip_address(value)
        except ValueError:
            raise ValueError(f"'{value}' is not a valid IP address") from None
    return value


Address = Annotated[IPv4Address | IPv6Address, BeforeValidator(_ip)]
FilePath = Annotated[Path, Field(strict=False)]


def _pair(value: object) -> object:
    """A TOML array of two integers becomes a tuple (a single integer N means N..N)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    return tuple(value) if isinstance(value, list) else value


StatusRange = Annotated[tuple[int, int], BeforeValidator(_pair)]

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Strict(BaseModel):
    """A model that forbids unknown fields and is immutable once loaded."""

    # strict: "no" is not a boolean and "10" is not a VLAN id; a typo must not change meaning.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)
