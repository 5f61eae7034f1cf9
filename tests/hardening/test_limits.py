"""The limits are enforced with plain SCIM errors, and the page limit is advertised."""

from enlist.app import create_app
from enlist.config import Settings


def test_the_page_limit_is_advertised_where_rfc_7643_has_room_for_it(scim):
    # ServiceProviderConfig has standard places only for the page size; an extra
    # attribute there fails strict validators (scim2-tester), so the other limits
    # are documented in the README instead.
    config = scim.get("/ServiceProviderConfig").json()
    assert config["filter"]["maxResults"] == config["pagination"]["maxPageSize"] == 1000


def test_deeply_nested_filters_are_refused_before_they_cost_anything(scim):
    nested = "not (" * 30 + 'userName eq "a@example.com"' + ")" * 30
    response = scim.get("/Users", params={"filter": nested})
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"
    assert "nests more than" in response.json()["detail"]
    shallow = "not (" * 5 + 'userName eq "a@example.com"' + ")" * 5
    assert scim.get("/Users", params={"filter": shallow}).status_code == 200


def test_too_long_filters_and_bodies_and_patches_are_refused(settings, db, make_tenant):
    from starlette.testclient import TestClient

    tight = Settings(
        database_url=settings.database_url,
        max_filter_length=50,
        max_body_bytes=2000,
        max_operations=2,
        max_members_per_request=3,
    )
    tenant = make_tenant()
    with TestClient(create_app(tight, db), base_url="http://enlist.test") as client:

        def call(method, path, **kw):
            return client.request(method, "/scim/v2" + path, headers=tenant.headers, **kw)

        assert (
            call("GET", "/Users", params={"filter": 'userName eq "' + "a" * 60 + '"'}).status_code
            == 400
        )
        big = call("POST", "/Users", json={"userName": "a@example.com", "title": "x" * 3000})
        assert big.status_code == 413 and big.json()["status"] == "413"
        group = call("POST", "/Groups", json={"displayName": "Eng"}).json()["id"]
        ops = [{"op": "replace", "path": "displayName", "value": f"n{i}"} for i in range(3)]
        too_many = call("PATCH", f"/Groups/{group}", json={"Operations": ops})
        assert too_many.status_code == 400 and too_many.json()["scimType"] == "tooMany"
        members = [{"value": f"u{i}"} for i in range(4)]
        crowd = call(
            "PATCH",
            f"/Groups/{group}",
            json={"Operations": [{"op": "add", "path": "members", "value": members}]},
        )
        assert crowd.status_code == 400 and crowd.json()["scimType"] == "tooMany"
