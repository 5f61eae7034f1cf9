"""The SCIM secrets' own actions beside the domain page: *Test connection*."""

from __future__ import annotations

from starlette.responses import Response

from enlist.admin.visit import PageRoute, Visit
from enlist.domain.query import Query
from enlist.scim.reading import parse_filter
from enlist.services import connection, tenancy


def test_connection(visit: Visit) -> Response:
    """Run the identity provider's test request for one secret and show what it answers."""
    domain = tenancy.account_domain(visit.db, visit.account_id, visit.request.path_params["id"])
    text, _ = connection.okta_request(domain.name)
    # parsed by the SCIM API's own parser, as the identity provider's request would be
    query = Query(filter=parse_filter(text), start_index=1, count=1)
    result = connection.test_connection(
        visit.db,
        visit.account_id,
        visit.request.path_params["secret_id"],
        query,
        actor=visit.actor,
    )
    return visit.render(
        "connection_test.html",
        domain=domain,
        result=result,
        scim_base_url=visit.scim_base_url(),
    )


ROUTES: list[PageRoute] = [
    ("/domains/{id}/secrets/{secret_id}/test", ["POST"], test_connection, False),
]
