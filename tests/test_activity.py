"""What an admin reads when asking "why did Okta's push fail?"."""

from enlist.services import activity


def test_refused_push_is_explained_in_the_activity_log(scim, db, tenant):
    response = scim.post(
        "/Users",
        json={"userName": "jane@other.com", "emails": [{"value": "jane@other.com"}]},
        headers={"User-Agent": "Okta SCIM Client 1.0.0"},
    )
    assert response.status_code == 400
    (_, entry), *_ = activity.newest(db, tenant.account_id)
    assert entry.outcome == "refused"
    assert entry.action == "user.create"
    assert entry.detail.startswith("Refused jane@other.com: ")
    assert "not on a verified trusted domain" in entry.detail
    assert entry.user_agent == "Okta SCIM Client 1.0.0"
    assert entry.actor == tenant.secret_id
    assert entry.request_id == response.headers["X-Request-Id"]


def test_successful_writes_are_listed_newest_first(scim, db, tenant):
    user = scim.create_user("ann@example.com")
    scim.patch(
        f"/Users/{user['id']}",
        json={"Operations": [{"op": "replace", "value": {"active": False}}]},
    )
    group = scim.create_group("Eng", [user["id"]])
    scim.delete(f"/Groups/{group['id']}")
    actions = [entry.action for _, entry in activity.newest(db, tenant.account_id)]
    assert actions == ["group.delete", "group.create", "user.update", "user.create"]
    details = [entry.detail for _, entry in activity.newest(db, tenant.account_id)]
    assert details[2] == "Deactivated user ann@example.com."
    assert details[1] == "Created group Eng with 1 member: ann@example.com."


def test_profile_changes_read_before_and_after(scim, db, tenant):
    user = scim.create_user("ann@example.com", displayName="Ann", title="Engineer")
    scim.patch(
        f"/Users/{user['id']}",
        json={
            "Operations": [
                {"op": "replace", "value": {"displayName": "Ann Lee", "title": "CTO"}},
                {"op": "replace", "path": "active", "value": False},
            ]
        },
    )
    (_, entry), *_ = activity.newest(db, tenant.account_id)
    assert entry.detail == (
        "Updated user ann@example.com: displayName “Ann” → “Ann Lee”; "
        "title “Engineer” → “CTO”; deactivated."
    )
    assert entry.changes == {
        "attributes": {
            "displayName": ["Ann", "Ann Lee"],
            "title": ["Engineer", "CTO"],
            "active": [True, False],
        }
    }
    assert entry.status == 200 and entry.resource_id == user["id"]


def test_membership_changes_name_the_people_and_count_the_rest(scim, db, tenant):
    people = [
        scim.create_user(f"p{n}@example.com", displayName=f"Person {n}")["id"] for n in range(8)
    ]
    group = scim.create_group("Sales")
    scim.patch(
        f"/Groups/{group['id']}",
        json={
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": p} for p in people]}
            ]
        },
    )
    (_, added), *_ = activity.newest(db, tenant.account_id)
    assert added.detail == (
        "Updated group Sales: added Person 0, Person 1, Person 2, Person 3, Person 4 and 3 more."
    )
    assert added.changes is not None and added.changes["added_count"] == 8
    assert added.changes["added"][0] == {"id": people[0], "name": "Person 0"}
    assert added.status == 204
    scim.patch(
        f"/Groups/{group['id']}",
        json={"Operations": [{"op": "remove", "path": f'members[value eq "{people[2]}"]'}]},
    )
    (_, removed), *_ = activity.newest(db, tenant.account_id)
    assert removed.detail == "Updated group Sales: removed Person 2."
    scim.patch(
        f"/Groups/{group['id']}",
        json={
            "Operations": [{"op": "replace", "value": {"id": group["id"], "displayName": "Sales"}}]
        },
    )
    (_, nothing), *_ = activity.newest(db, tenant.account_id)
    assert nothing.detail == "Updated group Sales: no change."


def test_reads_are_not_logged_and_other_accounts_see_nothing(scim, db, tenant, make_tenant):
    scim.create_user("bob@example.com")
    scim.get("/Users")
    other = make_tenant("other.org")
    assert activity.newest(db, other.account_id) == []
    assert len(activity.newest(db, tenant.account_id)) == 1


def test_every_response_carries_a_request_id(client, scim):
    assert client.get("/healthz").headers["X-Request-Id"]
    echoed = scim.get("/Users", headers={"X-Request-Id": "okta-req-123"})
    assert echoed.headers["X-Request-Id"] == "okta-req-123"
