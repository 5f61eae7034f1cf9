"""Generated filters, PATCH documents, bodies, headers and query strings through the real app:
never a 5xx, never a partial write, never another tenant's data."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import Scim

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FOREIGN_MARKERS = ("zz-foreign", "Foreign Team")
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"

ATTRIBUTES = [
    "userName",
    "USERNAME",
    "displayName",
    "name.givenName",
    "name.familyName",
    "externalId",
    "active",
    "emails",
    "emails.value",
    "emails.type",
    "emails.primary",
    "meta.created",
    "meta.lastModified",
    "members",
    "members.value",
    "groups.value",
    "id",
    "title",
    "locale",
    "timezone",
    "password",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "nosuch",
    "name.nosuch",
    "emails.nosuch",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "$ref",
    "__class__",
]
OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Eq", "xx"]
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["True", "False", "", "zz-foreign@theirs.example", "2024-01-01T00:00:00Z"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from([*ATTRIBUTES, "value", "op", "path", "type", "primary"]),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=12,
)


@st.composite
def filters(draw: Any, depth: int = 0) -> str:
    kind = draw(st.integers(0, 6 if depth < 3 else 2))
    attribute = draw(st.sampled_from(ATTRIBUTES))
    if kind == 0:
        return f"{attribute} pr"
    if kind in (1, 2):
        value = draw(
            st.one_of(
                st.text(max_size=12).map(json.dumps),
                st.sampled_from(["true", "false", "null", "42", "1.5", '"%_\\\\"']),
            )
        )
        return f"{attribute} {draw(st.sampled_from(OPERATORS))} {value}"
    if kind == 3:
        operator = draw(st.sampled_from(["and", "or", "AND"]))
        return f"({draw(filters(depth + 1))}) {operator} {draw(filters(depth + 1))}"
    if kind == 4:
        return f"not ({draw(filters(depth + 1))})"
    if kind == 5:
        attribute = draw(st.sampled_from(["emails", "members", "userName"]))
        return f"{attribute}[{draw(filters(depth + 1))}]"
    return draw(st.text(max_size=40))


def _assert_clean(response: Any) -> None:
    event(f"status {response.status_code}")
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    sent = str(response.request.url) + response.request.content.decode("utf-8", "replace")
    for marker in FOREIGN_MARKERS:
        if marker not in sent:  # an answer may quote what the request itself said
            assert marker not in response.text
    if response.status_code >= 400:
        body = response.json()
        assert body["schemas"] == [ERROR_URN] and body["status"] == str(response.status_code)


@pytest.fixture
def world(client: Any, make_tenant: Any) -> dict[str, Any]:
    ours = Scim(client, make_tenant("example.com"))
    theirs = Scim(client, make_tenant("theirs.example"))
    foreign = theirs.create_user("zz-foreign@theirs.example", displayName="zz-foreign")
    theirs.create_group("Foreign Team", [foreign["id"]])
    user = ours.create_user("jane@example.com", displayName="Jane", name={"givenName": "Jane"})
    group = ours.create_group("Eng", [user["id"]])
    return {"scim": ours, "user": user, "group": group, "cases": 0}


def _state(scim: Scim) -> str:
    users = scim.get("/Users", params={"count": 1000}).json()["Resources"]
    groups = scim.get("/Groups", params={"count": 1000}).json()["Resources"]
    return json.dumps([users, groups], sort_keys=True)


@FUZZ
@given(text=filters(), resource=st.sampled_from(["Users", "Groups"]))
def test_generated_filters_never_fail_or_leak(world, text, resource):
    scim = world["scim"]
    _assert_clean(scim.get(f"/{resource}", params={"filter": text}))
    _assert_clean(scim.post(f"/{resource}/.search", json={"filter": text}))


_trusted_email = st.from_regex(r"[a-z]{1,8}@example\.com", fullmatch=True)
plausible_ops = st.one_of(
    st.tuples(
        st.sampled_from(["replace", "Replace", "add"]),
        st.sampled_from(["displayName", "title", "name.givenName", "locale", "nickName"]),
        st.text(min_size=1, max_size=12),
    ),
    st.tuples(
        st.sampled_from(["replace", "Replace"]),
        st.none(),
        st.fixed_dictionaries({"active": st.sampled_from([True, False, "True", "False"])}),
    ),
    st.tuples(
        st.just("add"),
        st.just("emails"),
        st.lists(
            st.fixed_dictionaries({"value": st.one_of(_trusted_email, st.just("x@other.com"))}),
            min_size=1,
            max_size=2,
        ),
    ),
    st.tuples(
        st.just("remove"),
        st.sampled_from(
            [
                'emails[type eq "work"]',
                "title",
                "name.givenName",
                "members",
                'members[value eq "nope"]',
            ]
        ),
        st.none(),
    ),
    st.tuples(
        st.sampled_from(["add", "replace"]),
        st.just("members"),
        st.lists(
            st.fixed_dictionaries({"value": st.sampled_from(["{user}", "unknown-id"])}), max_size=2
        ),
    ),
    st.tuples(
        st.just("replace"), st.just("timezone"), st.sampled_from(["Europe/Paris", "Mars/Olympus"])
    ),
).map(
    lambda t: {
        "op": t[0],
        **({"path": t[1]} if t[1] else {}),
        **({"value": t[2]} if t[2] is not None else {}),
    }
)


def _bind(ops: list[dict[str, Any]], user_id: str) -> list[dict[str, Any]]:
    return json.loads(json.dumps(ops).replace("{user}", user_id))


@FUZZ
@given(
    ops=st.lists(
        plausible_ops
        | plausible_ops
        | st.fixed_dictionaries(
            {
                "op": st.sampled_from(
                    ["add", "Add", "replace", "Replace", "remove", "REMOVE", "move", 3]
                )
            },
            optional={
                "path": st.one_of(
                    st.sampled_from(ATTRIBUTES),
                    filters().map(lambda f: f"emails[{f}]"),
                    st.text(max_size=20),
                ),
                "value": json_values,
            },
        ),
        min_size=0,
        max_size=4,
    ),
    target=st.sampled_from(["user", "group"]),
)
def test_generated_patches_apply_whole_or_not_at_all(world, ops, target):
    scim = world["scim"]
    before = _state(scim)
    resource = world[target]
    path = f"/{'Users' if target == 'user' else 'Groups'}/{resource['id']}"
    operations = _bind(ops, world["user"]["id"])
    response = scim.patch(
        path,
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": operations,
        },
    )
    _assert_clean(response)
    if response.status_code >= 400:
        assert _state(scim) == before
    else:  # put it back for the next example
        restore = (
            {
                "userName": "jane@example.com",
                "displayName": "Jane",
                "name": {"givenName": "Jane"},
                "emails": [{"value": "jane@example.com", "primary": True}],
                "active": True,
            }
            if target == "user"
            else {"displayName": "Eng", "members": [{"value": world["user"]["id"]}]}
        )
        assert scim.put(path, json=restore).status_code == 200


@FUZZ
@given(
    body=json_values,
    resource=st.sampled_from(["Users", "Groups"]),
    method=st.sampled_from(["POST", "PUT"]),
)
def test_generated_bodies_never_fail_or_half_write(world, body, resource, method):
    scim = world["scim"]
    before = _state(scim)
    target = world["user" if resource == "Users" else "group"]["id"]
    path = f"/{resource}" if method == "POST" else f"/{resource}/{target}"
    response = scim.request(method, path, json=body)
    _assert_clean(response)
    if response.status_code >= 400:
        assert _state(scim) == before
    elif method == "POST":
        assert scim.delete(f"/{resource}/{response.json()['id']}").status_code == 204


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "startIndex",
                "count",
                "attributes",
                "excludedAttributes",
                "sortBy",
                "sortOrder",
                "filter",
                "cursor",
            ]
        ),
        st.one_of(
            st.text(max_size=20), st.integers(-10, 10**12).map(str), st.sampled_from(ATTRIBUTES)
        ),
        max_size=5,
    ),
    headers=st.dictionaries(
        st.sampled_from(["If-Match", "If-None-Match", "Content-Type", "Accept", "X-Request-Id"]),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
        max_size=3,
    ),
    path=st.sampled_from(
        ["/Users", "/Groups", "/Users/{user}", "/Groups/{group}", "/Schemas", "/ResourceTypes"]
    ),
)
def test_generated_query_strings_and_headers_never_fail(world, params, headers, path):
    scim = world["scim"]
    url = path.format(user=world["user"]["id"], group=world["group"]["id"])
    response = scim.get(url, params=params, headers=headers)
    if response.status_code == 304:
        return
    _assert_clean(response)


@FUZZ
@given(
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(
        ["application/json", "application/scim+json; charset=utf-8", "text/plain", ""]
    ),
)
def test_undecodable_bodies_are_400_not_500(world, raw, content_type):
    scim = world["scim"]
    response = scim.post(
        "/Users", content=raw, headers={"Content-Type": content_type} if content_type else {}
    )
    _assert_clean(response)
