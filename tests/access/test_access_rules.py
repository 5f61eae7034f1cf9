"""The access rules, through the services the pages, CLI and API share, on both backends;
SCIM changes go through the real SCIM API so their hooks run in its transactions."""

from __future__ import annotations

from typing import Any

import pytest

from enlist.domain.access import Level, Subject, SubjectType, level_of
from enlist.domain.errors import Forbidden, NotFound
from enlist.services import access, tenancy
from enlist.services.unit import Actor
from enlist.store.activity import ActivityStore
from enlist.store.db import Database
from enlist.store.events import EventStore

ADMIN = Actor("admin", "boss@example.com")


def group(group_id: str) -> Subject:
    return Subject(SubjectType.group, group_id)


def user(user_id: str) -> Subject:
    return Subject(SubjectType.user, user_id)


@pytest.fixture
def calendar(db: Database, tenant: Any) -> str:
    return tenancy.create_calendar(db, tenant.account_id, "Sales pipeline", "enterprise")


def _mark(db: Database, account_id: str) -> int:
    with db.read() as conn:
        return EventStore(conn).last_sequence(account_id)


def _access_events(db: Database, account_id: str, after: int) -> list[dict[str, Any]]:
    with db.read() as conn:
        events = EventStore(conn).after(account_id, after, 100_000)
    return [e.data for e in events if e.type == "access.changed"]


def _people_events(db: Database, account_id: str, after: int) -> dict[str, tuple[str, str]]:
    """person id -> (old, new) of the per-person access.changed events since `after`."""
    found = {}
    for data in _access_events(db, account_id, after):
        if "person" in data:
            found[data["person"]] = (data["old"], data["new"])
    return found


def _level(rank: int) -> Level:
    return level_of(rank)


def test_a_group_grant_gives_its_members_the_level_via_the_group(db, tenant, scim, calendar):
    ann = scim.create_user("ann@example.com")["id"]
    bob = scim.create_user("bob@example.com")["id"]
    sales = scim.create_group("Sales", [ann])["id"]
    granted = access.grant(db, tenant.account_id, calendar, group(sales), Level.modify)
    assert granted.previous is None and granted.level is Level.modify
    assert access.check(db, tenant.account_id, ann, calendar) is Level.modify
    assert access.check(db, tenant.account_id, bob, calendar) is Level.no_access
    (line,) = access.people_with_access(db, tenant.account_id, calendar).people
    assert line.person.id == ann and [v.document() for v in line.via] == [
        {"type": "group", "id": sales, "name": "Sales"}
    ]
    mine = access.calendars_of(db, tenant.account_id, ann).calendars
    assert [(c.calendar_id, c.calendar_name, _level(c.rank)) for c in mine] == [
        (calendar, "Sales pipeline", Level.modify)
    ]


def test_the_most_permissive_grant_wins_and_every_grant_at_that_level_is_named(
    db, tenant, scim, calendar
):
    ann = scim.create_user("ann@example.com")["id"]
    sales = scim.create_group("Sales", [ann])["id"]
    readers = scim.create_group("Readers", [ann])["id"]
    access.grant(db, tenant.account_id, calendar, group(readers), Level.read_only)
    access.grant(db, tenant.account_id, calendar, group(sales), Level.modify_own)
    assert access.check(db, tenant.account_id, ann, calendar) is Level.modify_own
    access.grant(db, tenant.account_id, calendar, user(ann), Level.modify_own)
    (line,) = access.people_with_access(db, tenant.account_id, calendar).people
    assert [v.document() for v in line.via] == [
        {"type": "user"},
        {"type": "group", "id": sales, "name": "Sales"},
    ]
    # granting again changes the level: one grant per (calendar, subject)
    access.set_allow_group_administrators(db, tenant.account_id, True)
    again = access.grant(db, tenant.account_id, calendar, group(readers), Level.administrator)
    assert again.previous is Level.read_only
    access.revoke(db, tenant.account_id, calendar, group(readers))
    assert access.check(db, tenant.account_id, ann, calendar) is Level.modify_own


def test_administrator_through_a_group_is_refused_unless_the_account_allows_it(
    db, tenant, scim, calendar
):
    ann = scim.create_user("ann@example.com")["id"]
    admins = scim.create_group("Calendar admins", [ann])["id"]
    with pytest.raises(Forbidden, match="silently make calendar administrators"):
        access.grant(db, tenant.account_id, calendar, group(admins), Level.administrator)
    assert access.check(db, tenant.account_id, ann, calendar) is Level.no_access
    # directly, to a person, it is fine
    access.grant(db, tenant.account_id, calendar, user(ann), Level.administrator)
    access.revoke(db, tenant.account_id, calendar, user(ann))
    access.set_allow_group_administrators(db, tenant.account_id, True)
    access.grant(db, tenant.account_id, calendar, group(admins), Level.administrator)
    assert access.check(db, tenant.account_id, ann, calendar) is Level.administrator


def test_another_accounts_calendar_group_or_person_is_not_found(
    db, tenant, scim, calendar, make_tenant
):
    ann = scim.create_user("ann@example.com")["id"]
    sales = scim.create_group("Sales", [ann])["id"]
    other = make_tenant("other.org")
    theirs = tenancy.create_calendar(db, other.account_id, "Theirs", "enterprise")
    with pytest.raises(NotFound, match="no calendar"):
        access.grant(db, tenant.account_id, theirs, group(sales), Level.modify)
    with pytest.raises(NotFound, match="no group"):
        access.grant(db, other.account_id, theirs, group(sales), Level.modify)
    with pytest.raises(NotFound, match="no provisioned user"):
        access.grant(db, other.account_id, theirs, user(ann), Level.modify)
    with pytest.raises(NotFound):
        access.check(db, other.account_id, ann, theirs)
    with pytest.raises(NotFound):
        access.check(db, tenant.account_id, ann, theirs)
    with pytest.raises(NotFound):
        access.calendars_of(db, other.account_id, ann)
    assert access.people_by_email(db, other.account_id, "ann@example.com") == []


def test_a_grant_change_is_logged_and_announced_for_the_subject_and_each_person(
    db, tenant, scim, calendar
):
    ann = scim.create_user("ann@example.com")["id"]
    bob = scim.create_user("bob@example.com")["id"]
    sales = scim.create_group("Sales", [ann, bob])["id"]
    access.grant(db, tenant.account_id, calendar, user(bob), Level.modify)
    mark = _mark(db, tenant.account_id)
    access.grant(db, tenant.account_id, calendar, group(sales), Level.read_only, actor=ADMIN)
    subject_event, *rest = _access_events(db, tenant.account_id, mark)
    assert subject_event == {
        "id": calendar,
        "calendar": calendar,
        "subject": {"type": "group", "id": sales},
        "old": "no_access",
        "new": "read_only",
    }
    # bob has modify directly: the group's read_only changes nothing for him
    assert _people_events(db, tenant.account_id, mark) == {ann: ("no_access", "read_only")}
    assert rest[0]["subject"] == {"type": "group", "id": sales} and rest[0]["userName"]
    mark = _mark(db, tenant.account_id)
    access.grant(db, tenant.account_id, calendar, group(sales), Level.modify_own, actor=ADMIN)
    assert _people_events(db, tenant.account_id, mark) == {ann: ("read_only", "modify_own")}
    with db.read() as conn:
        (_, entry), *_ = ActivityStore(conn).newest(tenant.account_id, limit=1)
    assert entry.actor == "boss@example.com" and entry.resource_id == calendar
    assert entry.detail == (
        "Changed Group Sales's access to calendar Sales pipeline: Read only → Modify my events."
    )
    assert entry.changes == {
        "subject": {"type": "group", "id": sales, "name": "Sales"},
        "old": "read_only",
        "new": "modify_own",
    }
    mark = _mark(db, tenant.account_id)
    access.revoke(db, tenant.account_id, calendar, group(sales), actor=ADMIN)
    assert _people_events(db, tenant.account_id, mark) == {ann: ("modify_own", "no_access")}


def test_okta_adding_and_removing_members_changes_access_in_the_same_request(
    db, tenant, scim, calendar
):
    ann = scim.create_user("ann@example.com")["id"]
    bob = scim.create_user("bob@example.com")["id"]
    sales = scim.create_group("Sales", [ann])["id"]
    access.grant(db, tenant.account_id, calendar, group(sales), Level.modify)
    mark = _mark(db, tenant.account_id)
    add = {"Operations": [{"op": "add", "path": "members", "value": [{"value": bob}]}]}
    assert scim.patch(f"/Groups/{sales}", json=add).status_code in (200, 204)
    assert access.check(db, tenant.account_id, bob, calendar) is Level.modify
    assert _people_events(db, tenant.account_id, mark) == {bob: ("no_access", "modify")}
    mark = _mark(db, tenant.account_id)
    remove = {"Operations": [{"op": "remove", "path": f'members[value eq "{ann}"]'}]}
    assert scim.patch(f"/Groups/{sales}", json=remove).status_code in (200, 204)
    assert access.check(db, tenant.account_id, ann, calendar) is Level.no_access
    assert _people_events(db, tenant.account_id, mark) == {ann: ("modify", "no_access")}
    # a PUT that swaps the members: bob out, ann back
    mark = _mark(db, tenant.account_id)
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Sales",
        "members": [{"value": ann}],
    }
    assert scim.put(f"/Groups/{sales}", json=body).status_code == 200
    assert _people_events(db, tenant.account_id, mark) == {
        ann: ("no_access", "modify"),
        bob: ("modify", "no_access"),
    }


def test_a_member_who_keeps_the_level_through_another_grant_is_not_announced(
    db, tenant, scim, calendar
):
    ann = scim.create_user("ann@example.com")["id"]
    sales = scim.create_group("Sales", [ann])["id"]
    access.grant(db, tenant.account_id, calendar, group(sales), Level.read_only)
    access.grant(db, tenant.account_id, calendar, user(ann), Level.modify)
    mark = _mark(db, tenant.account_id)
    remove = {"Operations": [{"op": "remove", "path": "members", "value": [{"value": ann}]}]}
    assert scim.patch(f"/Groups/{sales}", json=remove).status_code in (200, 204)
    assert _people_events(db, tenant.account_id, mark) == {}
    assert access.check(db, tenant.account_id, ann, calendar) is Level.modify


def test_deleting_a_group_deletes_its_grants_and_announces_each(db, tenant, scim, calendar):
    ann = scim.create_user("ann@example.com")["id"]
    sales = scim.create_group("Sales", [ann])["id"]
    second = tenancy.create_calendar(db, tenant.account_id, "Team", "basic")
    access.grant(db, tenant.account_id, calendar, group(sales), Level.modify)
    access.grant(db, tenant.account_id, second, group(sales), Level.read_only)
    mark = _mark(db, tenant.account_id)
    assert scim.delete(f"/Groups/{sales}").status_code == 204
    events = _access_events(db, tenant.account_id, mark)
    dropped = [(e["calendar"], e["old"], e["new"]) for e in events if "person" not in e]
    assert sorted(dropped) == sorted(
        [(calendar, "modify", "no_access"), (second, "read_only", "no_access")]
    )
    people = [(e["calendar"], e["person"], e["old"]) for e in events if "person" in e]
    assert sorted(people) == sorted([(calendar, ann, "modify"), (second, ann, "read_only")])
    assert access.calendars_of(db, tenant.account_id, ann).calendars == []
    assert access.grants_of(db, tenant.account_id, group(sales)) == []


def test_deactivation_ends_access_and_reactivation_brings_it_back(db, tenant, scim, calendar):
    ann = scim.create_user("ann@example.com")["id"]
    sales = scim.create_group("Sales", [ann])["id"]
    access.grant(db, tenant.account_id, calendar, group(sales), Level.modify)
    mark = _mark(db, tenant.account_id)
    off = {"Operations": [{"op": "replace", "value": {"active": False}}]}
    assert scim.patch(f"/Users/{ann}", json=off).status_code == 200
    assert access.check(db, tenant.account_id, ann, calendar) is Level.no_access
    assert access.people_with_access(db, tenant.account_id, calendar).people == []
    assert access.calendars_of(db, tenant.account_id, ann).calendars == []
    assert _people_events(db, tenant.account_id, mark) == {ann: ("modify", "no_access")}
    mark = _mark(db, tenant.account_id)
    on = {"Operations": [{"op": "replace", "value": {"active": True}}]}
    assert scim.patch(f"/Users/{ann}", json=on).status_code == 200
    assert access.check(db, tenant.account_id, ann, calendar) is Level.modify
    assert _people_events(db, tenant.account_id, mark) == {ann: ("no_access", "modify")}


def test_a_person_the_provider_deletes_loses_direct_grants_and_is_still_found(
    db, tenant, scim, calendar
):
    ann = scim.create_user("ann@example.com")["id"]
    access.grant(db, tenant.account_id, calendar, user(ann), Level.modify)
    mark = _mark(db, tenant.account_id)
    assert scim.delete(f"/Users/{ann}").status_code == 204
    events = _access_events(db, tenant.account_id, mark)
    assert {(e.get("person"), e["old"], e["new"]) for e in events} == {
        (ann, "modify", "no_access"),
        (None, "modify", "no_access"),
    }
    assert access.grants_of(db, tenant.account_id, user(ann)) == []
    found = access.calendars_of(db, tenant.account_id, ann)
    assert found.deleted and found.calendars == []
    assert access.check(db, tenant.account_id, ann, calendar) is Level.no_access
    (by_email,) = access.people_by_email(db, tenant.account_id, "ANN@example.com")
    assert by_email.user.id == ann and by_email.deleted
    with pytest.raises(NotFound, match="no provisioned user"):
        access.grant(db, tenant.account_id, calendar, user(ann), Level.modify)


def test_who_has_access_pages_by_key_and_filters_by_level_and_text(db, tenant, scim, calendar):
    ids = [scim.create_user(f"user{n:02}@example.com")["id"] for n in range(7)]
    big = scim.create_group("Everyone", ids)["id"]
    access.grant(db, tenant.account_id, calendar, group(big), Level.read_only)
    access.grant(db, tenant.account_id, calendar, user(ids[3]), Level.modify)
    seen, after = [], 0
    while True:
        page = access.people_with_access(db, tenant.account_id, calendar, after=after, limit=3)
        assert len(page.people) <= 3
        seen += [p.person.id for p in page.people]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == ids
    modify = access.people_with_access(db, tenant.account_id, calendar, level=Level.modify)
    assert [p.person.id for p in modify.people] == [ids[3]]
    found = access.people_with_access(db, tenant.account_id, calendar, text="USER05")
    assert [p.person.id for p in found.people] == [ids[5]]
    assert access.people_with_access(db, tenant.account_id, calendar, text="%").people == []


def test_pages_skip_deactivated_people_and_find_rare_levels_across_many_members(
    db, tenant, scim, calendar
):
    ids = [scim.create_user(f"m{n:03}@example.com")["id"] for n in range(130)]
    big = scim.create_group("Many", ids)["id"]
    access.grant(db, tenant.account_id, calendar, group(big), Level.read_only)
    for n in (5, 120):
        access.grant(db, tenant.account_id, calendar, user(ids[n]), Level.modify)
    off = {"Operations": [{"op": "replace", "value": {"active": False}}]}
    assert scim.patch(f"/Users/{ids[6]}", json=off).status_code == 200

    def every(level: Level | None, limit: int) -> list[str]:
        seen, after = [], 0
        while True:
            page = access.people_with_access(
                db, tenant.account_id, calendar, after=after, limit=limit, level=level
            )
            seen += [p.person.id for p in page.people]
            if page.next_after is None:
                return seen
            after = page.next_after

    assert every(Level.modify, 1) == [ids[5], ids[120]]
    assert every(None, 50) == [i for n, i in enumerate(ids) if n != 6]
    assert every(Level.read_only, 7) == [i for n, i in enumerate(ids) if n not in (5, 6, 120)]
