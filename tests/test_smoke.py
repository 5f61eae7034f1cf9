"""The first minute of a new tenant: credentials test, push a user, find them again."""


def test_okta_test_credentials_answers_an_empty_list(scim):
    response = scim.get("/Users", params={"startIndex": 1, "count": 2})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/scim+json")
    body = response.json()
    assert body["totalResults"] == 0
    assert body["Resources"] == []


def test_pushed_user_is_found_by_case_insensitive_lookup(scim):
    created = scim.create_user("Jane.Doe@example.com")
    found = scim.get("/Users", params={"filter": 'userName eq "jane.doe@EXAMPLE.com"'}).json()
    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == created["id"]
    assert found["Resources"][0]["userName"] == "Jane.Doe@example.com"
    assert created["meta"]["location"] == f"http://enlist.test/scim/v2/Users/{created['id']}"
