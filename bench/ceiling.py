"""The stack's ceiling: a bare Starlette route that checks the bearer and returns a fixed user.

Served by the same uvicorn settings as `enlist serve`, it is the most any SCIM handler on
this stack could do: no database, no SCIM parsing, one JSON encoding per request.
"""

from __future__ import annotations

import json
import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TOKEN = os.environ.get("BENCH_TOKEN", "")
USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "2819c223f7a64d6b9c0a5d2a6e1c1c1c",
    "externalId": "00u00000000000000001",
    "userName": "user1@example.com",
    "name": {"formatted": "Given1 Family1", "familyName": "Family1", "givenName": "Given1"},
    "displayName": "Given1 Family1",
    "title": "Engineer",
    "locale": "en-US",
    "timezone": "Europe/Paris",
    "active": True,
    "emails": [{"value": "user1@example.com", "type": "work", "primary": True}],
    "groups": [],
    "meta": {
        "resourceType": "User",
        "created": "2026-01-01T00:00:00.001Z",
        "lastModified": "2026-01-01T00:00:00.001Z",
        "location": "http://127.0.0.1/scim/v2/Users/2819c223f7a64d6b9c0a5d2a6e1c1c1c",
        "version": 'W/"1"',
    },
}
ERROR = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "401"})


async def user(request: Request) -> Response:
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        return Response(ERROR, status_code=401, media_type="application/scim+json")
    if request.method != "GET":
        await request.body()
    return Response(json.dumps(USER), media_type="application/scim+json")


METHODS = ["GET", "POST", "PUT", "PATCH"]
app = Starlette(
    routes=[
        Route("/healthz", lambda request: Response("ok")),
        Route("/scim/v2/{rest:path}", user, methods=METHODS),
    ]
)
