"""Query completeness: sortBy / sortOrder on every simple attribute (stable, index-backed),
attributes / excludedAttributes on every endpoint, count=0 and clamped counts, and
filters on password refused as sensitive."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from enlist.app import create_app
from enlist.config import Settings
from enlist.domain.model import UserFields
from enlist.store.directory import UserStore
from tests.conftest import Scim
from tests.helpers import assert_scim_error

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"


@contextmanager
def statements(db: Any) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the database runs meanwhile, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


# sorting -----------------------------------------------------------------------------

# Values chosen so that lower-casing decides (Alpha / alpha tie), some users have none,
# and no collation could order them differently from code points.
PEOPLE: list[dict[str, Any]] = [
    {
        "userName": "dan@example.com",
        "displayName": "bravo",
        "name": {"givenName": "Zed", "familyName": "Young"},
        "externalId": "x2",
        "title": "Engineer",
        "active": True,
        "emails": [
            {"value": "dan@example.com", "type": "home"},
            {"value": "a-dan@example.com", "type": "work", "primary": True},
        ],
    },
    {
        "userName": "Ann@example.com",
        "displayName": "Alpha",
        "name": {"givenName": "amy"},
        "externalId": "x10",
        "active": False,
        "emails": [{"value": "Ann@example.com", "type": "work"}],
    },
    {
        "userName": "cat@example.com",
        "name": {"givenName": "Bea", "familyName": "adams"},
        "title": "analyst",
        "active": True,
    },
    {
        "userName": "bob@example.com",
        "displayName": "alpha",
        "externalId": "x1",
        "title": "Engineer",
        "active": False,
        "emails": [{"value": "zed-bob@example.com", "type": "work"}],
    },
]


def _value(doc: dict[str, Any], attribute: str) -> Any:
    if attribute == "emails.value":
        emails = doc.get("emails", [])
        chosen = [e for e in emails if e.get("primary")] or emails[:1]
        return chosen[0]["value"] if chosen else None
    value: Any = doc
    for part in attribute.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _expected(docs: list[dict[str, Any]], attribute: str, case_exact: bool = False) -> list[str]:
    """Ascending: by the value (lower-cased unless case-exact), no value last, ties by creation."""

    def key(item: tuple[int, dict[str, Any]]) -> tuple[Any, ...]:
        index, doc = item
        value = _value(doc, attribute)
        if isinstance(value, str) and not case_exact:
            value = value.lower()
        return (value is None, value if value is not None else "", index)

    return [doc["id"] for _, doc in sorted(enumerate(docs), key=key)]


def _ids(scim: Scim, path: str, **params: Any) -> list[str]:
    response = scim.get(path, params=params)
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["Resources"]]


@pytest.fixture
def people(scim: Scim) -> list[dict[str, Any]]:
    created = [
        scim.create_user(p["userName"], **{k: v for k, v in p.items() if k != "userName"})
        for p in PEOPLE
    ]
    # one later change, so that lastModified differs from creation order
    response = scim.patch(
        f"/Users/{created[0]['id']}",
        json={
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "path": "nickName", "value": "d"}],
        },
    )
    assert response.status_code == 200
    return [scim.get(f"/Users/{u['id']}").json() for u in created]


@pytest.mark.parametrize(
    ("sort_by", "attribute", "case_exact"),
    [
        ("userName", "userName", False),
        ("displayName", "displayName", False),
        ("name.givenName", "name.givenName", False),
        ("name.familyName", "name.familyName", False),
        ("externalId", "externalId", True),
        ("title", "title", False),
        ("nickName", "nickName", False),
        ("active", "active", True),
        ("meta.created", "meta.created", True),
        ("meta.lastModified", "meta.lastModified", True),
        ("emails.value", "emails.value", False),
        ("emails", "emails.value", False),
        ("id", "id", True),
        (f"{USER_URN}:userName", "userName", False),
        ("USERNAME", "userName", False),
    ],
)
def test_users_sort_by_any_simple_attribute_both_ways(
    scim: Scim, people: list[dict[str, Any]], sort_by: str, attribute: str, case_exact: bool
) -> None:
    expected = _expected(people, attribute, case_exact)
    assert _ids(scim, "/Users", sortBy=sort_by) == expected
    assert _ids(scim, "/Users", sortBy=sort_by, sortOrder="ascending") == expected
    # descending is the exact reverse: no value first, ties in reverse creation order
    assert _ids(scim, "/Users", sortBy=sort_by, sortOrder="descending") == expected[::-1]
    assert _ids(scim, "/Users", sortBy=sort_by, sortOrder="DESCENDING") == expected[::-1]
    search = scim.post("/Users/.search", json={"sortBy": sort_by, "sortOrder": "descending"})
    assert [r["id"] for r in search.json()["Resources"]] == expected[::-1]


@pytest.mark.parametrize(
    ("sort_by", "case_exact"),
    [
        ("displayName", False),
        ("externalId", True),
        ("meta.created", True),
        ("meta.lastModified", True),
        ("id", True),
    ],
)
def test_groups_sort_by_any_simple_attribute_both_ways(
    scim: Scim, sort_by: str, case_exact: bool
) -> None:
    names = [("bravo", "g2"), ("Alpha", None), ("charlie", "g10"), ("delta", "g1")]
    created = [
        scim.post(
            "/Groups", json={"displayName": name, **({"externalId": ext} if ext else {})}
        ).json()
        for name, ext in names
    ]
    scim.patch(
        f"/Groups/{created[0]['id']}",
        json={
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Bravo"}],
        },
    )
    docs = [scim.get(f"/Groups/{g['id']}").json() for g in created]
    expected = _expected(docs, sort_by, case_exact)
    assert _ids(scim, "/Groups", sortBy=sort_by) == expected
    assert _ids(scim, "/Groups", sortBy=sort_by, sortOrder="descending") == expected[::-1]


def test_sorted_index_pages_are_stable_whatever_the_count(scim: Scim, db: Any) -> None:
    with db.write() as conn:
        store = UserStore(conn, scim.tenant.account_id)
        ids = [
            store.insert(
                UserFields(user_name=f"p{i:03d}@example.com", title=("Chef" if i % 2 else None))
            )
            for i in range(40)
        ]
    full = _ids(scim, "/Users", sortBy="title", count=1000)
    assert full == [ids[i] for i in range(1, 40, 2)] + [ids[i] for i in range(0, 40, 2)]
    for count in (1, 3, 7, 16):
        for order in ("ascending", "descending"):
            paged: list[str] = []
            for start in range(1, 41, count):
                paged += _ids(
                    scim, "/Users", sortBy="title", sortOrder=order, startIndex=start, count=count
                )
            assert paged == (full if order == "ascending" else full[::-1]), (count, order)


def test_sort_by_an_attribute_that_cannot_order_is_refused(scim: Scim) -> None:
    for sort_by in ("shoeSize", "groups", "name", "members", "urn:example:unknown:attr", "(("):
        assert_scim_error(scim.get("/Users", params={"sortBy": sort_by}), 400, "invalidFilter")
    assert_scim_error(scim.get("/Groups", params={"sortBy": "userName"}), 400, "invalidFilter")
    assert_scim_error(scim.get("/Users", params={"sortOrder": "sideways"}), 400)


def test_sort_by_password_is_refused_as_sensitive(scim: Scim) -> None:
    body = assert_scim_error(scim.get("/Users", params={"sortBy": "password"}), 403, "sensitive")
    assert "hunter" not in body["detail"]


# (sortBy, the index its ORDER BY must come from) -- per table; the unique displayName of groups is
# a table constraint, which SQLite names after the table
INDEXED_SORTS = [
    ("/Users", "userName", {"uq_users_account_live_user_name"}),
    ("/Users", "displayName", {"ix_users_account_display_name"}),
    ("/Users", "externalId", {"ix_users_account_external_id"}),
    ("/Users", "meta.created", {"ix_users_account_created"}),
    ("/Users", "meta.lastModified", {"ix_users_account_last_modified"}),
    (
        "/Groups",
        "displayName",
        {"uq_groups_account_id_display_name_lower", "sqlite_autoindex_groups_1"},
    ),
    ("/Groups", "externalId", {"ix_groups_account_external_id"}),
    ("/Groups", "meta.created", {"ix_groups_account_created"}),
    ("/Groups", "meta.lastModified", {"ix_groups_account_last_modified"}),
]


def _plan(db: Any, statement: str, parameters: Any) -> str:
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            return "\n".join(
                row[-1]
                for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
        # On a tiny table PostgreSQL would rather scan and sort: ask what it can do with indexes.
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_sort = off")
        return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))


@pytest.mark.parametrize(("path", "sort_by", "indexes"), INDEXED_SORTS)
@pytest.mark.parametrize("order", ["ascending", "descending"])
@pytest.mark.parametrize("paging", ["index", "cursor"])
def test_common_sorts_read_their_index_in_order(
    scim: Scim, db: Any, path: str, sort_by: str, indexes: set[str], order: str, paging: str
) -> None:
    for i in range(4):
        scim.create_user(f"p{i}@example.com", displayName=f"P {i}", externalId=f"e{i}")
        assert (
            scim.post("/Groups", json={"displayName": f"G {i}", "externalId": f"e{i}"}).status_code
            == 201
        )
    params: dict[str, Any] = {"sortBy": sort_by, "sortOrder": order, "count": 2}
    if paging == "cursor":
        params["cursor"] = scim.get(path, params={**params, "cursor": ""}).json()["nextCursor"]
    table = path.strip("/").lower()
    with statements(db) as seen:
        assert scim.get(path, params=params).status_code == 200
    (statement, parameters), *_ = [s for s in seen if f"FROM {table}" in s[0] and "LIMIT" in s[0]]

    plan = _plan(db, statement, parameters)

    assert any(name in plan for name in indexes), plan
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan  # SQLite: no sort of the rows
    # PostgreSQL: at most an incremental sort of ties, the key presorted by the index
    assert not re.search(r"^\s*(->\s*)?Sort\s+\(", plan, re.MULTILINE), plan


# attributes / excludedAttributes on every endpoint ---------------------------------------


def _keys(response: Any) -> set[str]:
    assert response.status_code in (200, 201), response.text
    return set(response.json())


def test_user_writes_answer_with_the_requested_attributes_only(scim: Scim) -> None:
    body = {
        "userName": "ann@example.com",
        "displayName": "Ann",
        "title": "Chef",
        "emails": [{"value": "ann@example.com"}],
    }
    created = scim.post("/Users", json=body, params={"attributes": "userName,title"})
    assert _keys(created) == {"schemas", "id", "userName", "title"}
    assert created.headers["Location"].endswith(created.json()["id"]) and created.headers["ETag"]
    user_id = created.json()["id"]

    replaced = scim.put(
        f"/Users/{user_id}", json=body, params={"excludedAttributes": "emails,meta,name"}
    )
    assert "emails" not in _keys(replaced) and "meta" not in replaced.json()
    assert {"userName", "displayName", "title", "id", "schemas"} <= set(replaced.json())

    patched = scim.patch(
        f"/Users/{user_id}",
        json={
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "value": {"active": False}}],
        },
        params={"attributes": f"{USER_URN}:active"},
    )
    assert patched.json() == {"schemas": [USER_URN], "id": user_id, "active": False}


def test_user_reads_and_searches_answer_with_the_requested_attributes_only(scim: Scim) -> None:
    user = scim.create_user(
        "ann@example.com", displayName="Ann", name={"givenName": "Ann", "familyName": "Lee"}
    )
    one = scim.get(f"/Users/{user['id']}", params={"attributes": "name.givenName"}).json()
    assert one == {"schemas": [USER_URN], "id": user["id"], "name": {"givenName": "Ann"}}
    listed = scim.get("/Users", params={"excludedAttributes": "emails,name.familyName"}).json()[
        "Resources"
    ][0]
    assert "emails" not in listed and listed["name"] == {"givenName": "Ann"}
    searched = scim.post("/Users/.search", json={"attributes": ["userName", "displayName"]}).json()[
        "Resources"
    ]
    assert searched == [
        {
            "schemas": [USER_URN],
            "id": user["id"],
            "userName": "ann@example.com",
            "displayName": "Ann",
        }
    ]
    excluded = scim.post("/Users/.search", json={"excludedAttributes": "meta, emails"}).json()[
        "Resources"
    ][0]
    assert (
        "meta" not in excluded
        and "emails" not in excluded
        and excluded["userName"] == "ann@example.com"
    )
    # id and schemas are always returned
    always = scim.get(
        f"/Users/{user['id']}", params={"excludedAttributes": "id,schemas,userName"}
    ).json()
    assert {"id", "schemas"} <= set(always) and "userName" not in always


def test_group_writes_reads_and_searches_answer_with_the_requested_attributes_only(
    scim: Scim,
) -> None:
    member = scim.create_user("ann@example.com")["id"]
    created = scim.post(
        "/Groups",
        json={"displayName": "Eng", "members": [{"value": member}]},
        params={"excludedAttributes": "members"},
    )
    assert created.status_code == 201 and "members" not in created.json()
    group_id = created.json()["id"]

    replaced = scim.put(
        f"/Groups/{group_id}",
        json={"displayName": "Eng", "members": [{"value": member}]},
        params={"attributes": "displayName"},
    )
    assert _keys(replaced) == {"schemas", "id", "displayName"}
    patched = scim.patch(
        f"/Groups/{group_id}",
        json={
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Ops"}],
        },
        params={"attributes": "members"},
    )
    assert patched.status_code == 200 and [m["value"] for m in patched.json()["members"]] == [
        member
    ]
    assert "displayName" not in patched.json()

    assert (
        "members"
        not in scim.get(f"/Groups/{group_id}", params={"excludedAttributes": "members"}).json()
    )
    listed = scim.get("/Groups", params={"attributes": "members.value"}).json()["Resources"]
    assert listed[0]["members"] == [{"value": member}]
    searched = scim.post(
        "/Groups/.search", json={"excludedAttributes": ["members", "meta"]}
    ).json()["Resources"]
    assert set(searched[0]) == {"schemas", "id", "displayName"}
    root = scim.post("/.search", json={"attributes": ["displayName"]}).json()["Resources"]
    assert {r["id"] for r in root} == {member, group_id}
    assert all(set(r) <= {"schemas", "id", "displayName"} for r in root)


def test_excluding_members_never_reads_the_membership_table(scim: Scim, db: Any) -> None:
    users = [scim.create_user(f"p{i}@example.com")["id"] for i in range(3)]
    group = scim.create_group("Eng", users)
    okta_touch = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"id": group["id"], "displayName": "Eng"}}],
    }

    with statements(db) as seen:
        responses = [
            scim.get("/Groups", params={"excludedAttributes": "members"}),
            scim.get(
                "/Groups",
                params={"excludedAttributes": "members", "filter": 'displayName eq "Eng"'},
            ),
            scim.get(f"/Groups/{group['id']}", params={"excludedAttributes": "members"}),
            scim.get(f"/Groups/{group['id']}", params={"attributes": "displayName"}),
            scim.post("/Groups/.search", json={"excludedAttributes": ["members"]}),
            scim.get("/Groups", params={"excludedAttributes": "members", "cursor": "", "count": 1}),
            scim.patch(
                f"/Groups/{group['id']}", json=okta_touch, params={"excludedAttributes": "members"}
            ),
        ]

    for response in responses:
        assert response.status_code == 200, response.text
        assert "members" not in response.text
    touching = [s for s, _ in seen if "group_members" in s]
    assert not touching, touching
    # and the members are all still there
    assert len(scim.get(f"/Groups/{group['id']}").json()["members"]) == 3


def test_excluding_groups_never_reads_the_membership_table_for_users(scim: Scim, db: Any) -> None:
    user = scim.create_user("ann@example.com")
    scim.create_group("Eng", [user["id"]])
    with statements(db) as seen:
        listed = scim.get("/Users", params={"excludedAttributes": "groups"})
        one = scim.get(f"/Users/{user['id']}", params={"attributes": "userName"})
    assert listed.status_code == one.status_code == 200
    assert "groups" not in listed.json()["Resources"][0] and "groups" not in one.json()
    assert not [s for s, _ in seen if "group_members" in s]


# count ---------------------------------------------------------------------------------


def test_count_zero_gives_totals_only_on_every_list(scim: Scim) -> None:
    for i in range(3):
        scim.create_user(f"p{i}@example.com")
    scim.create_group("Eng")
    for response, total in (
        (scim.get("/Users", params={"count": 0}), 3),
        (scim.get("/Groups", params={"count": "0"}), 1),
        (scim.post("/Users/.search", json={"count": 0}), 3),
        (scim.post("/Groups/.search", json={"count": 0, "filter": 'displayName eq "Eng"'}), 1),
        (scim.post("/.search", json={"count": 0}), 4),
        (scim.get("/Users", params={"count": -5}), 3),
    ):
        assert response.status_code == 200, response.text
        body = response.json()
        assert (
            body["totalResults"] == total and body["itemsPerPage"] == 0 and body["Resources"] == []
        )


def test_large_counts_are_clamped_to_the_advertised_maximum(
    scim: Scim, db: Any, database_url: str
) -> None:
    for i in range(4):
        scim.create_user(f"p{i}@example.com")
        scim.create_group(f"G {i}")
    app = create_app(Settings(database_url=database_url, max_results=3), db)
    with TestClient(app, base_url="http://enlist.test") as small:

        def get(path: str, **kwargs: Any) -> Any:
            return small.request(
                kwargs.pop("method", "GET"),
                f"/scim/v2{path}",
                headers=scim.tenant.headers,
                **kwargs,
            )

        for response, total in (
            (get("/Users?count=2147483648"), 4),
            (get("/Groups?count=100"), 4),
            (get("/Groups/.search", method="POST", json={"count": 10**9}), 4),
            (get("/.search", method="POST", json={"count": 50}), 8),
        ):
            assert response.status_code == 200, response.text
            body = response.json()
            assert (
                body["itemsPerPage"] == 3 == len(body["Resources"])
                and body["totalResults"] == total
            )
        config = get("/ServiceProviderConfig").json()
        assert config["filter"]["maxResults"] == 3 and config["pagination"]["maxPageSize"] == 3
        assert config["pagination"]["defaultPageSize"] == 3


# sensitive -----------------------------------------------------------------------------

PASSWORD_FILTERS = [
    'password eq "hunter2-secret"',
    f'{USER_URN}:password eq "hunter2-secret"',
    'userName pr and not (password co "hunter2-secret")',
    'PASSWORD sw "hunter2-secret"',
]


@pytest.mark.parametrize("text", PASSWORD_FILTERS)
def test_filters_on_password_are_refused_as_sensitive_everywhere(scim: Scim, text: str) -> None:
    scim.create_user("ann@example.com")
    send: list[Callable[[], Any]] = [
        lambda: scim.get("/Users", params={"filter": text}),
        lambda: scim.post("/Users/.search", json={"filter": text}),
        lambda: scim.post("/.search", json={"filter": text}),
        lambda: scim.get("/Users", params={"filter": text, "cursor": ""}),
    ]
    for request in send:
        body = assert_scim_error(request(), 403, "sensitive")
        assert "hunter2-secret" not in body["detail"]


def test_users_sort_by_an_enterprise_extension_attribute(scim: Scim) -> None:
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    departments = ["sales", None, "Eng", "ops"]
    ids = [
        scim.create_user(
            f"p{i}@example.com",
            schemas=[USER_URN, enterprise],
            **({enterprise: {"department": d}} if d else {}),
        )["id"]
        for i, d in enumerate(departments)
    ]
    expected = [ids[2], ids[3], ids[0], ids[1]]  # eng, ops, sales, then the one without
    assert _ids(scim, "/Users", sortBy=f"{enterprise}:department") == expected
    assert (
        _ids(scim, "/Users", sortBy=f"{enterprise}:department", sortOrder="descending")
        == expected[::-1]
    )
    pages, cursor = [], ""
    while cursor is not None:
        body = scim.get(
            "/Users", params={"sortBy": f"{enterprise}:department", "cursor": cursor, "count": 1}
        ).json()
        pages += [r["id"] for r in body["Resources"]]
        cursor = body.get("nextCursor")
    assert pages == expected
