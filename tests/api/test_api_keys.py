"""The calendar application's API keys: shown once, only they open /api/v1, revoked at once."""

from __future__ import annotations

from typing import Any

import pytest

from enlist.services import apikeys
from enlist.services.unit import Actor


@pytest.fixture
def api_key(db, settings, tenant) -> Any:
    return apikeys.create_api_key(db, tenant.account_id, "Calendar", secret_key=settings.secret_key)


def _get(client: Any, path: str, key: str | None) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return client.get("/api/v1" + path, headers=headers)


def test_a_key_opens_the_api_for_its_own_account(client, tenant, api_key):
    answer = _get(client, "/account", api_key.key)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["id"] == tenant.account_id


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer enl_api_unknown", "Basic abc"])
def test_missing_or_unknown_keys_get_401_with_a_plain_reason(client, api_key, header):
    answer = client.get("/api/v1/account", headers={"Authorization": header} if header else {})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert set(answer.json()) == {"detail"} and answer.json()["detail"]


def test_a_scim_secret_is_not_an_api_key(client, tenant, api_key):
    assert _get(client, "/account", tenant.token).status_code == 401


def test_a_revoked_key_is_refused_at_once(client, db, tenant, api_key):
    apikeys.revoke_api_key(db, api_key.id, tenant.account_id, actor=Actor("admin", "it@x.com"))
    assert _get(client, "/account", api_key.key).status_code == 401
    (listed,) = apikeys.api_keys(db, tenant.account_id)
    assert listed.revoked_at is not None and listed.hint.startswith("enl_api_")
    assert api_key.key not in repr(listed)


def test_another_accounts_key_cannot_be_revoked_by_this_account(db, make_tenant, settings):
    mine, theirs = make_tenant("mine.example"), make_tenant("theirs.example")
    key = apikeys.create_api_key(db, theirs.account_id, secret_key=settings.secret_key)
    from enlist.domain.errors import NotFound

    with pytest.raises(NotFound):
        apikeys.revoke_api_key(db, key.id, mine.account_id)


def test_the_openapi_document_needs_no_key_and_names_its_paths_with_the_prefix(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/account" in document["paths"]


def test_unknown_api_paths_answer_json_404(client, api_key):
    answer = _get(client, "/nothing-here", api_key.key)
    assert answer.status_code == 404 and "detail" in answer.json()
