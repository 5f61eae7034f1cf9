"""What the identity provider provisioned, as the admin reads it: users, groups, activity."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from enlist.services import tenancy
from enlist.store.accounts import AccountStore
from tests.admin.conftest import PASSWORD, csrf_of


def _signed_in_as(app: Any, db: Any, tenant: Any) -> TestClient:
    """Sign in as the admin of a tenant made by the `make_tenant` fixture (given a password)."""
    tenancy.set_password(db, tenant.account_id, PASSWORD)
    with db.read() as conn:
        email = AccountStore(conn).account(tenant.account_id)["email"]
    client = TestClient(app, base_url="http://enlist.test")
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in", data={"csrf_token": csrf_of(page.text), "email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return client


def test_users_page_lists_provisioned_users_with_status_and_groups(
    admin_app: Any, db: Any, tenant: Any, scim: Any
) -> None:
    ann = scim.create_user("ann@example.com", displayName="Ann Lee")
    bob = scim.create_user("bob@example.com")
    scim.patch(
        f"/Users/{bob['id']}", json={"Operations": [{"op": "replace", "value": {"active": False}}]}
    )
    scim.create_group("Engineering", [ann["id"]])
    with _signed_in_as(admin_app, db, tenant) as client:
        page = client.get("/users")
        assert "2 users" in page.text
        assert "Ann Lee" in page.text and "bob@example.com" in page.text
        assert "Deactivated" in page.text and "Active" in page.text
        assert "Engineering" in page.text
        assert "Identity provider (SCIM)" in page.text

        only_active = client.get("/users?status=deactivated")
        assert "bob@example.com" in only_active.text and "Ann Lee" not in only_active.text
        searched = client.get("/users?q=ANN")
        assert "1 user match" in searched.text and "bob@example.com" not in searched.text

        detail = client.get(f"/users/{ann['id']}")
        assert detail.status_code == 200
        assert "ann@example.com" in detail.text and "Engineering" in detail.text
        assert "Activity" in detail.text and "user.create" in detail.text


def test_groups_and_organizations_show_members(
    admin_app: Any, db: Any, tenant: Any, scim: Any
) -> None:
    ann = scim.create_user("ann@example.com")
    group = scim.create_group("Engineering", [ann["id"]])
    scim.create_group("Empty")
    with _signed_in_as(admin_app, db, tenant) as client:
        groups = client.get("/groups")
        assert "2 groups" in groups.text and "Engineering" in groups.text
        detail = client.get(f"/groups/{group['id']}")
        assert "ann@example.com" in detail.text
        organizations = client.get("/organizations")
        assert "example.com org" in organizations.text
        organization = client.get(f"/organizations/{tenant.organization_id}")
        assert "Engineering" in organization.text and "ann@example.com" in organization.text


def test_another_accounts_users_and_groups_answer_404(
    admin_app: Any, db: Any, tenant: Any, make_tenant: Any, client: Any
) -> None:
    from tests.conftest import Scim

    other = make_tenant("globex.com")
    other_scim = Scim(client, other)
    user = other_scim.create_user("eve@globex.com")
    group = other_scim.create_group("Globex staff", [user["id"]])
    with _signed_in_as(admin_app, db, tenant) as signed_in:
        assert signed_in.get(f"/users/{user['id']}").status_code == 404
        assert signed_in.get(f"/groups/{group['id']}").status_code == 404
        assert "eve@globex.com" not in signed_in.get("/users").text
        assert "Globex staff" not in signed_in.get("/groups").text


def test_activity_shows_refused_pushes_in_plain_words_and_filters(
    admin_app: Any, db: Any, tenant: Any, scim: Any
) -> None:
    scim.create_user("ann@example.com")
    scim.post("/Users", json={"userName": "mallory@elsewhere.com"})
    with _signed_in_as(admin_app, db, tenant) as client:
        page = client.get("/activity")
        assert "Refused mallory@elsewhere.com" in page.text
        assert "not on a verified trusted domain" in page.text
        assert f"SCIM · example.com ({tenant.token[:8]}…)" in page.text
        refused = client.get("/activity?outcome=refused")
        assert "mallory@elsewhere.com" in refused.text and "Created user ann" not in refused.text
        by_text = client.get("/activity?q=ann@")
        assert "ann@example.com" in by_text.text and "mallory" not in by_text.text
        by_type = client.get("/activity?type=Group")
        assert "Nothing matches these filters." in by_type.text


def test_overview_tracks_the_setup(admin_app: Any, db: Any, tenant: Any, scim: Any) -> None:
    with _signed_in_as(admin_app, db, tenant) as client:
        before = client.get("/")
        assert "4 of 5 done" in before.text
        scim.create_user("ann@example.com")
        after = client.get("/")
        assert "Complete" in after.text


def test_calendars_and_organizations_can_be_added(signed_in: Any, admin: Any, db: Any) -> None:
    page = signed_in.submit("/calendars", "/calendars", {"name": "Support rota", "plan": "pro"})
    assert "Added the calendar Support rota." in page.text
    assert [c.plan for c in tenancy.calendars(db, admin.account_id)] == ["enterprise", "pro"]
    refused = signed_in.submit("/calendars", "/calendars", {"name": "X", "plan": "platinum"})
    assert refused.status_code == 400 and "is not a plan" in refused.text
    organization = signed_in.submit("/organizations", "/organizations", {"name": "Acme Staff"})
    assert "Added the organization Acme Staff." in organization.text
    assert [o.name for o in tenancy.organizations(db, admin.account_id)] == ["Acme Staff"]
