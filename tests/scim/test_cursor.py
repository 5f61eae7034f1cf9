"""RFC 9865 cursor pagination: empty cursor to start, nextCursor / previousCursor to walk,
keyset pages (never OFFSET), and signed cursors refused when tampered with or expired."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from starlette.testclient import TestClient

from enlist.app import create_app
from enlist.clock import now
from enlist.config import Settings
from enlist.domain.model import UserFields
from enlist.store.directory import UserStore
from tests.conftest import Scim
from tests.helpers import assert_scim_error

LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _people(db: Any, scim: Scim, n: int, **fields: Any) -> list[str]:
    """n users in creation order, written in one transaction."""
    with db.write() as conn:
        store = UserStore(conn, scim.tenant.account_id)
        return [
            store.insert(UserFields(user_name=f"person{i:03d}@example.com", **fields))
            for i in range(n)
        ]


def _walk(
    scim: Scim, path: str = "/Users", **params: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every page from an empty cursor to the last nextCursor: (pages, resources)."""
    pages, cursor = [], ""
    while cursor is not None:
        response = scim.get(path, params={**params, "cursor": cursor})
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        cursor = page.get("nextCursor")
    return pages, [r for page in pages for r in page["Resources"]]


@contextmanager
def _statements(db: Any) -> Iterator[list[str]]:
    """The SQL the database runs meanwhile, as sent (with the parameters, after a ' -- ')."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append(f"{statement} -- {parameters!r}")

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_service_provider_config_advertises_cursor_and_index_pagination(scim: Scim) -> None:
    config = scim.get("/ServiceProviderConfig").json()
    assert config["pagination"] == {
        "cursor": True,
        "index": True,
        "defaultPaginationMethod": "index",
        "defaultPageSize": 100,
        "maxPageSize": 1000,
        "cursorTimeout": 3600,
    }


def test_an_empty_cursor_starts_and_next_cursors_walk_every_user_once(scim: Scim, db: Any) -> None:
    ids = _people(db, scim, 23)

    pages, seen = _walk(scim, count=5)

    assert [r["id"] for r in seen] == ids
    assert [p["itemsPerPage"] for p in pages] == [5, 5, 5, 5, 3]
    for page in pages:
        assert page["schemas"] == [LIST_SCHEMA]
        assert "startIndex" not in page  # RFC 9865: the cursor, not an index, says where
        assert page["itemsPerPage"] == len(page["Resources"])
    assert pages[0]["totalResults"] == 23  # counted once, on the first page
    assert all("totalResults" not in p for p in pages[1:])
    assert "nextCursor" not in pages[-1] and all("nextCursor" in p for p in pages[:-1])
    assert "previousCursor" not in pages[0] and all("previousCursor" in p for p in pages[1:])
    for page in pages[:-1]:
        assert set(page["nextCursor"]) <= UNRESERVED


def test_a_cursor_given_without_value_starts_too(scim: Scim, db: Any) -> None:
    ids = _people(db, scim, 3)
    response = scim.get("/Users?cursor&count=2")
    assert response.status_code == 200, response.text
    assert [r["id"] for r in response.json()["Resources"]] == ids[:2]


def test_previous_cursors_walk_back_through_the_same_pages(scim: Scim, db: Any) -> None:
    _people(db, scim, 17)
    pages, _ = _walk(scim, count=4, sortBy="userName", sortOrder="descending")

    back = [pages[-1]]
    while "previousCursor" in back[-1]:
        response = scim.get(
            "/Users",
            params={
                "cursor": back[-1]["previousCursor"],
                "count": 4,
                "sortBy": "userName",
                "sortOrder": "descending",
            },
        )
        assert response.status_code == 200, response.text
        back.append(response.json())

    assert [[r["id"] for r in p["Resources"]] for p in reversed(back)] == [
        [r["id"] for r in p["Resources"]] for p in pages
    ]
    # a page reached backward leads forward again
    assert back[-1]["nextCursor"]


def test_cursor_pages_follow_sort_and_filter_with_ties_broken_by_creation(
    scim: Scim, db: Any
) -> None:
    first = _people(db, scim, 9, title="Engineer")
    with db.write() as conn:
        store = UserStore(conn, scim.tenant.account_id)
        others = [
            store.insert(UserFields(user_name=f"z{i}@example.com", title="Analyst"))
            for i in range(4)
        ]
        store.insert(UserFields(user_name="nobody@example.com", title="Engineer", active=False))

    _, up = _walk(scim, count=3, sortBy="title", filter="active eq true")
    assert [r["id"] for r in up] == others + first  # analyst < engineer; ties in creation order

    _, down = _walk(scim, count=3, sortBy="title", sortOrder="descending", filter="active eq true")
    assert [r["id"] for r in down] == list(reversed(others + first))


def test_cursor_pages_put_users_without_the_sort_value_last_and_walk_back_to_them(
    scim: Scim, db: Any
) -> None:
    with db.write() as conn:
        store = UserStore(conn, scim.tenant.account_id)
        ids = [
            store.insert(
                UserFields(
                    user_name=f"p{i}@example.com",
                    display_name=None if i % 3 == 0 else f"name {i % 2}",
                )
            )
            for i in range(10)
        ]
    named = [i for i in range(10) if i % 3]
    expected = [ids[i] for i in sorted(named, key=lambda i: (i % 2, i))] + [
        ids[i] for i in range(0, 10, 3)
    ]

    pages, seen = _walk(scim, count=3, sortBy="displayName")
    assert [r["id"] for r in seen] == expected

    previous = scim.get(
        "/Users",
        params={"cursor": pages[-1]["previousCursor"], "count": 3, "sortBy": "displayName"},
    ).json()
    assert previous["Resources"] == pages[-2]["Resources"]

    _, down = _walk(scim, count=4, sortBy="displayName", sortOrder="descending")
    assert [r["id"] for r in down] == list(reversed(expected))


def test_cursor_walk_survives_users_added_and_removed_meanwhile(scim: Scim, db: Any) -> None:
    ids = _people(db, scim, 10)
    first = scim.get("/Users", params={"cursor": "", "count": 4}).json()
    scim.delete(f"/Users/{ids[5]}")  # ahead of the cursor
    scim.delete(f"/Users/{ids[1]}")  # behind it
    late = scim.create_user("late@example.com")["id"]

    rest = []
    cursor = first["nextCursor"]
    while cursor:
        page = scim.get("/Users", params={"cursor": cursor, "count": 4}).json()
        rest += [r["id"] for r in page["Resources"]]
        cursor = page.get("nextCursor")

    assert [r["id"] for r in first["Resources"]] == ids[:4]
    assert rest == [ids[4], *ids[6:], late]  # no repeats, no gap, the newcomer at the end


def test_cursor_pages_are_keyset_queries_never_offset(scim: Scim, db: Any) -> None:
    _people(db, scim, 12)
    first = scim.get("/Users", params={"cursor": "", "count": 5, "sortBy": "meta.created"}).json()
    with _statements(db) as seen:
        page = scim.get(
            "/Users", params={"cursor": first["nextCursor"], "count": 5, "sortBy": "meta.created"}
        )
    assert page.status_code == 200, page.text
    reads = [
        s
        for s in seen
        if s.lstrip().upper().startswith("SELECT") and "FROM users" in s and "LIMIT" in s
    ]
    assert reads, seen
    for statement in reads:
        # SQLite's dialect always writes "LIMIT ? OFFSET ?"; the offset it sends is then 0
        assert "OFFSET" not in statement or statement.endswith(", 0)"), statement
    assert any("(users.created, users.pk) >" in s for s in reads), reads


def test_group_cursor_pages_without_members_never_read_the_membership_table(
    scim: Scim, db: Any
) -> None:
    member = scim.create_user("member@example.com")["id"]
    ids = [scim.create_group(f"Team {i}", [member])["id"] for i in range(7)]

    with _statements(db) as seen:
        pages, groups = _walk(scim, "/Groups", count=3, excludedAttributes="members")

    assert [g["id"] for g in groups] == ids
    assert all("members" not in g for g in groups)
    assert not [s for s in seen if "group_members" in s]
    assert pages[0]["totalResults"] == 7


def test_search_bodies_page_by_cursor_too(scim: Scim, db: Any) -> None:
    ids = _people(db, scim, 6)
    body = {"filter": 'userName sw "person"', "count": 4, "cursor": "", "attributes": ["userName"]}
    first = scim.post("/Users/.search", json=body)
    assert first.status_code == 200, first.text
    second = scim.post("/Users/.search", json={**body, "cursor": first.json()["nextCursor"]}).json()

    found = first.json()["Resources"] + second["Resources"]
    assert [r["id"] for r in found] == ids
    assert set(found[0]) == {"schemas", "id", "userName"}
    assert "nextCursor" not in second


def test_root_search_cursor_walks_from_users_into_groups(scim: Scim, db: Any) -> None:
    users = _people(db, scim, 4)
    groups = [scim.create_group(f"Team {i}")["id"] for i in range(3)]

    seen, cursor = [], ""
    while cursor is not None:
        response = scim.post("/.search", json={"cursor": cursor, "count": 3})
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [r["id"] for r in page["Resources"]]
        cursor = page.get("nextCursor")

    assert seen == users + groups
    back = scim.post("/.search", json={"cursor": page["previousCursor"], "count": 3}).json()
    assert [r["id"] for r in back["Resources"]] == (users + groups)[3:6]


def test_count_zero_with_a_cursor_gives_the_total_alone(scim: Scim, db: Any) -> None:
    _people(db, scim, 4)
    body = scim.get("/Users", params={"cursor": "", "count": 0}).json()
    assert body["totalResults"] == 4 and body["itemsPerPage"] == 0 and body["Resources"] == []
    assert "nextCursor" not in body
    # also with a cursor in hand
    cursor = scim.get("/Users", params={"cursor": "", "count": 2}).json()["nextCursor"]
    later = scim.get("/Users", params={"cursor": cursor, "count": 0}).json()
    assert later["totalResults"] == 4 and later["Resources"] == [] and "nextCursor" not in later


def test_cursor_page_count_above_the_maximum_is_clamped(
    scim: Scim, db: Any, database_url: str
) -> None:
    _people(db, scim, 7)
    app = create_app(Settings(database_url=database_url, max_results=3), db)
    with TestClient(app, base_url="http://enlist.test") as small:
        body = small.get("/scim/v2/Users?cursor=&count=500", headers=scim.tenant.headers).json()
    assert body["itemsPerPage"] == 3 and body["totalResults"] == 7 and body["nextCursor"]


def test_cursor_and_start_index_together_are_refused(scim: Scim) -> None:
    assert_scim_error(
        scim.get("/Users", params={"cursor": "", "startIndex": 1}), 400, "invalidValue"
    )


def test_a_tampered_cursor_is_refused_as_invalid(scim: Scim, db: Any) -> None:
    _people(db, scim, 4)
    cursor = scim.get("/Users", params={"cursor": "", "count": 2}).json()["nextCursor"]
    payload, signature = cursor.split(".")
    content = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    content["p"] = 0  # rewind to the start
    forged = base64.urlsafe_b64encode(json.dumps(content).encode()).rstrip(b"=").decode()

    for bad in (
        f"{forged}.{signature}",
        cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"),
        "not-a-cursor",
        "%%%",
        "a" * 5000,
    ):
        body = assert_scim_error(
            scim.get("/Users", params={"cursor": bad, "count": 2}), 400, "invalidCursor"
        )
        assert bad not in body["detail"]
    assert_scim_error(scim.post("/Users/.search", json={"cursor": 42}), 400, "invalidCursor")


def test_a_cursor_is_bound_to_its_query_and_its_tenant(
    scim: Scim, db: Any, client: Any, make_tenant: Any
) -> None:
    _people(db, scim, 4)
    cursor = scim.get("/Users", params={"cursor": "", "count": 2, "sortBy": "userName"}).json()[
        "nextCursor"
    ]

    assert_scim_error(
        scim.get("/Users", params={"cursor": cursor, "count": 2}), 400, "invalidCursor"
    )  # other sort
    assert_scim_error(
        scim.get(
            "/Users", params={"cursor": cursor, "sortBy": "userName", "filter": "active eq true"}
        ),
        400,
        "invalidCursor",
    )
    assert_scim_error(
        scim.get("/Groups", params={"cursor": cursor, "sortBy": "userName"}), 400, "invalidCursor"
    )
    other = Scim(client, make_tenant("other.example", name="Other"))
    assert_scim_error(
        other.get("/Users", params={"cursor": cursor, "sortBy": "userName"}), 400, "invalidCursor"
    )
    # the page size may change between pages
    page = scim.get("/Users", params={"cursor": cursor, "count": 1, "sortBy": "userName"})
    assert page.status_code == 200 and page.json()["itemsPerPage"] == 1


def test_an_expired_cursor_is_refused_as_expired(scim: Scim, db: Any, monkeypatch: Any) -> None:
    _people(db, scim, 4)
    cursor = scim.get("/Users", params={"cursor": "", "count": 2}).json()["nextCursor"]
    later = now() + timedelta(seconds=3601)
    monkeypatch.setattr("enlist.scim.cursors.now", lambda: later)

    body = assert_scim_error(
        scim.get("/Users", params={"cursor": cursor, "count": 2}), 400, "expiredCursor"
    )
    assert "3600 seconds" in body["detail"]
