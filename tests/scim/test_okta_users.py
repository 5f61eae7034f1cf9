"""Okta's user flows, request by request: credentials, push, link, update, deactivate, import."""

from __future__ import annotations

import json
from typing import Any

from starlette.testclient import TestClient

from enlist.app import create_app
from enlist.config import Settings
from enlist.domain.model import Email, UserFields
from enlist.services import directory, tenancy
from enlist.store.directory import UserStore
from enlist.store.tables import users
from tests.helpers import assert_scim_error

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def okta_new_user(user_name: str = "Jane.Doe@example.com") -> dict[str, Any]:
    """The POST body Okta sends to push a new user (PROTOCOL.md)."""
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": "Jane Doe",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }


def okta_lookup(scim: Any, user_name: str) -> dict[str, Any]:
    response = scim.get(
        "/Users", params={"filter": f'userName eq "{user_name}"', "startIndex": 1, "count": 100}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def deactivate_body(active: bool) -> dict[str, Any]:
    return {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"active": active}}],
    }


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def assert_list_response(body: dict[str, Any]) -> None:
    assert body["schemas"] == [LIST_SCHEMA]
    for key in ("totalResults", "startIndex", "itemsPerPage"):
        assert isinstance(body[key], int) and not isinstance(body[key], bool), key
    assert isinstance(body["Resources"], list)


# test credentials ------------------------------------------------------------------


def test_okta_test_credentials_lists_users_and_groups(scim):
    users_page = scim.get("/Users?startIndex=1&count=2")
    assert users_page.status_code == 200
    assert users_page.headers["content-type"].startswith("application/scim+json")
    body = users_page.json()
    assert_list_response(body)
    assert body["totalResults"] == 0 and body["startIndex"] == 1 and body["itemsPerPage"] == 0
    assert body["Resources"] == []

    groups_page = scim.get("/Groups?startIndex=1&count=100")
    assert groups_page.status_code == 200
    assert_list_response(groups_page.json())
    assert groups_page.json()["Resources"] == []


def test_okta_test_credentials_pages_of_two_when_users_exist(scim):
    for n in range(3):
        scim.create_user(f"user{n}@example.com")
    body = scim.get("/Users?startIndex=1&count=2").json()
    assert_list_response(body)
    assert body["totalResults"] == 3
    assert body["itemsPerPage"] == 2
    assert len(body["Resources"]) == 2


# push new user -----------------------------------------------------------------------


def test_okta_pushes_new_user_after_empty_lookup(scim):
    found = okta_lookup(scim, "Jane.Doe@example.com")
    assert_list_response(found)
    assert found["totalResults"] == 0 and found["Resources"] == []

    response = scim.post("/Users", json=okta_new_user())
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    user = response.json()
    assert user["userName"] == "Jane.Doe@example.com"
    assert user["name"] == {"givenName": "Jane", "familyName": "Doe"}
    assert user["displayName"] == "Jane Doe"
    assert user["locale"] == "en-US"
    assert user["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert user["active"] is True
    assert user["emails"][0]["value"] == "Jane.Doe@example.com"
    assert "password" not in user
    assert response.headers["location"] == user["meta"]["location"]
    assert response.headers["location"].endswith(f"/scim/v2/Users/{user['id']}")

    again = scim.get(f"/Users/{user['id']}")
    assert again.status_code == 200
    assert again.json()["userName"] == "Jane.Doe@example.com"
    assert "password" not in again.json()


def test_okta_pushes_new_user_as_plain_application_json(scim):
    response = scim.request(
        "POST",
        "/Users",
        content=json.dumps(okta_new_user()),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    assert response.json()["userName"] == "Jane.Doe@example.com"


def test_okta_pushes_new_user_as_scim_json(scim):
    response = scim.request(
        "POST",
        "/Users",
        content=json.dumps(okta_new_user()).encode(),
        headers={"Content-Type": "application/scim+json; charset=utf-8"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["userName"] == "Jane.Doe@example.com"


def test_okta_password_is_never_echoed_nor_stored(scim, db):
    created = scim.post("/Users", json=okta_new_user()).json()
    assert "1mz050nq" not in json.dumps(created)
    listed = scim.get("/Users").text
    assert "1mz050nq" not in listed
    with db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(users.select())]
    assert rows and "1mz050nq" not in json.dumps(rows, default=str)
    excluded = scim.get(
        f"/Users/{created['id']}", params={"attributes": "password,userName"}
    ).json()
    assert "password" not in excluded


def test_okta_lookup_is_case_insensitive_and_keeps_stored_case(scim):
    created = scim.post("/Users", json=okta_new_user()).json()
    found = okta_lookup(scim, "JANE.DOE@EXAMPLE.COM")
    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == created["id"]
    assert found["Resources"][0]["userName"] == "Jane.Doe@example.com"


def test_okta_lookup_finds_inactive_users(scim):
    created = scim.post("/Users", json={**okta_new_user(), "active": False}).json()
    assert created["active"] is False
    found = okta_lookup(scim, "jane.doe@example.com")
    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == created["id"]
    assert found["Resources"][0]["active"] is False


def test_okta_lookup_with_plus_encoded_query(scim):
    created = scim.create_user("jane@example.com")
    response = scim.get('/Users?filter=userName+eq+"jane%40example.com"&startIndex=1&count=100')
    assert response.status_code == 200, response.text
    assert [u["id"] for u in response.json()["Resources"]] == [created["id"]]


def test_okta_duplicate_user_name_in_other_case_is_a_conflict(scim):
    scim.post("/Users", json=okta_new_user())
    response = scim.post("/Users", json=okta_new_user("JANE.DOE@example.com"))
    assert_scim_error(response, 409, "uniqueness")
    assert okta_lookup(scim, "jane.doe@example.com")["totalResults"] == 1


def test_okta_unknown_user_id_is_not_found(scim):
    response = scim.get("/Users/00919288221112222")
    assert_scim_error(response, 404)


def test_okta_unknown_user_id_is_not_found_on_every_method(scim):
    assert_scim_error(scim.put("/Users/00919288221112222", json=okta_new_user()), 404)
    assert_scim_error(scim.patch("/Users/00919288221112222", json=deactivate_body(False)), 404)
    assert_scim_error(scim.delete("/Users/00919288221112222"), 404)


# linking an existing person ---------------------------------------------------------


def test_okta_links_person_who_already_exists_and_updates_by_put(scim, db, settings):
    tenant = tenancy.authenticate(db, scim.tenant.token, settings.secret_key)
    existing = directory.create_user(
        db,
        tenant,
        UserFields(
            user_name="jane.doe@example.com",
            display_name="Jane (added by admin)",
            emails=[Email(value="jane.doe@example.com", type="work", primary=True)],
        ),
        source="admin",
    )

    found = okta_lookup(scim, "Jane.Doe@example.com")
    assert found["totalResults"] == 1
    linked = found["Resources"][0]
    assert linked["id"] == existing.id

    # Okta links and then PUTs the whole profile, echoing read-only attributes
    body = {**linked, **okta_new_user(), "id": linked["id"], "meta": linked["meta"], "groups": []}
    response = scim.put(f"/Users/{existing.id}", json=body)
    assert response.status_code == 200, response.text
    user = response.json()
    assert user["id"] == existing.id
    assert user["userName"] == "Jane.Doe@example.com"
    assert user["displayName"] == "Jane Doe"
    assert user["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert "password" not in user

    # and a second push of the same person is refused, not silently duplicated
    assert_scim_error(scim.post("/Users", json=okta_new_user()), 409, "uniqueness")
    assert okta_lookup(scim, "jane.doe@example.com")["totalResults"] == 1


def test_okta_link_put_echoing_groups_keeps_memberships(scim):
    user = scim.post("/Users", json=okta_new_user()).json()
    eng = scim.create_group("Eng", [user["id"]])
    ops = scim.create_group("Ops")
    current = scim.get(f"/Users/{user['id']}").json()
    assert [g["value"] for g in current["groups"]] == [eng["id"]]

    # groups is read-only: what Okta echoes (even a different list) changes nothing
    body = {**current, "groups": [{"value": ops["id"], "display": "Ops"}], "displayName": "Jane D."}
    response = scim.put(f"/Users/{user['id']}", json=body)
    assert response.status_code == 200, response.text
    assert [g["value"] for g in response.json()["groups"]] == [eng["id"]]
    assert response.json()["displayName"] == "Jane D."
    assert member_ids_of(scim, ops["id"]) == []
    assert member_ids_of(scim, eng["id"]) == [user["id"]]


def member_ids_of(scim: Any, group_id: str) -> list[str]:
    return sorted(m["value"] for m in scim.get(f"/Groups/{group_id}").json().get("members", []))


def test_okta_password_sync_by_patch_is_accepted_and_not_stored(scim, db):
    user = scim.post("/Users", json=okta_new_user()).json()
    for body in (
        patch_body({"op": "replace", "path": "password", "value": "n3w-s3cret-pw"}),
        patch_body({"op": "replace", "value": {"password": "n3w-s3cret-pw"}}),
    ):
        response = scim.patch(f"/Users/{user['id']}", json=body)
        assert response.status_code == 200, response.text
        assert "n3w-s3cret-pw" not in response.text
    with db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(users.select())]
    assert "n3w-s3cret-pw" not in json.dumps(rows, default=str)


def test_user_groups_follow_a_group_rename(scim):
    user = scim.post("/Users", json=okta_new_user()).json()
    group = scim.create_group("Eng", [user["id"]])
    scim.patch(
        f"/Groups/{group['id']}",
        json=patch_body({"op": "replace", "value": {"displayName": "Engineering"}}),
    )
    groups = scim.get(f"/Users/{user['id']}").json()["groups"]
    assert [(g["value"], g["display"]) for g in groups] == [(group["id"], "Engineering")]


# profile updates ------------------------------------------------------------------


def test_okta_updates_profile_with_put_of_whole_object(scim):
    created = scim.post("/Users", json=okta_new_user()).json()
    current = scim.get(f"/Users/{created['id']}").json()
    body = {
        **current,
        "name": {"givenName": "Janet", "familyName": "Doe"},
        "displayName": "Janet Doe",
        "locale": "en_US",
        "timezone": "America/Los_Angeles",
        "title": "Engineer",
        "password": "xyzzy123",
    }
    response = scim.put(f"/Users/{created['id']}", json=body)
    assert response.status_code == 200, response.text
    user = response.json()
    assert user["name"] == {"givenName": "Janet", "familyName": "Doe"}
    assert user["displayName"] == "Janet Doe"
    assert user["locale"] == "en_US"
    assert user["timezone"] == "America/Los_Angeles"
    assert user["title"] == "Engineer"
    assert user["meta"]["created"] == created["meta"]["created"]
    assert "password" not in user
    later = scim.get(f"/Users/{created['id']}").json()
    assert later["displayName"] == "Janet Doe"
    assert later["timezone"] == "America/Los_Angeles"


def test_okta_put_keeps_its_own_user_name_without_conflict(scim):
    created = scim.post("/Users", json=okta_new_user()).json()
    # uniqueness excludes the resource itself, also when only the case changes
    response = scim.put(f"/Users/{created['id']}", json={**okta_new_user("jane.doe@EXAMPLE.com")})
    assert response.status_code == 200, response.text
    assert response.json()["userName"] == "jane.doe@EXAMPLE.com"


def test_okta_put_to_another_users_name_is_a_conflict(scim):
    scim.create_user("bob@example.com")
    jane = scim.post("/Users", json=okta_new_user()).json()
    response = scim.put(f"/Users/{jane['id']}", json=okta_new_user("BOB@example.com"))
    assert_scim_error(response, 409, "uniqueness")
    assert scim.get(f"/Users/{jane['id']}").json()["userName"] == "Jane.Doe@example.com"


def test_okta_updates_profile_with_patch(scim):
    created = scim.post("/Users", json=okta_new_user()).json()
    response = scim.patch(
        f"/Users/{created['id']}",
        json=patch_body(
            {"op": "replace", "path": "displayName", "value": "Janet Doe"},
            {"op": "replace", "path": "name.givenName", "value": "Janet"},
            {"op": "replace", "path": "locale", "value": "en_US"},
            {"op": "replace", "path": "timezone", "value": "America/Los_Angeles"},
        ),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    user = response.json()
    assert user["id"] == created["id"]
    assert user["displayName"] == "Janet Doe"
    assert user["name"] == {"givenName": "Janet", "familyName": "Doe"}
    assert user["locale"] == "en_US"
    assert user["timezone"] == "America/Los_Angeles"
    assert user["userName"] == "Jane.Doe@example.com"

    back = scim.patch(
        f"/Users/{created['id']}",
        json=patch_body({"op": "replace", "path": "locale", "value": "en-US"}),
    )
    assert back.status_code == 200, back.text
    assert scim.get(f"/Users/{created['id']}").json()["locale"] == "en-US"


def test_okta_patch_without_path_updates_profile(scim):
    created = scim.post("/Users", json=okta_new_user()).json()
    response = scim.patch(
        f"/Users/{created['id']}",
        json=patch_body(
            {"op": "replace", "value": {"displayName": "JD", "name": {"givenName": "J"}}}
        ),
    )
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "JD"
    assert response.json()["name"] == {"givenName": "J", "familyName": "Doe"}


def test_okta_invalid_timezone_is_refused_by_patch_and_put(scim):
    created = scim.post("/Users", json=okta_new_user()).json()
    response = scim.patch(
        f"/Users/{created['id']}",
        json=patch_body({"op": "replace", "path": "timezone", "value": "Mars/Olympus_Mons"}),
    )
    assert_scim_error(response, 400, "invalidValue")
    response = scim.put(
        f"/Users/{created['id']}", json={**okta_new_user(), "timezone": "Not a zone"}
    )
    assert_scim_error(response, 400, "invalidValue")
    response = scim.post(
        "/Users", json={**okta_new_user("other@example.com"), "timezone": "Nowhere/Land"}
    )
    assert_scim_error(response, 400, "invalidValue")
    assert "timezone" not in scim.get(f"/Users/{created['id']}").json()


# deactivate and reactivate ----------------------------------------------------------


def _user_in_group(scim: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    user = scim.post("/Users", json={**okta_new_user(), "timezone": "America/Los_Angeles"}).json()
    group = scim.create_group("Eng", [user["id"]])
    return user, group


def test_okta_deactivates_and_reactivates_by_patch_keeping_data_and_groups(scim):
    user, group = _user_in_group(scim)

    response = scim.patch(f"/Users/{user['id']}", json=deactivate_body(False))
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False

    later = scim.get(f"/Users/{user['id']}").json()
    assert later["active"] is False
    assert later["displayName"] == "Jane Doe"
    assert later["timezone"] == "America/Los_Angeles"
    assert [g["value"] for g in later["groups"]] == [group["id"]]
    members = scim.get(f"/Groups/{group['id']}").json()["members"]
    assert [m["value"] for m in members] == [user["id"]]

    response = scim.patch(f"/Users/{user['id']}", json=deactivate_body(True))
    assert response.status_code == 200, response.text
    again = scim.get(f"/Users/{user['id']}").json()
    assert again["active"] is True
    assert [g["value"] for g in again["groups"]] == [group["id"]]
    assert again["emails"] == later["emails"]


def test_okta_deactivates_and_reactivates_by_put(scim):
    user, group = _user_in_group(scim)
    current = scim.get(f"/Users/{user['id']}").json()

    response = scim.put(f"/Users/{user['id']}", json={**current, "active": False, "password": "x"})
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    later = scim.get(f"/Users/{user['id']}").json()
    assert later["active"] is False
    assert [g["value"] for g in later["groups"]] == [group["id"]]
    assert later["name"] == current["name"]

    response = scim.put(f"/Users/{user['id']}", json={**later, "active": True})
    assert response.status_code == 200, response.text
    assert scim.get(f"/Users/{user['id']}").json()["active"] is True
    assert [m["value"] for m in scim.get(f"/Groups/{group['id']}").json()["members"]] == [
        user["id"]
    ]


def test_okta_deactivated_user_still_listed_and_filterable(scim):
    user = scim.post("/Users", json=okta_new_user()).json()
    scim.patch(f"/Users/{user['id']}", json=deactivate_body(False))
    inactive = scim.get("/Users", params={"filter": "active eq false"}).json()
    assert [u["id"] for u in inactive["Resources"]] == [user["id"]]
    assert scim.get("/Users", params={"filter": "active eq true"}).json()["totalResults"] == 0


# import paging ------------------------------------------------------------------------


def _create_many(db: Any, scim: Any, n: int) -> list[str]:
    """n users of the scim tenant, written in one transaction (the import reads them back)."""
    with db.write() as conn:
        store = UserStore(conn, scim.tenant.account_id)
        return [store.insert(UserFields(user_name=f"user{i:04d}@example.com")) for i in range(n)]


def _page_through(scim: Any, count: int) -> list[str]:
    seen: list[str] = []
    start = 1
    while True:
        body = scim.get("/Users", params={"startIndex": start, "count": count}).json()
        assert_list_response(body)
        assert body["startIndex"] == start
        assert body["itemsPerPage"] == len(body["Resources"])
        seen.extend(u["id"] for u in body["Resources"])
        if not body["Resources"]:
            break
        start += count
    return seen


def test_okta_import_pages_through_all_users_without_gaps_or_duplicates(scim, db):
    ids = _create_many(db, scim, 250)

    pages = []
    for start in (1, 101, 201):
        body = scim.get("/Users", params={"startIndex": start, "count": 100}).json()
        assert_list_response(body)
        assert body["totalResults"] == 250
        assert body["startIndex"] == start
        pages.append([u["id"] for u in body["Resources"]])
    assert [len(p) for p in pages] == [100, 100, 50]
    flat = [i for p in pages for i in p]
    assert len(set(flat)) == 250
    assert set(flat) == set(ids)

    # stable across repeats and whatever the page size
    for count in (100, 7, 33, 250, 1000):
        assert _page_through(scim, count) == flat


def test_okta_import_count_zero_gives_totals_only(scim, db):
    _create_many(db, scim, 5)
    body = scim.get("/Users", params={"startIndex": 1, "count": 0}).json()
    assert_list_response(body)
    assert body["totalResults"] == 5
    assert body["itemsPerPage"] == 0
    assert body["Resources"] == []


def test_okta_import_count_above_maximum_is_clamped(scim, db, database_url):
    _create_many(db, scim, 12)
    response = scim.get("/Users", params={"startIndex": 1, "count": 1_000_000})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["totalResults"] == 12 and len(body["Resources"]) == 12

    # a server configured with a small maximum answers that many, not an error
    app = create_app(Settings(database_url=database_url, max_results=5), db)
    with TestClient(app, base_url="http://enlist.test") as small:
        response = small.get("/scim/v2/Users?startIndex=1&count=100", headers=scim.tenant.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["totalResults"] == 12
        assert body["itemsPerPage"] == 5 and len(body["Resources"]) == 5
        config = small.get("/scim/v2/ServiceProviderConfig", headers=scim.tenant.headers).json()
        assert config["filter"]["maxResults"] == 5


def test_okta_import_order_is_stable_when_sorted(scim, db):
    _create_many(db, scim, 30)
    by_name = scim.get("/Users", params={"sortBy": "userName", "count": 1000}).json()["Resources"]
    names = [u["userName"] for u in by_name]
    assert names == sorted(names)
    paged = []
    for start in range(1, 31, 7):
        body = scim.get(
            "/Users", params={"sortBy": "userName", "startIndex": start, "count": 7}
        ).json()
        paged.extend(u["userName"] for u in body["Resources"])
    assert paged == names
    down = scim.get("/Users", params={"sortBy": "userName", "sortOrder": "descending"}).json()[
        "Resources"
    ]
    assert [u["userName"] for u in down] == names[::-1]


def test_okta_import_start_index_below_one_is_treated_as_one(scim, db):
    ids = _create_many(db, scim, 3)
    for start in (0, -5):
        response = scim.get("/Users", params={"startIndex": start, "count": 2})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["startIndex"] == 1
        assert [u["id"] for u in body["Resources"]] == ids[:2]


def test_okta_import_start_index_past_the_end_is_an_empty_page(scim, db):
    _create_many(db, scim, 3)
    body = scim.get("/Users", params={"startIndex": 10, "count": 100}).json()
    assert body["totalResults"] == 3
    assert body["Resources"] == [] and body["itemsPerPage"] == 0
