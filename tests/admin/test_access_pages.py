"""A calendar's Access section and Who has access, as the admin uses them; the person's and
the group's pages say what they reach."""

from __future__ import annotations

import re
from typing import Any

from starlette.testclient import TestClient

from enlist.domain.access import Level, Subject, SubjectType
from enlist.services import access, activity, tenancy
from enlist.store.accounts import AccountStore
from enlist.store.events import EventStore
from tests.admin.conftest import PASSWORD, csrf_of


def _signed_in_as(app: Any, db: Any, tenant: Any) -> TestClient:
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


def _post(client: TestClient, page: str, action: str, data: dict[str, str]) -> Any:
    token = csrf_of(client.get(page).text)
    return client.post(action, data={"csrf_token": token, **data})


def _who_has_access(html: str) -> list[tuple[str, str]]:
    section = html.split('id="who-title"', 1)[1]
    return re.findall(
        r'<tr><td><a href="/users/[^"]+">([^<]+)</a>.*?</td><td>([^<]+)</td></tr>', section
    )


def test_the_admin_grants_a_group_finds_it_and_sees_who_has_access(
    admin_app: Any, db: Any, tenant: Any, scim: Any
) -> None:
    calendar = tenancy.create_calendar(db, tenant.account_id, "Sales pipeline", "enterprise")
    ann = scim.create_user("ann@example.com", displayName="Ann Lee")["id"]
    bob = scim.create_user("bob@example.com", displayName="Bob Ray")["id"]
    sales = scim.create_group("Sales", [ann, bob])["id"]
    page = f"/calendars/{calendar}"
    with _signed_in_as(admin_app, db, tenant) as client:
        assert f'href="{page}"' in client.get("/calendars").text
        found = client.get(page, params={"find": "sal"}).text
        assert "Group <strong>Sales</strong>" in found
        done = _post(
            client,
            page,
            f"{page}/access",
            {"subject_type": "group", "subject_id": sales, "level": "modify"},
        )
        assert done.status_code == 200 and "Granted Modify." in done.text
        assert _who_has_access(done.text) == [
            ("Ann Lee", "Modify, via group Sales"),
            ("Bob Ray", "Modify, via group Sales"),
        ]
        # a person directly, with a lesser level: the group's still wins
        _post(
            client,
            page,
            f"{page}/access",
            {"subject_type": "user", "subject_id": ann, "level": "read_only"},
        )
        changed = _post(
            client,
            page,
            f"{page}/access",
            {"subject_type": "group", "subject_id": sales, "level": "read_only"},
        )
        assert "Changed the level from Modify to Read only." in changed.text
        assert ("Ann Lee", "Read only, directly and via group Sales") in _who_has_access(
            changed.text
        )
        searched = client.get(page, params={"q": "bob"}).text
        assert _who_has_access(searched) == [("Bob Ray", "Read only, via group Sales")]

        person = client.get(f"/users/{ann}").text
        assert "Sales pipeline</a>: Read only, directly and via group Sales" in person
        group = client.get(f"/groups/{sales}").text
        assert "Sales pipeline</a>: Read only" in group

        removed = _post(
            client, page, f"{page}/access/remove", {"subject_type": "group", "subject_id": sales}
        )
        assert "Removed the grant (Read only)." in removed.text
        assert _who_has_access(removed.text) == [("Ann Lee", "Read only, directly")]
    entries = [e.detail for _, e in activity.newest(db, tenant.account_id, limit=10)]
    assert "Granted Group Sales Modify on calendar Sales pipeline." in entries


def test_refusals_are_shown_beside_the_form_and_logged(
    admin_app: Any, db: Any, tenant: Any, scim: Any, make_tenant: Any
) -> None:
    calendar = tenancy.create_calendar(db, tenant.account_id, "Sales pipeline", "enterprise")
    sales = scim.create_group("Sales")["id"]
    page = f"/calendars/{calendar}"
    other = make_tenant("other.org")
    theirs = tenancy.create_calendar(db, other.account_id, "Theirs", "enterprise")
    with _signed_in_as(admin_app, db, tenant) as client:
        refused = _post(
            client,
            page,
            f"{page}/access",
            {"subject_type": "group", "subject_id": sales, "level": "administrator"},
        )
        assert refused.status_code == 400
        assert "silently make calendar administrators" in refused.text
        assert client.get(f"/calendars/{theirs}").status_code == 404
        assert (
            _post(
                client,
                page,
                f"/calendars/{theirs}/access",
                {"subject_type": "group", "subject_id": sales, "level": "modify"},
            ).status_code
            == 404
        )
        assert access.grants_of(db, other.account_id, Subject(SubjectType.group, sales)) == []
        bad = _post(client, page, f"{page}/access", {"subject_type": "x", "level": "modify"})
        assert bad.status_code == 400 and "Choose a group or a person" in bad.text
    refusals = [e.detail for _, e in activity.newest(db, tenant.account_id, outcome="refused")]
    assert any("cannot grant administrator" in r for r in refusals)


def test_who_has_access_pages_a_big_group_instead_of_rendering_everyone(
    admin_app: Any, db: Any, tenant: Any, scim: Any
) -> None:
    calendar = tenancy.create_calendar(db, tenant.account_id, "All hands", "enterprise")
    ids = [scim.create_user(f"p{n:03}@example.com")["id"] for n in range(60)]
    everyone = scim.create_group("Everyone", ids)["id"]
    access.grant(
        db, tenant.account_id, calendar, Subject(SubjectType.group, everyone), Level.read_only
    )
    with _signed_in_as(admin_app, db, tenant) as client:
        first = client.get(f"/calendars/{calendar}").text
        assert len(_who_has_access(first)) == 50
        following = re.search(r'href="(\?q=&amp;after=\d+)" rel="next"', first)
        assert following
        second = client.get(
            f"/calendars/{calendar}" + following.group(1).replace("&amp;", "&")
        ).text
        assert [n for n, _ in _who_has_access(second)] == [
            f"p{n:03}@example.com" for n in range(50, 60)
        ]
        assert 'rel="next"' not in second


def test_a_grant_on_the_page_is_announced_with_the_admin_as_actor(
    admin_app: Any, db: Any, tenant: Any, scim: Any
) -> None:
    calendar = tenancy.create_calendar(db, tenant.account_id, "Sales pipeline", "enterprise")
    ann = scim.create_user("ann@example.com")["id"]
    sales = scim.create_group("Sales", [ann])["id"]
    with db.read() as conn:
        start = EventStore(conn).last_sequence(tenant.account_id)
    page = f"/calendars/{calendar}"
    with _signed_in_as(admin_app, db, tenant) as client:
        done = _post(
            client,
            page,
            f"{page}/access",
            {"subject_type": "group", "subject_id": sales, "level": "read_only"},
        )
        assert done.status_code == 200
    with db.read() as conn:
        events = EventStore(conn).after(tenant.account_id, start, 100)
        email = AccountStore(conn).account(tenant.account_id)["email"]
    assert [(e.type, e.data.get("person"), e.data["new"]) for e in events] == [
        ("access.changed", None, "read_only"),
        ("access.changed", ann, "read_only"),
    ]
    assert events[0].actor["type"] == "admin" and events[0].actor["id"] == email


def test_the_admin_allows_groups_to_grant_administrator_from_a_calendar_page(
    admin_app: Any, db: Any, tenant: Any, scim: Any
) -> None:
    calendar = tenancy.create_calendar(db, tenant.account_id, "Board", "enterprise")
    ann = scim.create_user("ann@example.com")["id"]
    admins = scim.create_group("Calendar admins", [ann])["id"]
    page = f"/calendars/{calendar}"
    grant = {"subject_type": "group", "subject_id": admins, "level": "administrator"}
    with _signed_in_as(admin_app, db, tenant) as client:
        refused = _post(client, page, f"{page}/access", grant)
        assert refused.status_code == 400 and "Access was not changed" in refused.text
        assert "Allow groups to grant Administrator" in refused.text

        allowed = _post(client, page, f"{page}/group-administrators", {"allow": "true"})
        assert "Groups may now grant Administrator" in allowed.text
        assert "Stop groups granting Administrator" in allowed.text
        assert _post(client, page, f"{page}/access", grant).status_code == 200
        assert _who_has_access(client.get(page).text)[0][1].startswith("Administrator")

        stopped = _post(client, page, f"{page}/group-administrators", {"allow": "false"})
        assert "Groups may no longer grant Administrator" in stopped.text
    assert access.allows_group_administrators(db, tenant.account_id) is False
    logged = [e.detail for _, e in activity.newest(db, tenant.account_id)]
    assert "Groups may now grant administrator on calendars." in logged


def test_another_accounts_calendar_setting_form_answers_404(
    admin_app: Any, db: Any, tenant: Any, make_tenant: Any
) -> None:
    other = make_tenant("globex.com")
    theirs = tenancy.create_calendar(db, other.account_id, "Theirs", "enterprise")
    mine = tenancy.create_calendar(db, tenant.account_id, "Mine", "enterprise")
    with _signed_in_as(admin_app, db, tenant) as client:
        answer = _post(
            client,
            f"/calendars/{mine}",
            f"/calendars/{theirs}/group-administrators",
            {"allow": "true"},
        )
    assert answer.status_code == 404
    assert access.allows_group_administrators(db, tenant.account_id) is False
    assert access.allows_group_administrators(db, other.account_id) is False
