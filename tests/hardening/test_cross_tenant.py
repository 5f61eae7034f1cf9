"""Every endpoint and method, with another account's ids and secrets: 404 or 401, never data."""

from __future__ import annotations

import pytest

USERS_AND_GROUPS = ["Users", "Groups"]
ALL_PATHS = [
    "/Users",
    "/Groups",
    "/Users/.search",
    "/Groups/.search",
    "/ServiceProviderConfig",
    "/ResourceTypes",
    "/Schemas",
]


@pytest.fixture
def two_accounts(client, make_tenant):
    from tests.conftest import Scim

    ours = Scim(client, make_tenant("ours.example"))
    theirs = Scim(client, make_tenant("theirs.example"))
    their_user = theirs.create_user("secret.agent@theirs.example", displayName="Their Agent")
    their_group = theirs.create_group("Their Team", [their_user["id"]])
    our_user = ours.create_user("me@ours.example")
    our_group = ours.create_group("Our Team", [our_user["id"]])
    return (
        ours,
        theirs,
        {"Users": their_user, "Groups": their_group},
        {"Users": our_user, "Groups": our_group},
    )


def _bodies(kind: str, our: dict) -> dict[str, dict]:
    if kind == "Users":
        put = {"userName": "me@ours.example", "displayName": "Hijack"}
    else:
        put = {"displayName": "Hijack", "members": [{"value": our["Users"]["id"]}]}
    patch = {"Operations": [{"op": "replace", "value": {"displayName": "Hijack"}}]}
    return {"PUT": put, "PATCH": patch}


def _assert_leaks_nothing(response, theirs_markers: list[str]) -> None:
    for marker in theirs_markers:
        assert marker not in response.text


@pytest.mark.parametrize("kind", USERS_AND_GROUPS)
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_another_accounts_id_answers_404_like_a_missing_one(two_accounts, kind, method):
    ours, theirs, their, our = two_accounts
    bodies = _bodies(kind, our)
    foreign = ours.request(method, f"/{kind}/{their[kind]['id']}", json=bodies.get(method))
    missing = ours.request(method, f"/{kind}/{'0' * 32}", json=bodies.get(method))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["detail"].replace(their[kind]["id"], "X") == missing.json()[
        "detail"
    ].replace("0" * 32, "X")
    _assert_leaks_nothing(foreign, ["Their Agent", "secret.agent", "Their Team"])
    # and nothing changed for them
    after = theirs.get(f"/{kind}/{their[kind]['id']}")
    assert after.status_code == 200
    assert after.json()["meta"]["version"] == their[kind]["meta"]["version"]


@pytest.mark.parametrize(
    "query",
    [
        {"filter": 'userName eq "secret.agent@theirs.example"'},
        {"filter": 'id eq "{user}"'},
        {"filter": 'emails.value co "theirs"'},
        {"filter": 'groups.value eq "{group}"'},
        {},
    ],
)
def test_lists_and_filters_never_show_another_accounts_users(two_accounts, query):
    ours, _, their, _ = two_accounts
    params = {
        k: v.format(user=their["Users"]["id"], group=their["Groups"]["id"])
        for k, v in query.items()
    }
    for response in (ours.get("/Users", params=params), ours.post("/Users/.search", json=params)):
        assert response.status_code == 200
        ids = {r["id"] for r in response.json()["Resources"]}
        assert their["Users"]["id"] not in ids
        _assert_leaks_nothing(response, ["secret.agent", "Their Agent"])


@pytest.mark.parametrize(
    "query",
    [{"filter": 'displayName eq "Their Team"'}, {"filter": 'members.value eq "{user}"'}, {}],
)
def test_group_lists_never_show_another_accounts_groups(two_accounts, query):
    ours, _, their, _ = two_accounts
    params = {k: v.format(user=their["Users"]["id"]) for k, v in query.items()}
    response = ours.get("/Groups", params=params)
    assert response.status_code == 200
    assert their["Groups"]["id"] not in {r["id"] for r in response.json()["Resources"]}
    _assert_leaks_nothing(response, ["Their Team"])


def test_another_accounts_user_cannot_be_made_a_member(two_accounts):
    ours, _theirs, their, our = two_accounts
    group_id = our["Groups"]["id"]
    refused = ours.patch(
        f"/Groups/{group_id}",
        json={
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": their["Users"]["id"]}]}
            ]
        },
    )
    assert refused.status_code == 400
    members = [m["value"] for m in ours.get(f"/Groups/{group_id}").json()["members"]]
    assert members == [our["Users"]["id"]]


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer",
        "Bearer ",
        "Bearer    ",
        "Basic dXNlcjpwYXNz",
        "non-token",
        "Bearer revoked",
        "Bearer enl_unknown",
    ],
)
def test_every_endpoint_refuses_bad_secrets_with_401(two_accounts, client, db, authorization):
    from enlist.services import tenancy

    ours, _, their, _ = two_accounts
    if authorization == "Bearer revoked":
        tenancy.revoke_secret(db, ours.tenant.secret_id)
        authorization = f"Bearer {ours.tenant.token}"
    headers = {"Authorization": authorization} if authorization else {}
    answered = 0
    for path in [*ALL_PATHS, "/Users/{user}", "/Groups/{group}"]:
        url = "/scim/v2" + path.format(user=their["Users"]["id"], group=their["Groups"]["id"])
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            body = {"displayName": "x"} if method in ("POST", "PUT", "PATCH") else None
            response = client.request(method, url, headers=headers, json=body)
            if response.status_code == 405:
                continue  # the route does not take this method; answered before authentication
            assert response.status_code == 401, (method, url, response.text)
            assert response.json()["status"] == "401"
            _assert_leaks_nothing(response, ["secret.agent", "Their Team", "Their Agent"])
            answered += 1
    assert answered == 25  # every route and method that exists (/Users/.search also reads as an id)
