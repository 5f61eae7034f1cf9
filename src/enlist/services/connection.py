"""*Test connection*: what the identity provider's first request with a secret would get.

Okta tests a SCIM app with GET /Users?filter=userName eq "..."&startIndex=1&count=1. The
secret's value is shown once and never stored, so the test cannot send it: it runs the
same path from the secret's id instead, in the same order as the SCIM API (the secret is
active, its domain verified, then the use case with the plan gate, then the query).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from enlist.clock import now
from enlist.domain.errors import EnlistError, Forbidden, NotFound
from enlist.domain.query import Query
from enlist.services import directory
from enlist.services.unit import Actor, writing
from enlist.store.accounts import AccountStore
from enlist.store.db import Database

TEST_USER = "enlist-connection-test"


@dataclass(frozen=True)
class ConnectionTest:
    """The answer the identity provider would get, in words."""

    hint: str
    request: str  # the request tried, as the identity provider sends it
    status: int  # 200 when it works
    summary: str
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == 200


def okta_request(domain: str) -> tuple[str, str]:
    """The filter Okta's test sends, and the request line it belongs to."""
    user = f"{TEST_USER}@{domain}"
    text = f'userName eq "{user}"'
    return text, f"GET /Users?filter={text}&startIndex=1&count=1"


def test_connection(
    db: Database, account_id: str, secret_id: str, query: Query, *, actor: Actor
) -> ConnectionTest:
    """Run the identity provider's test request for one of the account's secrets (`query`
    is that request, parsed by the SCIM API's own parser); the result goes to the log."""
    with db.read() as conn:
        store = AccountStore(conn)
        found = store.secret(secret_id)
        tenant = store.tenant_for_secret(secret_id)
    if found is None or tenant is None or found["account_id"] != account_id:
        raise NotFound(f"There is no SCIM secret {secret_id}.")
    hint = found["hint"]
    _, request = okta_request(tenant.domain_name)
    expires = found["expires_at"]
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=now().tzinfo)
    notes: list[str] = []
    if found["revoked_at"] is not None:
        result = ConnectionTest(
            hint, request, 401, f"401 Unauthorized: the secret {hint} is revoked."
        )
    elif expires is not None and expires <= now():
        result = ConnectionTest(
            hint,
            request,
            401,
            f"401 Unauthorized: the secret {hint} expired on {expires:%Y-%m-%d %H:%M} UTC.",
        )
    else:
        try:
            page = directory.list_users(db, tenant, query)
        except Forbidden as refused:  # the plan gate: the SCIM API answers 403 with it
            result = ConnectionTest(hint, request, 403, f"403 Forbidden: {refused.detail}")
        except EnlistError as refused:
            result = ConnectionTest(hint, request, 400, f"400 Bad Request: {refused.detail}")
        else:
            if tenant.organization_id is None:
                notes.append(
                    f"{tenant.domain_name} is not linked to an organization: users work, "
                    "but groups pushed with this secret are refused until you link one."
                )
            result = ConnectionTest(
                hint,
                request,
                200,
                f"200 OK: the SCIM API answered with {page.total or 0} matching user(s), "
                "as it would answer your identity provider.",
                notes,
            )
    with writing(db, account_id, actor) as change:
        change.log(
            "secret.test",
            f"Tested the connection with the SCIM secret {hint}: {result.summary}",
            resource_type="Secret",
            resource_id=secret_id,
            resource_name=tenant.domain_name,
        )
    return result
