"""The API keys page: the calendar application's key created (shown once), used, revoked."""

from __future__ import annotations

import re

from enlist.services import activity, apikeys

_KEY = re.compile(r'id="api-key"[^>]*value="(enl_api_[^"]+)"')


def test_a_new_key_is_shown_once_and_works_on_the_access_api(signed_in, admin, db):
    page = signed_in.submit("/api-keys", "/api-keys", {"name": "Calendar production"})
    assert page.status_code == 200 and page.history[0].status_code == 303
    found = _KEY.search(page.text)
    assert found and "only time the key is shown" in page.text
    key = found.group(1)
    again = signed_in.get("/api-keys")  # a reload shows it no more and creates nothing
    assert key not in again.text and _KEY.search(again.text) is None
    assert "Calendar production" in again.text and "Active" in again.text
    assert len(apikeys.api_keys(db, admin.account_id)) == 1
    answer = signed_in.client.get("/api/v1/account", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200 and answer.json()["id"] == admin.account_id


def test_revoking_a_key_on_the_page_ends_its_calls_and_is_logged(signed_in, admin, db):
    page = signed_in.submit("/api-keys", "/api-keys", {"name": "Old calendar"})
    key = _KEY.search(page.text).group(1)  # type: ignore[union-attr]
    (listed,) = apikeys.api_keys(db, admin.account_id)
    revoked = signed_in.submit("/api-keys", f"/api-keys/{listed.id}/revoke", {})
    assert "Revoked the API key Old calendar" in revoked.text and "Revoked" in revoked.text
    answer = signed_in.client.get("/api/v1/account", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 401
    actions = [(e.action, e.actor) for _, e in activity.newest(db, admin.account_id)]
    assert ("apikey.revoke", admin.email) in actions and ("apikey.create", admin.email) in actions


def test_another_accounts_key_cannot_be_revoked_from_this_account(
    signed_in, admin, make_admin, db, admin_settings
):
    other = make_admin("Globex")
    theirs = apikeys.create_api_key(
        db, other.account_id, "Globex calendar", secret_key=admin_settings.secret_key
    )
    page = signed_in.submit("/api-keys", f"/api-keys/{theirs.id}/revoke", {})
    assert page.status_code == 404
    (still,) = apikeys.api_keys(db, other.account_id)
    assert still.revoked_at is None
    assert "Globex calendar" not in signed_in.get("/api-keys").text


def test_a_name_too_long_is_refused_in_words(signed_in, admin, db):
    page = signed_in.submit("/api-keys", "/api-keys", {"name": "x" * 201})
    assert page.status_code == 400
    assert "The key was not created" in page.text and "at most 200 characters" in page.text
    assert apikeys.api_keys(db, admin.account_id) == []


def test_the_page_needs_a_signed_in_admin(browser):
    answer = browser.client.get("/api-keys", follow_redirects=False)
    assert answer.status_code == 303 and "/sign-in" in answer.headers["location"]
