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
    assert details[2] == "Updated user ann@example.com (now deactivated)."


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
