"""Access ends at once: deactivation, deletion, SSO turned off, signing out and Okta's
Universal Logout end the person's sessions, announced as sessions.ended."""

from __future__ import annotations

import secrets
import time
from typing import Any

import pytest

from enlist.services import signin, tenancy
from enlist.store.db import Database
from enlist.store.events import EventStore
from tests.conftest import Scim
from tests.openid_provider import JANE, SAM, OpenIdProvider
from tests.signin.conftest import Person, SsoTenant, csrf_of

LOGOUT_URL = "http://enlist.test/oauth2/global-token-revocation"
DEACTIVATE = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "value": {"active": False}}],
}
REACTIVATE = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "value": {"active": True}}],
}


def _ended(db: Database, account_id: str) -> list[dict[str, Any]]:
    with db.read() as conn:
        events = EventStore(conn).after(account_id, 0, 1000)
    return [e.data for e in events if e.type == "sessions.ended"]


@pytest.fixture
def jane_signed_in(person: Person, sso_tenant: SsoTenant) -> Person:
    assert person.sign_in(JANE).status_code == 303
    assert person.me().status_code == 200
    return person


def test_jane_deactivated_by_okta_is_signed_out_on_her_next_request(
    jane_signed_in: Person, sso_tenant: SsoTenant, scim: Scim, db: Database
) -> None:
    assert scim.patch(f"/Users/{sso_tenant.jane['id']}", json=DEACTIVATE).status_code == 200

    assert jane_signed_in.signed_out()
    assert _ended(db, sso_tenant.tenant.account_id) == [
        {
            "id": sso_tenant.jane["id"],
            "userName": JANE.email,
            "reason": "deactivated",
            "sessions": 1,
        }
    ]


def test_reactivation_allows_signing_in_again_but_revives_no_session(
    jane_signed_in: Person, sso_tenant: SsoTenant, scim: Scim
) -> None:
    user = f"/Users/{sso_tenant.jane['id']}"
    scim.patch(user, json=DEACTIVATE)
    scim.patch(user, json=REACTIVATE)

    assert jane_signed_in.signed_out()
    assert jane_signed_in.sign_in(JANE).status_code == 303
    assert jane_signed_in.me().status_code == 200


def test_a_put_with_active_false_signs_out_too(
    jane_signed_in: Person, sso_tenant: SsoTenant, scim: Scim
) -> None:
    body = {**sso_tenant.jane, "active": False}
    assert scim.put(f"/Users/{sso_tenant.jane['id']}", json=body).status_code == 200

    assert jane_signed_in.signed_out()


def test_jane_deleted_by_the_provider_is_signed_out(
    jane_signed_in: Person, sso_tenant: SsoTenant, scim: Scim, db: Database
) -> None:
    assert scim.delete(f"/Users/{sso_tenant.jane['id']}").status_code == 204

    assert jane_signed_in.signed_out()
    assert [e["reason"] for e in _ended(db, sso_tenant.tenant.account_id)] == ["deleted"]


def test_an_update_that_keeps_jane_active_keeps_her_signed_in(
    jane_signed_in: Person, sso_tenant: SsoTenant, scim: Scim, db: Database
) -> None:
    rename = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"displayName": "Jane Q. Doe"}}],
    }
    assert scim.patch(f"/Users/{sso_tenant.jane['id']}", json=rename).status_code == 200

    assert "Jane Q. Doe" in jane_signed_in.me().text
    assert _ended(db, sso_tenant.tenant.account_id) == []


def test_turning_sso_off_signs_out_everyone_signed_in_through_it(
    jane_signed_in: Person,
    sso_tenant: SsoTenant,
    client_factory: Any,
    db: Database,
) -> None:
    with client_factory() as other:
        sam = Person(other)
        assert sam.sign_in(SAM).status_code == 303
        domain = tenancy.domain_for(db, sso_tenant.tenant.domain)

        assert signin.turn_off_sso(db, domain)

        assert jane_signed_in.signed_out() and sam.signed_out()
    ended = _ended(db, sso_tenant.tenant.account_id)
    assert sorted(e["userName"] for e in ended) == [JANE.email, SAM.email]
    assert {e["reason"] for e in ended} == {"sso_off"}
    assert jane_signed_in.start(JANE.email).status_code == 200  # the password form now


def test_sign_out_ends_the_session(
    jane_signed_in: Person, sso_tenant: SsoTenant, db: Database
) -> None:
    token = csrf_of(jane_signed_in.me().text)
    answer = jane_signed_in.client.post(
        "/logout", data={"csrf_token": token}, follow_redirects=False
    )

    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert jane_signed_in.signed_out()
    assert [e["reason"] for e in _ended(db, sso_tenant.tenant.account_id)] == ["signed_out"]


def test_sign_out_without_the_form_token_changes_nothing(jane_signed_in: Person) -> None:
    answer = jane_signed_in.client.post("/logout", data={"csrf_token": "forged"})

    assert answer.status_code == 403
    assert jane_signed_in.me().status_code == 200


def test_a_forged_session_cookie_is_signed_out(person: Person, sso_tenant: SsoTenant) -> None:
    person.client.cookies.set("enlist_person", "forged.value", domain="enlist.test")

    assert person.signed_out()


# Okta Universal Logout ------------------------------------------------------------------


def _logout_token(provider: OpenIdProvider, **claims: Any) -> str:
    now = int(time.time())
    return provider.sign(
        {
            "iss": provider.issuer,
            "aud": LOGOUT_URL,
            "jti": secrets.token_hex(8),
            "iat": now,
            "exp": now + 300,
            **claims,
        },
        {"typ": "global-token-revocation+jwt"},
    )


def _universal_logout(person: Person, token: str | None, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return person.client.post(
        "/oauth2/global-token-revocation", json=body, headers=headers, follow_redirects=False
    )


def test_okta_universal_logout_by_email_signs_jane_out(
    jane_signed_in: Person,
    sso_tenant: SsoTenant,
    openid_provider: OpenIdProvider,
    db: Database,
) -> None:
    answer = _universal_logout(
        jane_signed_in,
        _logout_token(openid_provider),
        {"sub_id": {"format": "email", "email": "JANE@example.com"}},
    )

    assert answer.status_code == 204
    assert jane_signed_in.signed_out()
    assert [e["reason"] for e in _ended(db, sso_tenant.tenant.account_id)] == ["universal_logout"]


def test_okta_universal_logout_by_iss_sub_signs_jane_out(
    jane_signed_in: Person, openid_provider: OpenIdProvider
) -> None:
    body = {"sub_id": {"format": "iss_sub", "iss": openid_provider.issuer, "sub": JANE.sub}}

    answer = _universal_logout(jane_signed_in, _logout_token(openid_provider), body)

    assert answer.status_code == 204
    assert jane_signed_in.signed_out()


def test_universal_logout_of_someone_never_signed_in_is_done(
    person: Person, sso_tenant: SsoTenant, openid_provider: OpenIdProvider
) -> None:
    body = {"sub_id": {"format": "email", "email": SAM.email}}

    assert _universal_logout(person, _logout_token(openid_provider), body).status_code == 204


def test_universal_logout_of_an_unknown_person_is_404(
    person: Person, sso_tenant: SsoTenant, openid_provider: OpenIdProvider
) -> None:
    token = _logout_token(openid_provider)
    for body in (
        {"sub_id": {"format": "email", "email": "nobody@example.com"}},
        {"sub_id": {"format": "email", "email": "jane@elsewhere.test"}},
        {"sub_id": {"format": "iss_sub", "iss": openid_provider.issuer, "sub": "00u-nobody"}},
    ):
        assert _universal_logout(person, token, body).status_code == 404, body


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"sub_id": {"format": "phone", "phone": "+15555550100"}},
        {"sub_id": {"format": "email"}},
        {"sub_id": {"format": "iss_sub", "sub": "00u-jane"}},
        "not an object",
    ],
)
def test_universal_logout_with_a_bad_body_is_400(
    jane_signed_in: Person, openid_provider: OpenIdProvider, body: Any
) -> None:
    assert (
        _universal_logout(jane_signed_in, _logout_token(openid_provider), body).status_code == 400
    )
    assert jane_signed_in.me().status_code == 200


def test_universal_logout_with_a_bad_or_missing_token_is_401(
    jane_signed_in: Person, openid_provider: OpenIdProvider
) -> None:
    body = {"sub_id": {"format": "email", "email": JANE.email}}
    now = int(time.time())
    for token in (
        None,
        "not-a-jwt",
        _logout_token(openid_provider, aud="https://elsewhere.example/revoke"),
        _logout_token(openid_provider, iat=now - 7200, exp=now - 3600),
        _logout_token(openid_provider, iss="https://impostor.example"),
    ):
        answer = _universal_logout(jane_signed_in, token, body)
        assert answer.status_code == 401, token
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert jane_signed_in.me().status_code == 200


def test_universal_logout_after_key_rotation_fetches_the_new_key(
    jane_signed_in: Person, openid_provider: OpenIdProvider
) -> None:
    openid_provider.rotate_keys(keep_previous=False)
    body = {"sub_id": {"format": "email", "email": JANE.email}}

    assert (
        _universal_logout(jane_signed_in, _logout_token(openid_provider), body).status_code == 204
    )
    assert jane_signed_in.signed_out()


def test_universal_logout_with_a_nul_character_is_a_4xx(
    jane_signed_in: Person, openid_provider: OpenIdProvider
) -> None:
    token = _logout_token(openid_provider)
    for body in (
        {"sub_id": {"format": "email", "email": "jane\x00@example.com"}},
        {"sub_id": {"format": "iss_sub", "iss": openid_provider.issuer, "sub": "00u\x00"}},
    ):
        assert _universal_logout(jane_signed_in, token, body).status_code == 400
    assert jane_signed_in.me().status_code == 200
