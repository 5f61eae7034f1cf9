"""The one JSON encoder: orjson, for every JSON answer Enlist writes outside SCIM's own path."""

from __future__ import annotations

from typing import Any

import orjson


def to_json(value: Any) -> bytes:
    """Compact UTF-8 JSON; keys keep their order; datetimes as RFC 3339."""
    return orjson.dumps(value)


def from_json(raw: bytes | str) -> Any:
    """Parse JSON; raises ValueError (orjson.JSONDecodeError) on anything else."""
    return orjson.loads(raw)
