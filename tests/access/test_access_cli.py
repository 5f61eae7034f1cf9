"""`enlist access` and `enlist account set`, run as an operator would, print the contract's
JSON (INTERFACE.md, "Calendar access") and refuse in one plain line."""

from __future__ import annotations

from enlist.services import tenancy


def test_an_operator_grants_lists_and_revokes_access(db, tenant, scim, enlist):
    calendar = tenancy.create_calendar(db, tenant.account_id, "Sales pipeline", "enterprise")
    ann = scim.create_user("ann@example.com")["id"]
    sales = scim.create_group("Sales", [ann])["id"]

    granted = enlist("access", "grant", calendar, "--group", sales, "--level", "modify", "--json")
    assert granted == {
        "calendar": calendar,
        "subject": {"type": "group", "id": sales},
        "level": "modify",
    }
    assert enlist("access", "list", calendar, "--json") == {
        "calendar": calendar,
        "people": [
            {
                "id": ann,
                "userName": "ann@example.com",
                "level": "modify",
                "via": [{"type": "group", "id": sales, "name": "Sales"}],
            }
        ],
    }
    enlist("access", "grant", calendar, "--user", ann, "--level", "modify", "--json")
    assert enlist("access", "of", ann, "--json") == {
        "person": ann,
        "calendars": [
            {
                "id": calendar,
                "name": "Sales pipeline",
                "level": "modify",
                "via": [{"type": "user"}, {"type": "group", "id": sales, "name": "Sales"}],
            }
        ],
    }
    assert enlist("access", "revoke", calendar, "--user", ann, "--json") == {
        "calendar": calendar,
        "subject": {"type": "user", "id": ann},
        "revoked": True,
    }

    refused = enlist(
        "access", "grant", calendar, "--group", sales, "--level", "administrator", ok=False
    )
    assert "cannot grant administrator" in refused
    assert enlist(
        "account", "set", tenant.account_id, "--allow-group-administrators", "true", "--json"
    ) == {"id": tenant.account_id, "allow_group_administrators": True}
    enlist("access", "grant", calendar, "--group", sales, "--level", "administrator", "--json")

    assert "no level 'owner'" in enlist(
        "access", "grant", calendar, "--user", ann, "--level", "owner", ok=False
    )
    assert "exactly one" in enlist("access", "revoke", calendar, ok=False)
    assert "no calendar" in enlist("access", "list", "nope", ok=False)
    assert "no person" in enlist("access", "of", "nope", ok=False)
