"""The tenancy rules of INTERFACE.md, as an identity provider meets them over SCIM."""

from __future__ import annotations

from typing import Any

import pytest

from enlist.services import tenancy
from tests.conftest import Scim
from tests.helpers import ERROR_SCHEMA, assert_scim_error

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
NEVER_EXISTED = "00919288221112222"


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def user_body(user_name: str, **extra: Any) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        "active": True,
        **extra,
    }


@pytest.fixture
def acme(client: Any, make_tenant: Any) -> Scim:
    return Scim(client, make_tenant("acme.com"))


@pytest.fixture
def globex(client: Any, make_tenant: Any) -> Scim:
    return Scim(client, make_tenant("globex.com"))


# isolation ------------------------------------------------------------------------------


def test_each_account_sees_only_its_own_users_and_groups(acme, globex):
    a_user = acme.create_user("ann@acme.com")
    g_user = globex.create_user("gus@globex.com")
    a_group = acme.create_group("Acme Team", [a_user["id"]])
    g_group = globex.create_group("Globex Team", [g_user["id"]])

    for scim, user, group in ((acme, a_user, a_group), (globex, g_user, g_group)):
        users = scim.get("/Users").json()
        assert users["totalResults"] == 1
        assert [u["id"] for u in users["Resources"]] == [user["id"]]
        groups = scim.get("/Groups").json()
        assert groups["totalResults"] == 1
        assert [g["id"] for g in groups["Resources"]] == [group["id"]]

    # filters never reach across accounts either
    assert (
        acme.get("/Users", params={"filter": 'userName eq "gus@globex.com"'}).json()["totalResults"]
        == 0
    )
    assert (
        acme.get("/Users", params={"filter": f'id eq "{g_user["id"]}"'}).json()["totalResults"] == 0
    )
    assert (
        acme.get("/Users", params={"filter": 'userName ew "globex.com"'}).json()["totalResults"]
        == 0
    )
    assert (
        acme.get("/Groups", params={"filter": 'displayName eq "Globex Team"'}).json()[
            "totalResults"
        ]
        == 0
    )
    found = acme.get("/Groups", params={"filter": f'members.value eq "{g_user["id"]}"'}).json()
    assert found["totalResults"] == 0
    assert acme.get("/Users", params={"filter": "userName pr"}).json()["totalResults"] == 1
    searched = acme.post("/Users/.search", json={"filter": "userName pr"}).json()
    assert [u["id"] for u in searched["Resources"]] == [a_user["id"]]


def _not_found_detail(response: Any) -> dict[str, Any]:
    body = assert_scim_error(response, 404)
    return {k: v for k, v in body.items() if k != "detail"}


def test_another_accounts_user_answers_404_like_a_missing_one(acme, globex):
    foreign = globex.create_user("gus@globex.com")
    fid = foreign["id"]
    requests = [
        ("GET", None),
        ("PUT", user_body("ann@acme.com")),
        ("PATCH", patch_body({"op": "replace", "value": {"active": False}})),
        ("DELETE", None),
    ]
    for method, body in requests:
        theirs = acme.request(method, f"/Users/{fid}", json=body)
        never = acme.request(method, f"/Users/{NEVER_EXISTED}", json=body)
        assert _not_found_detail(theirs) == _not_found_detail(never), method
        assert theirs.json()["detail"].replace(fid, "X") == never.json()["detail"].replace(
            NEVER_EXISTED, "X"
        )

    still = globex.get(f"/Users/{fid}").json()
    assert still["active"] is True and still["userName"] == "gus@globex.com"


def test_another_accounts_group_answers_404_like_a_missing_one(acme, globex):
    foreign = globex.create_group("Globex Team")
    fid = foreign["id"]
    requests = [
        ("GET", None),
        ("PUT", {"displayName": "Stolen", "members": []}),
        ("PATCH", patch_body({"op": "replace", "value": {"displayName": "Stolen"}})),
        ("DELETE", None),
    ]
    for method, body in requests:
        theirs = acme.request(method, f"/Groups/{fid}", json=body)
        never = acme.request(method, f"/Groups/{NEVER_EXISTED}", json=body)
        assert _not_found_detail(theirs) == _not_found_detail(never), method
        assert theirs.json()["detail"].replace(fid, "X") == never.json()["detail"].replace(
            NEVER_EXISTED, "X"
        )

    assert globex.get(f"/Groups/{fid}").json()["displayName"] == "Globex Team"


def test_foreign_or_unknown_member_is_refused_and_group_unchanged(acme, globex):
    ann = acme.create_user("ann@acme.com")
    gus = globex.create_user("gus@globex.com")
    group = acme.create_group("Acme Team", [ann["id"]])
    before = acme.get(f"/Groups/{group['id']}").json()

    for member in (gus["id"], NEVER_EXISTED):
        add = patch_body(
            {"op": "replace", "path": "displayName", "value": "Renamed"},
            {"op": "add", "path": "members", "value": [{"value": member}]},
        )
        assert_scim_error(acme.patch(f"/Groups/{group['id']}", json=add), 400)
        replace = patch_body({"op": "replace", "path": "members", "value": [{"value": member}]})
        assert_scim_error(acme.patch(f"/Groups/{group['id']}", json=replace), 400)
        put = {"displayName": "Renamed", "members": [{"value": ann["id"]}, {"value": member}]}
        assert_scim_error(acme.put(f"/Groups/{group['id']}", json=put), 400)
        create = {"displayName": "New Team", "members": [{"value": member}]}
        assert_scim_error(acme.post("/Groups", json=create), 400)

    after = acme.get(f"/Groups/{group['id']}").json()
    assert after["displayName"] == "Acme Team"
    assert after["members"] == before["members"]
    assert after["meta"]["version"] == before["meta"]["version"]
    assert acme.get("/Groups").json()["totalResults"] == 1
    assert globex.get(f"/Users/{gus['id']}").json().get("groups", []) == []


def test_both_accounts_may_have_a_group_named_engineering(acme, globex):
    a = acme.post("/Groups", json={"displayName": "Engineering", "members": []})
    g = globex.post("/Groups", json={"displayName": "Engineering", "members": []})
    assert a.status_code == 201, a.text
    assert g.status_code == 201, g.text
    assert a.json()["id"] != g.json()["id"]


def test_group_names_are_unique_per_account_case_insensitively(acme):
    acme.create_group("Engineering")
    assert_scim_error(
        acme.post("/Groups", json={"displayName": "ENGINEERING", "members": []}), 409, "uniqueness"
    )
    other = acme.create_group("Sales")
    assert_scim_error(
        acme.put(f"/Groups/{other['id']}", json={"displayName": "engineering"}), 409, "uniqueness"
    )
    assert acme.get("/Groups").json()["totalResults"] == 2


def test_both_accounts_may_have_the_same_user_name_local_part(acme, globex):
    acme.create_user("jane@acme.com")
    globex.create_user("jane@globex.com")
    assert acme.get("/Users").json()["totalResults"] == 1


# plan and organization ------------------------------------------------------------------


def test_account_without_enterprise_calendar_is_refused_everywhere(client, make_tenant):
    pro = Scim(client, make_tenant("pro.com", plan="pro"))
    calls = [
        ("GET", "/Users", None),
        ("GET", "/Users?startIndex=1&count=2", None),
        ("POST", "/Users", user_body("ann@pro.com")),
        ("POST", "/Users/.search", {"filter": "userName pr"}),
        ("GET", f"/Users/{NEVER_EXISTED}", None),
        ("PUT", f"/Users/{NEVER_EXISTED}", user_body("ann@pro.com")),
        (
            "PATCH",
            f"/Users/{NEVER_EXISTED}",
            patch_body({"op": "replace", "value": {"active": False}}),
        ),
        ("DELETE", f"/Users/{NEVER_EXISTED}", None),
        ("GET", "/Groups", None),
        ("POST", "/Groups", {"displayName": "Eng", "members": []}),
        ("POST", "/Groups/.search", {}),
        ("GET", f"/Groups/{NEVER_EXISTED}", None),
        ("PUT", f"/Groups/{NEVER_EXISTED}", {"displayName": "Eng"}),
        (
            "PATCH",
            f"/Groups/{NEVER_EXISTED}",
            patch_body({"op": "replace", "value": {"displayName": "E"}}),
        ),
        ("DELETE", f"/Groups/{NEVER_EXISTED}", None),
        ("GET", "/ServiceProviderConfig", None),
        ("GET", "/ResourceTypes", None),
        ("GET", "/ResourceTypes/User", None),
        ("GET", "/Schemas", None),
        ("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", None),
    ]
    for method, path, body in calls:
        response = pro.request(method, path, json=body)
        detail = assert_scim_error(response, 403)["detail"]
        assert "Enterprise" in detail, (method, path, detail)


def test_unlinked_domain_refuses_group_writes_but_not_user_writes(client, make_tenant):
    unlinked = Scim(client, make_tenant("loose.com", linked=False))
    user = unlinked.create_user("ann@loose.com")
    patched = unlinked.patch(
        f"/Users/{user['id']}",
        json=patch_body({"op": "replace", "path": "displayName", "value": "Ann"}),
    )
    assert patched.status_code == 200, patched.text
    put = unlinked.put(f"/Users/{user['id']}", json=user_body("ann@loose.com", title="CEO"))
    assert put.status_code == 200, put.text

    refused = unlinked.post("/Groups", json={"displayName": "Eng", "members": []})
    assert 400 <= refused.status_code < 500, refused.text
    detail = refused.json()["detail"]
    assert refused.json()["schemas"] == [ERROR_SCHEMA]
    assert "not linked to an organization" in detail and "loose.com" in detail
    for method, body in (
        ("PUT", {"displayName": "Eng"}),
        ("PATCH", patch_body({"op": "replace", "value": {"displayName": "Eng"}})),
    ):
        response = unlinked.request(method, f"/Groups/{NEVER_EXISTED}", json=body)
        assert 400 <= response.status_code < 500, response.text
        assert response.json()["schemas"] == [ERROR_SCHEMA]

    # reads still answer
    listed = unlinked.get("/Groups")
    assert listed.status_code == 200 and listed.json()["totalResults"] == 0


def test_secret_of_an_unlinked_second_domain_cannot_change_or_delete_groups(
    scim, client, db, settings
):
    """The account's example.com is linked; a secret made for its unlinked second domain may
    still see the account's groups but not write them, DELETE included."""
    alice = scim.create_user("alice@example.com")
    group = scim.create_group("Eng", [alice["id"]])
    tenancy.add_domain(db, scim.tenant.account_id, "example.org", verified=True)
    other = tenancy.create_secret(
        db, "example.org", scim.tenant.account_id, secret_key=settings.secret_key
    )
    headers = {"Authorization": f"Bearer {other.secret}"}

    listed = client.get("/scim/v2/Groups", headers=headers)
    assert listed.status_code == 200 and listed.json()["totalResults"] == 1
    writes = [
        ("POST", "/scim/v2/Groups", {"displayName": "Ops", "members": []}),
        ("PUT", f"/scim/v2/Groups/{group['id']}", {"displayName": "Eng", "members": []}),
        (
            "PATCH",
            f"/scim/v2/Groups/{group['id']}",
            patch_body({"op": "replace", "path": "members", "value": []}),
        ),
        ("DELETE", f"/scim/v2/Groups/{group['id']}", None),
    ]
    for method, path, body in writes:
        response = client.request(method, path, headers=headers, json=body)
        detail = assert_scim_error(response, 400)["detail"]
        assert "not linked to an organization" in detail, (method, detail)

    after = scim.get(f"/Groups/{group['id']}").json()
    assert after["displayName"] == "Eng"
    assert [m["value"] for m in after["members"]] == [alice["id"]]
    # user writes through that secret are fine
    user = client.post("/scim/v2/Users", headers=headers, json=user_body("bob@example.org"))
    assert user.status_code == 201, user.text


# trusted domains ------------------------------------------------------------------------


def test_user_name_and_emails_must_be_on_verified_trusted_domains(scim):
    body = scim.post("/Users", json=user_body("eve@evil.com"))
    detail = assert_scim_error(body, 400, "invalidValue")["detail"]
    assert "trusted domain" in detail

    mixed = user_body("ann@example.com")
    mixed["emails"].append({"value": "ann@evil.com", "type": "home"})
    assert_scim_error(scim.post("/Users", json=mixed), 400, "invalidValue")

    lookalike = user_body("ann@notexample.com")
    assert_scim_error(scim.post("/Users", json=lookalike), 400, "invalidValue")
    sub = user_body("ann@sub.example.com")
    assert_scim_error(scim.post("/Users", json=sub), 400, "invalidValue")

    upper = scim.post("/Users", json=user_body("Ann@EXAMPLE.COM"))
    assert upper.status_code == 201, upper.text
    assert scim.get("/Users").json()["totalResults"] == 1


def test_another_accounts_domain_is_not_trusted(acme, globex):
    assert_scim_error(acme.post("/Users", json=user_body("gus@globex.com")), 400, "invalidValue")
    ann = acme.create_user("ann@acme.com")
    body = patch_body(
        {"op": "add", "path": "emails", "value": [{"value": "ann@globex.com", "type": "other"}]}
    )
    assert_scim_error(acme.patch(f"/Users/{ann['id']}", json=body), 400, "invalidValue")
    assert globex.get("/Users").json()["totalResults"] == 0


def test_unverified_domain_does_not_count_as_trusted(scim, db):
    tenancy.add_domain(db, scim.tenant.account_id, "pending.com")
    assert_scim_error(scim.post("/Users", json=user_body("ann@pending.com")), 400, "invalidValue")
    tenancy.add_domain(db, scim.tenant.account_id, "second.com", verified=True)
    assert scim.post("/Users", json=user_body("ann@second.com")).status_code == 201


def test_foreign_email_is_refused_by_put_and_patch_and_nothing_changes(scim):
    user = scim.create_user("ann@example.com", displayName="Ann")
    before = scim.get(f"/Users/{user['id']}").json()

    put = scim.put(f"/Users/{user['id']}", json=user_body("ann@evil.com", displayName="Eve"))
    assert_scim_error(put, 400, "invalidValue")
    put_email = user_body("ann@example.com", displayName="Eve")
    put_email["emails"] = [{"value": "ann@evil.com", "primary": True}]
    assert_scim_error(scim.put(f"/Users/{user['id']}", json=put_email), 400, "invalidValue")

    patches = [
        patch_body(
            {"op": "replace", "path": "displayName", "value": "Eve"},
            {"op": "add", "path": "emails", "value": [{"value": "eve@evil.com", "type": "home"}]},
        ),
        patch_body(
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "ann@evil.com"}
        ),
        patch_body({"op": "replace", "path": "userName", "value": "ann@evil.com"}),
        patch_body({"op": "replace", "value": {"userName": "ann@evil.com", "displayName": "Eve"}}),
        patch_body({"op": "add", "value": {"emails": [{"value": "x@evil.com"}]}}),
    ]
    for body in patches:
        assert_scim_error(scim.patch(f"/Users/{user['id']}", json=body), 400, "invalidValue")

    after = scim.get(f"/Users/{user['id']}").json()
    assert after == before


# authentication -------------------------------------------------------------------------


def test_revoked_secret_is_refused(scim, db):
    assert scim.get("/Users").status_code == 200
    tenancy.revoke_secret(db, scim.tenant.secret_id)
    response = scim.get("/Users")
    assert_scim_error(response, 401)
    assert_scim_error(scim.post("/Users", json=user_body("ann@example.com")), 401)


def test_rotated_secret_keeps_working_while_old_one_is_revoked(scim, db, client, settings):
    fresh = tenancy.create_secret(
        db, scim.tenant.domain, scim.tenant.account_id, secret_key=settings.secret_key
    )
    tenancy.revoke_secret(db, scim.tenant.secret_id)
    assert_scim_error(scim.get("/Users"), 401)
    response = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {fresh.secret}"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "non-token"},
        {"Authorization": "Bearer non-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer enl_not-a-real-secret"},
        {"Authorization": "Bearer enl_a b"},
    ],
    ids=[
        "missing",
        "empty",
        "bearer-only",
        "bearer-space",
        "non-token",
        "bearer-non-token",
        "basic",
        "unknown",
        "malformed",
    ],
)
def test_missing_or_malformed_authorization_is_401(client, tenant, headers):
    for method, path, body in (
        ("GET", "/scim/v2/Users?startIndex=1&count=2", None),
        ("POST", "/scim/v2/Users", user_body("ann@example.com")),
        ("GET", "/scim/v2/ServiceProviderConfig", None),
    ):
        response = client.request(method, path, headers=headers, json=body)
        assert_scim_error(response, 401)
        assert "bearer" in response.headers.get("www-authenticate", "").lower()


def test_secret_with_wrong_case_or_extra_text_is_refused(client, tenant):
    assert client.get("/scim/v2/Users", headers=tenant.headers).status_code == 200
    assert_scim_error(
        client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {tenant.token.upper()}"}),
        401,
    )
    assert_scim_error(
        client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {tenant.token}x"}), 401
    )
    assert (
        client.get(
            "/scim/v2/Users", headers={"Authorization": f"bearer {tenant.token}"}
        ).status_code
        == 200
    )
