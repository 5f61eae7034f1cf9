"""scim2-server's in-memory reference server, as its own ASGI app, seeded for the benchmarks.

`create_app()` is a uvicorn factory. It reads BENCH_REF_USERS (users to create),
BENCH_REF_BIG_GROUP and BENCH_REF_POOL (a group of that many members, and that many more
users outside it), BENCH_TOKEN (the bearer token it accepts) and BENCH_REF_OUT (a JSON
file where it writes the ids the load scripts need). Users are created through the
storage's own `create`, with the same shape as bench/seed.py gives Enlist's users.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

from scim2_models import UnauthorizedException
from scim2_server.applications.asgi import ASGIApplication
from scim2_server.memory import AsyncInMemoryStorage, InMemoryStorage
from scim2_server.requests import ScimRequest
from scim2_server.service import ScimService
from scim2_server.utils import load_default_provider


class BearerApplication(ASGIApplication):
    """The reference ASGI app with the same bearer check Enlist's clients pass."""

    token = ""

    def check_auth(self, request: ScimRequest) -> None:
        if (request.header("Authorization") or "") != f"Bearer {self.token}":
            raise UnauthorizedException


def _user(model: Any, i: int) -> Any:
    name = f"user{i}@example.com"
    return model.model_validate(
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": name,
            "externalId": f"00u{i:017d}",
            "name": {
                "formatted": f"Given{i} Family{i}",
                "familyName": f"Family{i}",
                "givenName": f"Given{i}",
            },
            "displayName": f"Given{i} Family{i}",
            "title": "Engineer",
            "locale": "en-US",
            "timezone": "Europe/Paris",
            "active": True,
            "emails": [{"value": name, "type": "work", "primary": True}],
        }
    )


def create_app() -> BearerApplication:
    provider = load_default_provider()
    service = ScimService(provider, secret="bench-" + "x" * 32)
    storage = InMemoryStorage()
    user_type = service.get_resource_type("User")
    group_type = service.get_resource_type("Group")
    n_users = int(os.environ.get("BENCH_REF_USERS", "1000"))
    big_group = int(os.environ.get("BENCH_REF_BIG_GROUP", "0"))
    pool = int(os.environ.get("BENCH_REF_POOL", "0"))
    # The provider's own models: resources of another class break its PUT (replace()).
    user_model, group_model = service.get_model(user_type), service.get_model(group_type)
    created = [
        storage.create(user_type, _user(user_model, i)) for i in range(1, n_users + pool + 1)
    ]
    out: dict[str, Any] = {}
    rng = random.Random(42)
    sample = rng.sample(created[:n_users], min(100_000, n_users))
    out["ids"] = [[u.id, u.user_name] for u in sample]
    if big_group:
        members = [{"value": u.id, "display": u.display_name} for u in created[:big_group]]
        everyone = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Everyone",
            "members": members,
        }
        group = storage.create(group_type, group_model.model_validate(everyone))
        out["big_group_id"] = group.id
        out["pool"] = [u.id for u in created[n_users:]]
        out["members"] = [u.id for u in rng.sample(created[:big_group], min(big_group, 20_000))]
    target = os.environ.get("BENCH_REF_OUT")
    if target:
        with open(target, "w") as handle:
            json.dump(out, handle)
    app = BearerApplication(AsyncInMemoryStorage(storage), provider, service)
    app.token = os.environ.get("BENCH_TOKEN", "")
    return app
