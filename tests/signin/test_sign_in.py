"""People sign in through their identity provider: SP- and IdP-initiated, and every way a
sign-in is refused, with no session and the reason in the activity log."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from enlist.config import Settings
from enlist.services import activity, signin, tenancy
from enlist.store.db import Database
from enlist.store.tables import calendars
from tests.conftest import Scim
from tests.openid_provider import ENLIST_CLIENT, JANE, SAM, Account, OpenIdProvider, Tampering
from tests.signin.conftest import Person, SsoTenant, provision


def test_jane_signs_in_from_the_login_page_and_sees_her_page(
    person: Person, sso_tenant: SsoTenant, openid_provider: OpenIdProvider
) -> None:
    started = person.start("Jane@Example.com")

    assert started.status_code == 303
    request = urlsplit(started.headers["location"])
    query = {k: v[0] for k, v in parse_qs(request.query).items()}
    assert f"{request.scheme}://{request.netloc}" == openid_provider.issuer
    assert query["client_id"] == ENLIST_CLIENT.client_id
    assert query["redirect_uri"] == "http://enlist.test/oidc/authenticate"
    assert query["scope"] == "openid email profile"
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    assert query["state"] and query["nonce"] and query["login_hint"] == "Jane@Example.com"
    arrived = person.back(person.at_provider(started.headers["location"], JANE.sub))
    assert arrived.status_code == 303 and arrived.headers["location"] == "/me"
    page = person.me()
    assert page.status_code == 200
    assert "Jane Doe" in page.text and "jane@example.com" in page.text
    assert "Europe/Berlin" in page.text and "de-DE" in page.text


def _refusals(db: Database, account_id: str) -> list[str]:
    return [
        entry.detail
        for _, entry in activity.newest(db, account_id, outcome="refused")
        if entry.action == "person.sign_in"
    ]


def test_okta_tile_signs_jane_in_and_follows_a_path_of_this_site_only(
    person: Person, sso_tenant: SsoTenant, openid_provider: OpenIdProvider
) -> None:
    started = person.client.get(
        "/login/sso",
        params={"iss": openid_provider.issuer, "target_link_uri": "/me?tab=calendars"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    assert started.headers["location"].startswith(openid_provider.issuer)
    arrived = person.back(person.at_provider(started.headers["location"], JANE.sub))
    assert arrived.headers["location"] == "/me?tab=calendars"

    for elsewhere in ("https://evil.example/", "//evil.example/me", "/\\evil.example"):
        started = person.client.get(
            "/login/sso",
            params={"iss": openid_provider.issuer, "target_link_uri": elsewhere},
            follow_redirects=False,
        )
        arrived = person.back(person.at_provider(started.headers["location"], JANE.sub))
        assert arrived.status_code == 303 and arrived.headers["location"] == "/me", elsewhere


def test_an_unknown_issuer_at_the_initiate_login_uri_is_refused(
    person: Person, sso_tenant: SsoTenant
) -> None:
    answer = person.client.get(
        "/login/sso", params={"iss": "https://impostor.example"}, follow_redirects=False
    )
    assert answer.status_code == 400
    assert "no organisation here uses" in answer.text


def test_an_email_without_single_sign_on_goes_to_the_password_sign_in(
    person: Person, sso_tenant: SsoTenant
) -> None:
    answer = person.start("it-admin@elsewhere.test")

    assert answer.status_code == 200
    assert 'action="/sign-in"' in answer.text and 'type="password"' in answer.text
    assert 'value="it-admin@elsewhere.test"' in answer.text
    assert "Sign in with a password" in person.client.get("/login").text


def test_a_callback_with_another_state_is_refused_without_a_session(
    person: Person, sso_tenant: SsoTenant, db: Database
) -> None:
    started = person.start(JANE.email)
    callback = person.at_provider(started.headers["location"], JANE.sub)
    state = parse_qs(urlsplit(callback).query)["state"][0]

    answer = person.back(callback.replace(f"state={state}", "state=forged"))

    assert answer.status_code == 403
    assert "started in another browser" in answer.text
    assert person.signed_out()
    assert any("state" in detail for detail in _refusals(db, sso_tenant.tenant.account_id))


def test_a_callback_in_a_browser_that_started_no_sign_in_is_refused(
    person: Person, sso_tenant: SsoTenant, client_factory: Any
) -> None:
    started = person.start(JANE.email)
    callback = person.at_provider(started.headers["location"], JANE.sub)

    with client_factory() as other_browser:
        answer = Person(other_browser).back(callback)
        assert answer.status_code == 403
        assert Person(other_browser).signed_out()


def test_a_replayed_code_is_refused_without_a_session(
    person: Person, sso_tenant: SsoTenant, db: Database
) -> None:
    started = person.start(JANE.email)
    pending = person.client.cookies.get("enlist_oidc")
    callback = person.at_provider(started.headers["location"], JANE.sub)
    assert person.back(callback).status_code == 303
    person.client.post("/logout", data={"csrf_token": _csrf(person)})
    assert person.signed_out()

    person.client.cookies.set("enlist_oidc", pending, domain="enlist.test", path="/oidc")
    answer = person.back(callback)

    assert answer.status_code == 403
    assert person.signed_out()
    assert any("invalid_grant" in detail for detail in _refusals(db, sso_tenant.tenant.account_id))


def _csrf(person: Person) -> str:
    from tests.signin.conftest import csrf_of

    return csrf_of(person.me().text)


@pytest.mark.parametrize("tampering", list(Tampering))
def test_a_tampered_id_token_is_refused_without_a_session(
    person: Person,
    sso_tenant: SsoTenant,
    openid_provider: OpenIdProvider,
    db: Database,
    tampering: Tampering,
) -> None:
    openid_provider.tamper_next_id_token(tampering)

    answer = person.sign_in(JANE)

    assert answer.status_code == 403, tampering
    assert "could not be trusted" in answer.text
    assert person.signed_out()
    assert _refusals(db, sso_tenant.tenant.account_id)
    assert person.sign_in(JANE).status_code == 303  # the next, genuine token is fine


def test_a_rotated_key_is_fetched_once_and_sign_in_goes_on(
    person: Person, sso_tenant: SsoTenant, openid_provider: OpenIdProvider
) -> None:
    assert person.sign_in(JANE).status_code == 303  # the keys are cached now
    openid_provider.rotate_keys(keep_previous=False)

    assert person.sign_in(SAM).status_code == 303
    assert "Sam Lee" in person.me().text


def test_a_sub_that_moved_to_another_email_is_refused(
    person: Person, sso_tenant: SsoTenant, openid_provider: OpenIdProvider, db: Database
) -> None:
    assert person.sign_in(JANE).status_code == 303  # links 00u-jane to jane@example.com
    person.client.post("/logout", data={"csrf_token": _csrf(person)})
    openid_provider.set_account(Account(JANE.sub, SAM.email, "Jane Doe"))

    answer = person.sign_in(JANE)

    assert answer.status_code == 403
    assert "another email" in answer.text
    assert person.signed_out()
    assert any("now has the email" in d for d in _refusals(db, sso_tenant.tenant.account_id))


def test_a_person_the_provider_never_provisioned_is_told_to_ask_for_the_app(
    person: Person, sso_tenant: SsoTenant, openid_provider: OpenIdProvider
) -> None:
    kim = Account("00u-kim", "kim@example.com", "Kim Park")
    openid_provider.set_account(kim)

    answer = person.sign_in(kim)

    assert answer.status_code == 403
    assert "has not given you access to the calendar yet" in answer.text
    assert person.signed_out()


def test_a_deactivated_person_is_refused(
    person: Person, sso_tenant: SsoTenant, scim: Scim, db: Database
) -> None:
    deactivate = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    assert scim.patch(f"/Users/{sso_tenant.jane['id']}", json=deactivate).status_code == 200

    answer = person.sign_in(JANE)

    assert answer.status_code == 403
    assert "deactivated by your organisation" in answer.text
    assert person.signed_out()
    assert any("is deactivated" in d for d in _refusals(db, sso_tenant.tenant.account_id))


def test_a_person_the_provider_deleted_is_refused(
    person: Person, sso_tenant: SsoTenant, scim: Scim
) -> None:
    assert scim.delete(f"/Users/{sso_tenant.jane['id']}").status_code == 204

    answer = person.sign_in(JANE)

    assert answer.status_code == 403
    assert "removed by your organisation" in answer.text
    assert person.signed_out()


def test_no_enterprise_calendar_means_no_sign_in(
    person: Person, sso_tenant: SsoTenant, db: Database
) -> None:
    with db.write() as conn:
        conn.execute(update(calendars).values(plan="business"))

    answer = person.sign_in(JANE)

    assert answer.status_code == 403
    assert "plan does not include single sign-on" in answer.text
    assert person.signed_out()


def test_the_sign_in_is_in_the_activity_log(
    person: Person, sso_tenant: SsoTenant, db: Database
) -> None:
    person.sign_in(JANE)

    entries = [e for _, e in activity.newest(db, sso_tenant.tenant.account_id)]
    signed_in = [e for e in entries if e.action == "person.sign_in" and e.outcome == "success"]
    assert signed_in and signed_in[0].actor == sso_tenant.jane["id"]
    assert "jane@example.com signed in" in signed_in[0].detail


def test_nul_characters_are_refused_with_a_4xx(
    person: Person, sso_tenant: SsoTenant, openid_provider: OpenIdProvider
) -> None:
    tile = person.client.get(
        "/login/sso", params={"iss": openid_provider.issuer + "\x00"}, follow_redirects=False
    )
    typed = person.start("jane\x00@example.com")

    assert tile.status_code == 400
    assert typed.status_code == 400 and "Enter your work email" in typed.text


def test_one_okta_app_for_two_domains_signs_in_people_of_either_from_the_tile(
    person: Person,
    sso_tenant: SsoTenant,
    openid_provider: OpenIdProvider,
    scim: Scim,
    db: Database,
    settings: Settings,
) -> None:
    second = tenancy.add_domain(db, sso_tenant.tenant.account_id, "example.org", verified=True)
    signin.configure_sso(
        db,
        second,
        openid_provider.issuer,
        ENLIST_CLIENT.client_id,
        ENLIST_CLIENT.client_secret,
        secret_key=settings.secret_key,
    )
    kim = Account("00u-kim", "kim@example.org", "Kim Park")
    openid_provider.set_account(kim)
    provision(scim, kim)

    started = person.client.get(
        "/login/sso", params={"iss": openid_provider.issuer}, follow_redirects=False
    )
    arrived = person.back(person.at_provider(started.headers["location"], kim.sub))

    assert arrived.status_code == 303 and arrived.headers["location"] == "/me"
    assert "Kim Park" in person.me().text
    signin.turn_off_sso(db, second)
    assert person.signed_out()  # her session went through example.org
