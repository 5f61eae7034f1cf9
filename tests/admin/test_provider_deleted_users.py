"""What the admin sees of a user the identity provider deleted: listed as such, with the time."""

from __future__ import annotations

from typing import Any

from tests.admin.test_directory_pages import _signed_in_as

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def test_users_page_shows_users_deleted_by_the_identity_provider(
    admin_app: Any, db: Any, tenant: Any, scim: Any
) -> None:
    ann = scim.create_user("ann@example.com", displayName="Ann Lee")
    scim.create_user("bob@example.com")
    scim.create_group("Engineering", [ann["id"]])
    assert scim.delete(f"/Users/{ann['id']}").status_code == 204

    with _signed_in_as(admin_app, db, tenant) as client:
        page = client.get("/users")
        assert "2 users" in page.text
        assert "Deleted by the identity provider" in page.text
        assert "<time" in page.text

        deleted = client.get("/users?status=deleted")
        assert "Ann Lee" in deleted.text and "bob@example.com" not in deleted.text
        assert 'value="deleted" selected' in deleted.text
        for status in ("active", "deactivated"):
            assert "Ann Lee" not in client.get(f"/users?status={status}").text

        detail = client.get(f"/users/{ann['id']}")
        assert detail.status_code == 200
        assert "Deleted by the identity provider" in detail.text
        assert "the calendar data they created stays" in detail.text
        assert "Not in any group." in detail.text
        assert "user.delete" in detail.text


def test_user_page_shows_the_enterprise_attributes(
    admin_app: Any, db: Any, tenant: Any, scim: Any
) -> None:
    boss = scim.create_user("boss@example.com", displayName="The Boss")
    ann = scim.create_user(
        "ann@example.com",
        **{ENTERPRISE: {"employeeNumber": "42", "department": "R&D", "manager": boss["id"]}},
    )
    with _signed_in_as(admin_app, db, tenant) as client:
        detail = client.get(f"/users/{ann['id']}").text
        assert "Employee number" in detail and "42" in detail
        assert "R&amp;D" in detail
        assert f'href="/users/{boss["id"]}"' in detail and "The Boss" in detail
