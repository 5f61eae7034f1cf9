"""A NUL character (U+0000), which PostgreSQL can neither keep nor compare, is refused with a
4xx on every backend wherever a request carries it, and the refusal is still in the log."""

from __future__ import annotations

from typing import Any

from enlist.services import activity


def test_a_filter_comparing_with_a_nul_character_is_refused_not_failed(scim: Any) -> None:
    scim.create_user("jane@example.com")
    for path in ("/Users", "/Groups"):
        for nul in ("\u0000", "\\u0000"):  # the character, and the filter's escape of it
            response = scim.get(path, params={"filter": f'userName eq "{nul}"'})
            assert response.status_code == 400, response.text
            assert "\x00" not in response.text
    searched = scim.post("/.search", json={"filter": 'displayName co "a\u0000"'})
    assert searched.status_code == 400, searched.text


def test_a_user_or_group_with_a_nul_character_is_refused_and_logged(scim: Any, db: Any) -> None:
    response = scim.post("/Users", json={"userName": "ann@example.com", "title": "A\u0000B"})
    assert response.status_code == 400, response.text
    assert response.json()["scimType"] == "invalidValue"
    assert scim.get("/Users").json()["totalResults"] == 0
    _, refused = activity.newest(db, scim.tenant.account_id, limit=1)[0]
    assert (refused.status, refused.outcome) == (400, "refused")

    group = scim.post("/Groups", json={"displayName": "Eng\u0000"})
    assert group.status_code == 400, group.text
    _, refused = activity.newest(db, scim.tenant.account_id, limit=1)[0]
    assert refused.resource_name == "Eng\ufffd"


def test_an_id_with_a_nul_character_is_not_found(scim: Any) -> None:
    for method in ("GET", "DELETE"):
        response = scim.request(method, "/Users/abc%00def")
        assert response.status_code == 404, response.text
    members = {"Operations": [{"op": "add", "path": "members", "value": [{"value": "x\u0000"}]}]}
    group = scim.create_group("Eng")
    assert scim.patch(f"/Groups/{group['id']}", json=members).status_code == 400
