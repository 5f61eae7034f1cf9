"""Every refusal under /scim/v2 in the RFC 7644 error envelope, never a traceback or HTML."""

from __future__ import annotations

import pytest

from tests.helpers import assert_scim_error

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def test_unauthenticated_request_gets_401_envelope(client, tenant):
    assert_scim_error(client.get("/scim/v2/Users"), 401)
    assert_scim_error(client.get("/scim/v2/Users", headers={"Authorization": "non-token"}), 401)


def test_account_without_enterprise_plan_gets_403_envelope(client, make_tenant):
    basic = make_tenant("basic.com", plan="basic")
    body = assert_scim_error(client.get("/scim/v2/Users", headers=basic.headers), 403)
    assert "Enterprise" in body["detail"]


def test_unauthenticated_request_gets_401_before_its_body_is_judged(client, tenant):
    for raw in (b"{", b"", b"[1,2]"):
        response = client.post(
            "/scim/v2/Users", content=raw, headers={"Content-Type": "application/scim+json"}
        )
        assert_scim_error(response, 401)
        response = client.patch(
            "/scim/v2/Groups/00919288221112222",
            content=raw,
            headers={"Content-Type": "application/json", "Authorization": "Bearer non-token"},
        )
        assert_scim_error(response, 401)


def test_huge_start_index_is_an_empty_page_not_a_crash(scim):
    scim.create_user("ann@example.com")
    for start in ("99999999999999999999", str(2**63), str(2**31)):
        response = scim.get("/Users", params={"startIndex": start, "count": 1_000_000})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["totalResults"] == 1 and body["Resources"] == []
        groups = scim.get("/Groups", params={"startIndex": start, "count": 10})
        assert groups.status_code == 200, groups.text


def test_unknown_resource_gets_404_envelope(scim):
    assert_scim_error(scim.get("/Users/00919288221112222"), 404)
    assert_scim_error(scim.get("/Groups/00919288221112222"), 404)
    assert_scim_error(scim.get("/Schemas/urn:nope"), 404)
    assert_scim_error(scim.get("/ResourceTypes/Nope"), 404)


@pytest.mark.parametrize("path", ["/Nope", "/Users/abc/def", "/users-but-not", "/Bulk/x"])
def test_unknown_route_gets_404_envelope(scim, path):
    assert_scim_error(scim.get(path), 404)


def test_unknown_route_without_credentials_still_answers_in_scim(client, tenant):
    response = client.get("/scim/v2/Nope")
    assert response.status_code in (401, 404)
    assert_scim_error(response, response.status_code)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/Users"),
        ("PATCH", "/Users"),
        ("DELETE", "/Users"),
        ("PUT", "/Groups"),
        ("DELETE", "/Groups"),
        ("POST", "/Users/abc"),
        ("POST", "/ServiceProviderConfig"),
    ],
)
def test_unsupported_method_gets_405_envelope(scim, method, path):
    assert_scim_error(scim.request(method, path, json={"displayName": "x"}), 405)


def test_duplicate_gets_409_envelope(scim):
    scim.create_user("ann@example.com")
    assert_scim_error(scim.post("/Users", json={"userName": "ANN@example.com"}), 409, "uniqueness")
    scim.create_group("Eng")
    assert_scim_error(scim.post("/Groups", json={"displayName": "eng"}), 409, "uniqueness")


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"userName": }', b"not json", b"\xff\xfe\x00", b"", b"   "],
    ids=["open-brace", "missing-value", "text", "binary", "empty", "blank"],
)
def test_malformed_json_gets_400_envelope(scim, raw):
    for method, path in (
        ("POST", "/Users"),
        ("POST", "/Groups"),
        ("PATCH", "/Users/x"),
        ("PUT", "/Groups/x"),
    ):
        response = scim.request(
            method, path, content=raw, headers={"Content-Type": "application/scim+json"}
        )
        assert_scim_error(response, 400)


def test_body_of_wrong_shape_gets_400_envelope(scim):
    user = scim.create_user("ann@example.com")
    group = scim.create_group("Eng")
    assert_scim_error(scim.post("/Users", json=[1, 2]), 400)
    assert_scim_error(scim.post("/Users", json="ann@example.com"), 400)
    assert_scim_error(scim.post("/Users", json={"userName": 42}), 400)
    assert_scim_error(scim.post("/Users", json={"displayName": "no userName"}), 400)
    assert_scim_error(scim.post("/Groups", json={"members": []}), 400)
    assert_scim_error(scim.patch(f"/Users/{user['id']}", json={"Operations": []}), 400)
    assert_scim_error(
        scim.patch(f"/Users/{user['id']}", json={"Operations": [{"op": "move"}]}), 400
    )
    assert_scim_error(scim.patch(f"/Groups/{group['id']}", json={"Operations": "add"}), 400)
    assert_scim_error(
        scim.patch(
            f"/Users/{user['id']}",
            json={
                "schemas": [PATCH_SCHEMA],
                "Operations": [{"op": "replace", "value": {"active": "maybe"}}],
            },
        ),
        400,
    )
    assert_scim_error(scim.get("/Users", params={"count": "lots"}), 400)
    assert_scim_error(scim.get("/Users", params={"startIndex": "first"}), 400)


@pytest.mark.parametrize(
    "text",
    [
        "userName eq",
        'userName eq "unterminated',
        'userName eq "a" and',
        '(userName eq "a"',
        'userName zz "a"',
        'userName eq "a" or or userName eq "b"',
        'emails[type eq "work"',
        '"a" eq userName',
    ],
)
def test_malformed_filter_gets_400_invalid_filter(scim, text):
    assert_scim_error(scim.get("/Users", params={"filter": text}), 400, "invalidFilter")
    assert_scim_error(scim.get("/Groups", params={"filter": text}), 400, "invalidFilter")


@pytest.mark.parametrize(
    ("resource", "text"),
    [
        ("/Users", 'shoeSize eq "42"'),
        ("/Users", 'name.nickname eq "x"'),
        ("/Users", 'urn:example:unknown:Thing:userName eq "x"'),
        ("/Users", 'emails.colour eq "red"'),
        ("/Groups", 'userName eq "a@example.com"'),
        ("/Groups", 'members.colour eq "x"'),
    ],
)
def test_filter_on_unknown_attribute_gets_400_invalid_filter(scim, resource, text):
    assert_scim_error(scim.get(resource, params={"filter": text}), 400, "invalidFilter")


def test_filter_on_password_is_refused_as_sensitive_without_echo(scim):
    scim.create_user("ann@example.com")
    for text in (
        'password eq "hunter2-secret"',
        "password pr",
        'userName pr and password co "hunter2-secret"',
    ):
        body = assert_scim_error(scim.get("/Users", params={"filter": text}), 403, "sensitive")
        assert "hunter2-secret" not in body["detail"]
    body = assert_scim_error(
        scim.post("/Users/.search", json={"filter": 'password eq "hunter2-secret"'}),
        403,
        "sensitive",
    )
    assert "hunter2-secret" not in body["detail"]


def test_sort_by_unknown_attribute_gets_400(scim):
    assert_scim_error(scim.get("/Users", params={"sortBy": "shoeSize"}), 400)
    assert_scim_error(scim.get("/Users", params={"sortOrder": "sideways"}), 400)


def test_bad_patch_paths_get_400_envelope(scim):
    user = scim.create_user("ann@example.com")
    group = scim.create_group("Eng")
    for path in (
        "shoeSize",
        "name.nickname",
        "__class__",
        "emails[type eq",
        'members[value eq "x"].colour',
    ):
        response = scim.patch(
            f"/Users/{user['id']}",
            json={
                "schemas": [PATCH_SCHEMA],
                "Operations": [{"op": "replace", "path": path, "value": "x"}],
            },
        )
        assert_scim_error(response, 400)
        response = scim.patch(
            f"/Groups/{group['id']}",
            json={
                "schemas": [PATCH_SCHEMA],
                "Operations": [{"op": "replace", "path": path, "value": "x"}],
            },
        )
        assert_scim_error(response, 400)
    read_only = scim.patch(
        f"/Users/{user['id']}",
        json={
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "path": "id", "value": "x"}],
        },
    )
    assert_scim_error(read_only, 400, "mutability")
    assert scim.get(f"/Users/{user['id']}").json()["id"] == user["id"]


def test_request_body_over_limit_gets_413_envelope(scim):
    huge = b'{"userName": "' + b"a" * 1_100_000 + b'@example.com"}'
    assert_scim_error(
        scim.request("POST", "/Users", content=huge, headers={"Content-Type": "application/json"}),
        413,
    )


def test_stale_if_match_gets_412_envelope(scim):
    user = scim.create_user("ann@example.com")
    response = scim.put(
        f"/Users/{user['id']}",
        json={"userName": "ann@example.com"},
        headers={"If-Match": 'W/"999"'},
    )
    assert_scim_error(response, 412)


def test_no_response_under_scim_ever_contains_a_traceback(scim, client, make_tenant):
    user = scim.create_user("ann@example.com")
    group = scim.create_group("Eng")
    weird = [
        ("GET", "/Users?filter=" + "(" * 500 + 'userName eq "a"' + ")" * 500, None),
        ("GET", "/Users?filter=" + "%00", None),
        ("GET", "/Users?startIndex=99999999999999999999999&count=-1", None),
        ("GET", "/Users?attributes=%00&excludedAttributes=,,,", None),
        ("POST", "/Users", {"userName": None}),
        ("POST", "/Users", {"userName": "ann2@example.com", "emails": "nope"}),
        ("POST", "/Users", {"userName": "ann2@example.com", "emails": [1, 2]}),
        ("POST", "/Users", {"userName": "ann2@example.com", "name": "Ann"}),
        ("POST", "/Users", {"userName": "ann2@example.com", "phoneNumbers": [{"value": {"x": 1}}]}),
        ("POST", "/Users", {"userName": "ann2@example.com", "addresses": ["x"]}),
        ("POST", "/Groups", {"displayName": ["x"]}),
        ("POST", "/Groups", {"displayName": "G", "members": [{"value": 5}]}),
        ("POST", "/Groups", {"displayName": "G", "members": "x"}),
        (
            "PATCH",
            f"/Users/{user['id']}",
            {"Operations": [{"op": "add", "path": "emails[", "value": 1}]},
        ),
        (
            "PATCH",
            f"/Users/{user['id']}",
            {"Operations": [{"op": "replace", "path": "name", "value": 5}]},
        ),
        (
            "PATCH",
            f"/Users/{user['id']}",
            {"Operations": [{"op": "replace", "path": "emails.value", "value": 5}]},
        ),
        (
            "PATCH",
            f"/Users/{user['id']}",
            {"Operations": [{"op": "replace", "value": {"emails": 3}}]},
        ),
        (
            "PATCH",
            f"/Users/{user['id']}",
            {"Operations": [{"op": "replace", "path": "active", "value": "nope"}]},
        ),
        (
            "PATCH",
            f"/Groups/{group['id']}",
            {"Operations": [{"op": "add", "path": "members", "value": 42}]},
        ),
        (
            "PATCH",
            f"/Groups/{group['id']}",
            {"Operations": [{"op": "remove", "path": "members[foo eq 1]"}]},
        ),
        (
            "PATCH",
            f"/Groups/{group['id']}",
            {"Operations": [{"op": "replace", "path": "displayName", "value": 1}]},
        ),
        ("PATCH", f"/Groups/{group['id']}", {"Operations": [None]}),
        ("POST", "/Users/.search", {"filter": 5}),
        ("POST", "/Users/.search", {"count": "x"}),
        ("POST", "/Groups/.search", []),
        ("GET", "/Users?sortBy=emails", None),
        ("GET", "/Users?sortBy=(((", None),
    ]
    for method, path, body in weird:
        response = scim.request(method, path, json=body)
        assert "Traceback" not in response.text, (method, path)
        assert response.status_code < 500, (method, path, response.text)
        if response.status_code >= 400:
            assert_scim_error(response, response.status_code)
