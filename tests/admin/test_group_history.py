"""A group's page lists its own history (whatever names it had, nobody else's), and the
activity log links the people a membership change added or removed."""

from __future__ import annotations

import re
from typing import Any

from tests.admin.test_directory_pages import _signed_in_as

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _history(html: str) -> str:
    return html.split('id="history-title"', 1)[1]


def test_a_groups_page_shows_its_own_history_across_a_rename(
    admin_app: Any, db: Any, tenant: Any, scim: Any
) -> None:
    ann = scim.create_user("ann@example.com", displayName="Ann Lee")
    bob = scim.create_user("bob@example.com", displayName="Bob Roe")
    sales = scim.create_group("Sales", [ann["id"]])
    scim.create_group("Sales EMEA", [bob["id"]])
    scim.patch(
        f"/Groups/{sales['id']}",
        json={
            "schemas": [PATCH],
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": bob["id"]}]},
                {"op": "replace", "value": {"displayName": "Revenue"}},
            ],
        },
    )
    with _signed_in_as(admin_app, db, tenant) as client:
        history = _history(client.get(f"/groups/{sales['id']}").text)
        assert "Sales EMEA" not in history, "another group's entries are not its history"
        assert history.count('<tr class="outcome-') == 2, "created, then changed"
        assert "Revenue" in history and "Sales" in history
        assert f'<a href="/users/{bob["id"]}">Bob Roe</a>' in history
        assert f'<a href="/users/{ann["id"]}">Ann Lee</a>' in history


def test_the_activity_log_links_the_people_and_says_how_many_more(
    admin_app: Any, db: Any, tenant: Any, scim: Any
) -> None:
    people = [scim.create_user(f"p{n}@example.com", displayName=f"Person {n}") for n in range(8)]
    group = scim.create_group("Everyone", [p["id"] for p in people])
    with _signed_in_as(admin_app, db, tenant) as client:
        page = client.get("/activity?type=Group").text
        linked = re.findall(r'<a href="/users/([0-9a-f]+)">Person \d</a>', page)
        assert 1 <= len(linked) < 8 and set(linked) <= {p["id"] for p in people}
        assert f"and {8 - len(linked)} more" in page
        assert f'<a href="/groups/{group["id"]}">Everyone</a>' in page
