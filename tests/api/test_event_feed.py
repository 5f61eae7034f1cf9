"""The pull feed: every change in sequence order, paged by `next`, and long polls that wake."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from enlist.services import apikeys, tenancy
from enlist.services.unit import Actor

ADMIN = Actor("admin", "it@example.com")


@pytest.fixture
def api_key(db, settings, tenant) -> Any:
    return apikeys.create_api_key(db, tenant.account_id, "Calendar", secret_key=settings.secret_key)


def _feed(client: Any, key: Any, **params: Any) -> Any:
    return client.get(
        "/api/v1/events", params=params, headers={"Authorization": f"Bearer {key.key}"}
    )


def _provision(scim: Any, name: str) -> str:
    answer = scim.post(
        "/Users",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": f"{name}@example.com",
        },
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_the_feed_pages_through_every_event_in_sequence_order(client, scim, api_key):
    start = _feed(client, api_key).json()["next"]
    ids = [_provision(scim, f"person{n}") for n in range(5)]
    seen: list[dict[str, Any]] = []
    after = start
    while True:
        page = _feed(client, api_key, after=after, limit=2).json()
        if not page["events"]:
            break
        assert len(page["events"]) <= 2
        seen += page["events"]
        after = page["next"]
    provisioned = [e for e in seen if e["type"] == "person.provisioned"]
    assert [e["data"]["id"] for e in provisioned] == ids
    sequences = [e["sequence"] for e in seen]
    assert sequences == list(range(start + 1, start + 1 + len(seen)))
    assert after == sequences[-1]
    first = provisioned[0]
    assert set(first) == {"id", "sequence", "type", "time", "account", "actor", "data"}
    assert first["data"]["userName"] == "person0@example.com"
    assert first["actor"]["type"] == "scim"


def test_an_empty_answer_gives_back_the_same_after(client, api_key):
    page = _feed(client, api_key, after=10_000).json()
    assert page == {"events": [], "next": 10_000}


def test_the_feed_shows_only_the_keys_own_account(
    client, db, settings, tenant, make_tenant, api_key
):
    other = make_tenant("other.example")
    tenancy.create_secret(db, other.domain, other.account_id, secret_key=settings.secret_key)
    mine = _feed(client, api_key, limit=1000).json()["events"]
    assert mine and {e["account"] for e in mine} == {tenant.account_id}


@pytest.mark.parametrize(
    ("params", "status"),
    [({"after": "x"}, 400), ({"limit": "ten"}, 400), ({"wait": "1.5"}, 400)],
)
def test_parameters_that_are_not_numbers_are_refused_in_words(client, api_key, params, status):
    answer = _feed(client, api_key, **params)
    assert answer.status_code == status
    assert "whole number" in answer.json()["detail"]


def test_limit_is_capped_at_1000(client, db, tenant, api_key):
    for n in range(3):
        tenancy.add_domain(db, tenant.account_id, f"d{n}.example", verified=True)
    assert len(_feed(client, api_key, limit=0).json()["events"]) == 1
    assert len(_feed(client, api_key, limit=5000).json()["events"]) >= 3


def test_a_long_poll_wakes_within_a_second_of_a_change(client, db, tenant, api_key):
    after = _feed(client, api_key).json()["next"]
    # the change comes from another thread while the request waits
    timer = threading.Timer(
        1.0, lambda: tenancy.add_domain(db, tenant.account_id, "late.example", verified=True)
    )
    started = time.monotonic()
    timer.start()
    page = _feed(client, api_key, after=after, wait=10).json()
    waited = time.monotonic() - started
    timer.join()
    assert [e["type"] for e in page["events"]] == ["domain.verified"]
    assert 0.9 <= waited < 2.0


def test_a_long_poll_without_changes_returns_empty_after_the_wait(client, api_key):
    after = _feed(client, api_key).json()["next"]
    started = time.monotonic()
    page = _feed(client, api_key, after=after, wait=1).json()
    assert page == {"events": [], "next": after}
    assert 0.9 <= time.monotonic() - started < 2.0


def test_a_long_poll_sees_another_processs_change(client, database_url, tenant, api_key):
    """A change committed by another Database (as another process would) wakes the poll by
    the periodic look, not by this process's bell."""
    from enlist.store.db import Database

    other = Database.open(database_url, migrate=False)
    after = _feed(client, api_key).json()["next"]
    timer = threading.Timer(
        0.5, lambda: tenancy.add_domain(other, tenant.account_id, "far.example", verified=True)
    )
    started = time.monotonic()
    timer.start()
    try:
        page = _feed(client, api_key, after=after, wait=10).json()
    finally:
        timer.join()
        other.dispose()
    assert [e["type"] for e in page["events"]] == ["domain.verified"]
    assert time.monotonic() - started < 1.5


def test_the_feed_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/events" in document["paths"]
    assert "Event" in document["components"]["schemas"]
