"""Versions and ETags: every single-resource answer carries its version, If-Match and
If-None-Match are honoured on reads and writes, as ServiceProviderConfig promises."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Scim
from tests.helpers import assert_scim_error

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def _etag_matches_meta(response: Any) -> str:
    etag = response.headers["ETag"]
    assert etag.startswith('W/"') and etag.endswith('"')
    assert response.json()["meta"]["version"] == etag
    return str(etag)


def test_service_provider_config_advertises_etags(scim: Scim) -> None:
    assert scim.get("/ServiceProviderConfig").json()["etag"] == {"supported": True}


def test_every_single_user_answer_carries_its_version_as_etag(scim: Scim) -> None:
    created = scim.post("/Users", json={"userName": "ann@example.com"})
    assert created.status_code == 201
    first = _etag_matches_meta(created)
    user_id = created.json()["id"]

    assert _etag_matches_meta(scim.get(f"/Users/{user_id}")) == first
    replaced = scim.put(f"/Users/{user_id}", json={"userName": "ann@example.com", "title": "Chef"})
    second = _etag_matches_meta(replaced)
    patched = scim.patch(
        f"/Users/{user_id}", json=_patch({"op": "replace", "path": "title", "value": "Cook"})
    )
    third = _etag_matches_meta(patched)
    assert len({first, second, third}) == 3
    # projected answers still carry it, in the header
    projected = scim.get(f"/Users/{user_id}", params={"attributes": "userName"})
    assert projected.headers["ETag"] == third and "meta" not in projected.json()


def test_every_single_group_answer_carries_its_version_as_etag(scim: Scim) -> None:
    created = scim.post("/Groups", json={"displayName": "Eng"})
    assert created.status_code == 201
    _etag_matches_meta(created)
    group_id = created.json()["id"]
    _etag_matches_meta(scim.get(f"/Groups/{group_id}"))
    replaced = scim.put(f"/Groups/{group_id}", json={"displayName": "Engineering"})
    before = _etag_matches_meta(replaced)

    # Okta's PATCH answers 204: no body, but the new version in the ETag header
    patched = scim.patch(
        f"/Groups/{group_id}",
        json=_patch({"op": "replace", "value": {"id": group_id, "displayName": "Eng"}}),
    )
    assert patched.status_code == 204 and patched.headers["ETag"] != before
    assert scim.get(f"/Groups/{group_id}").headers["ETag"] == patched.headers["ETag"]
    # and that version is the one the next If-Match must name
    again = scim.patch(
        f"/Groups/{group_id}",
        json=_patch({"op": "replace", "path": "displayName", "value": "Eng 2"}),
        headers={"If-Match": patched.headers["ETag"]},
    )
    assert again.status_code == 204, again.text


def test_a_put_that_changes_nothing_keeps_the_version(scim: Scim) -> None:
    user = scim.create_user("ann@example.com", title="Chef")
    same = {k: v for k, v in user.items() if k not in ("id", "meta")}
    response = scim.put(f"/Users/{user['id']}", json=same)
    assert response.status_code == 200
    assert response.headers["ETag"] == user["meta"]["version"]


@pytest.mark.parametrize(
    "if_match",
    ["{current}", "*", '"{number}"', 'W/"999", {current}', '{current},W/"1000"'],
)
def test_if_match_naming_the_current_version_lets_writes_through(scim: Scim, if_match: str) -> None:
    user = scim.create_user("ann@example.com")
    current = user["meta"]["version"]
    header = if_match.format(current=current, number=current[3:-1])
    response = scim.patch(
        f"/Users/{user['id']}",
        json=_patch({"op": "replace", "path": "title", "value": "Chef"}),
        headers={"If-Match": header},
    )
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Chef"


@pytest.mark.parametrize("if_match", ['W/"999"', 'W/"998", W/"999"', "not-an-etag", '"abc"'])
def test_if_match_naming_another_version_refuses_every_write_with_412(
    scim: Scim, if_match: str
) -> None:
    user = scim.create_user("ann@example.com", title="Chef")
    group = scim.create_group("Eng")
    headers = {"If-Match": if_match}

    assert_scim_error(
        scim.put(f"/Users/{user['id']}", json={"userName": "ann@example.com"}, headers=headers), 412
    )
    assert_scim_error(
        scim.patch(
            f"/Users/{user['id']}",
            json=_patch({"op": "replace", "path": "title", "value": "X"}),
            headers=headers,
        ),
        412,
    )
    assert_scim_error(scim.delete(f"/Users/{user['id']}", headers=headers), 412)
    assert_scim_error(
        scim.put(f"/Groups/{group['id']}", json={"displayName": "Ops"}, headers=headers), 412
    )
    assert_scim_error(
        scim.patch(
            f"/Groups/{group['id']}",
            json=_patch({"op": "replace", "path": "displayName", "value": "Ops"}),
            headers=headers,
        ),
        412,
    )
    assert_scim_error(scim.delete(f"/Groups/{group['id']}", headers=headers), 412)

    # nothing changed
    assert scim.get(f"/Users/{user['id']}").json()["title"] == "Chef"
    assert scim.get(f"/Users/{user['id']}").headers["ETag"] == user["meta"]["version"]
    assert scim.get(f"/Groups/{group['id']}").json()["displayName"] == "Eng"
    assert scim.get(f"/Groups/{group['id']}").headers["ETag"] == group["meta"]["version"]


def test_the_second_of_two_writes_from_the_same_version_gets_412(scim: Scim) -> None:
    group = scim.create_group("Eng")
    version = group["meta"]["version"]
    body = _patch({"op": "replace", "path": "displayName", "value": "Ops"})
    assert (
        scim.patch(f"/Groups/{group['id']}", json=body, headers={"If-Match": version}).status_code
        == 204
    )
    assert_scim_error(
        scim.patch(f"/Groups/{group['id']}", json=body, headers={"If-Match": version}), 412
    )


def test_if_match_on_an_unknown_id_is_still_404(scim: Scim) -> None:
    response = scim.put(
        "/Users/00919288221112222", json={"userName": "a@example.com"}, headers={"If-Match": "*"}
    )
    assert response.status_code == 404


def test_get_with_if_none_match_of_the_current_version_answers_304(scim: Scim) -> None:
    user = scim.create_user("ann@example.com")
    group = scim.create_group("Eng")
    for path, version in (
        (f"/Users/{user['id']}", user["meta"]["version"]),
        (f"/Groups/{group['id']}", group["meta"]["version"]),
    ):
        for header in (version, "*", f'W/"999", {version}', version.removeprefix("W/")):
            response = scim.get(path, headers={"If-None-Match": header})
            assert response.status_code == 304, (path, header, response.text)
            assert response.headers["ETag"] == version and response.content == b""
        stale = scim.get(path, headers={"If-None-Match": 'W/"999"'})
        assert stale.status_code == 200 and stale.headers["ETag"] == version


def test_get_with_if_match_of_another_version_answers_412(scim: Scim) -> None:
    user = scim.create_user("ann@example.com")
    assert_scim_error(scim.get(f"/Users/{user['id']}", headers={"If-Match": 'W/"999"'}), 412)
    assert (
        scim.get(f"/Users/{user['id']}", headers={"If-Match": user["meta"]["version"]}).status_code
        == 200
    )


def test_if_none_match_star_refuses_to_overwrite_an_existing_resource(scim: Scim) -> None:
    user = scim.create_user("ann@example.com", title="Chef")
    group = scim.create_group("Eng")
    star = {"If-None-Match": "*"}

    assert_scim_error(
        scim.put(f"/Users/{user['id']}", json={"userName": "ann@example.com"}, headers=star), 412
    )
    assert_scim_error(
        scim.patch(
            f"/Users/{user['id']}",
            json=_patch({"op": "replace", "path": "title", "value": "X"}),
            headers=star,
        ),
        412,
    )
    assert_scim_error(
        scim.put(f"/Groups/{group['id']}", json={"displayName": "Ops"}, headers=star), 412
    )
    assert_scim_error(
        scim.patch(
            f"/Groups/{group['id']}",
            json=_patch({"op": "replace", "path": "displayName", "value": "Ops"}),
            headers=star,
        ),
        412,
    )
    assert_scim_error(scim.delete(f"/Users/{user['id']}", headers=star), 412)
    assert scim.get(f"/Users/{user['id']}").json()["title"] == "Chef"
    assert scim.get(f"/Groups/{group['id']}").json()["displayName"] == "Eng"

    # naming the current version refuses too; naming an old one does not
    current = {"If-None-Match": user["meta"]["version"]}
    assert_scim_error(
        scim.put(f"/Users/{user['id']}", json={"userName": "ann@example.com"}, headers=current), 412
    )
    old = scim.put(
        f"/Users/{user['id']}",
        json={"userName": "ann@example.com"},
        headers={"If-None-Match": 'W/"999"'},
    )
    assert old.status_code == 200, old.text


def test_writes_are_refused_as_412_in_the_activity_log(scim: Scim, db: Any) -> None:
    from enlist.services import activity

    user = scim.create_user("ann@example.com")
    scim.put(
        f"/Users/{user['id']}",
        json={"userName": "ann@example.com"},
        headers={"If-Match": 'W/"999"'},
    )
    _, newest = next(iter(activity.newest(db, scim.tenant.account_id, limit=1)))
    assert newest.status == 412 and newest.outcome == "refused"
