"""GET /api/v1/account: the account an API key acts for (lets the calendar check its key)."""

from __future__ import annotations

from typing import Any

from enlist.api.http import ApiRoute, Call
from enlist.api.openapi import COMMON_ERRORS
from enlist.services import tenancy


def account(call: Call) -> dict[str, Any]:
    found = tenancy.account_of(call.db, call.account_id)
    return {"id": found.id, "name": found.name}


ROUTES: list[ApiRoute] = [("/account", "GET", account)]

SCHEMAS: dict[str, Any] = {
    "Account": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
    }
}

PATHS: dict[str, Any] = {
    "/account": {
        "get": {
            "summary": "The account this API key belongs to",
            "operationId": "getAccount",
            "responses": {
                "200": {
                    "description": "The account.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Account"}}
                    },
                },
                **COMMON_ERRORS,
            },
        }
    }
}
