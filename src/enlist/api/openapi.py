"""The OpenAPI 3.1 document of /api/v1, assembled from each area's `PATHS` and `SCHEMAS`."""

from __future__ import annotations

from types import ModuleType
from typing import Any

PREFIX = "/api/v1"

ERROR = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "description": "What went wrong, in plain words."}},
}


def error(description: str) -> dict[str, Any]:
    """A response carrying the error object."""
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


COMMON_ERRORS = {
    "401": error("No API key, or an unknown or revoked one."),
}


def document(areas: list[ModuleType]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR}
    for area in areas:
        for path, item in getattr(area, "PATHS", {}).items():
            paths[PREFIX + path] = item
        schemas.update(getattr(area, "SCHEMAS", {}))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Enlist API",
            "version": "1",
            "description": "Who may do what on which calendar, the people the identity "
            "provider provisioned, and the feed of every change. Authenticate with an API "
            "key of the account (Authorization: Bearer enl_api_…).",
        },
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
    }
