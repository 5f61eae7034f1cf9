"""Values longer than Enlist keeps are refused with 400 on every backend, never a 500."""

import pytest


@pytest.mark.parametrize(
    "body, attribute",
    [
        ({"title": "t" * 201}, "title"),
        ({"displayName": "d" * 301}, "displayName"),
        ({"name": {"givenName": "g" * 201}}, "name.givenName"),
        ({"externalId": "x" * 256}, "externalId"),
        ({"locale": "l" * 51}, "locale"),
    ],
)
def test_an_over_long_user_attribute_is_refused_plainly(scim, body, attribute):
    response = scim.post("/Users", json={"userName": "long@example.com", **body})
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert attribute in response.json()["detail"]
    assert scim.get("/Users").json()["totalResults"] == 0


def test_an_over_long_email_or_user_name_is_refused(scim):
    long_address = "a" * 320 + "@example.com"
    response = scim.post("/Users", json={"userName": long_address})
    assert response.status_code == 400


def test_an_over_long_group_name_is_refused_on_create_and_rename(scim):
    assert scim.post("/Groups", json={"displayName": "g" * 301}).status_code == 400
    group = scim.create_group("Eng")
    renamed = scim.patch(
        f"/Groups/{group['id']}",
        json={"Operations": [{"op": "replace", "path": "displayName", "value": "g" * 301}]},
    )
    assert renamed.status_code == 400
    assert scim.get(f"/Groups/{group['id']}").json()["displayName"] == "Eng"
