"""Admins whose email is on a domain with single sign-on sign in through it; the owner keeps
the password as the way in when the identity provider is down."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from enlist.services import activity, admins, tenancy
from enlist.store.db import Database
from tests.openid_provider import JANE, SAM, Account
from tests.signin.conftest import Person, SsoTenant, csrf_of

PASSWORD = "jane's long admin password"


def _make_admin(db: Database, sso_tenant: SsoTenant, email: str = JANE.email) -> None:
    link = admins.invite(db, sso_tenant.tenant.account_id, email, "admin")
    admins.use_link(db, link.token, PASSWORD)


def _sso_for_admin_pages(person: Person, account: Account) -> Any:
    """The admin sign-in page's *Sign in with single sign-on*: /login with next=/."""
    page = person.client.get("/login?next=/")
    started = person.client.post(
        "/login",
        data={"email": account.email, "next": "/", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    return person.back(person.at_provider(started.headers["location"], account.sub))


def _password(client: TestClient, email: str, password: str) -> Any:
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


def test_an_admin_signs_in_to_the_admin_pages_through_single_sign_on(
    sso_tenant: SsoTenant, person: Person, db: Database
) -> None:
    _make_admin(db, sso_tenant)
    landed = _sso_for_admin_pages(person, JANE)
    assert landed.status_code == 303 and landed.headers["location"] == "/"
    overview = person.client.get("/", follow_redirects=False)
    assert overview.status_code == 200 and JANE.email in overview.text
    entry = next(
        e
        for _, e in activity.newest(db, sso_tenant.tenant.account_id, limit=10)
        if e.action == "admin.sign_in"
    )
    assert entry.actor == JANE.email and "single sign-on" in entry.detail


def test_someone_who_is_no_admin_gets_no_admin_session(
    sso_tenant: SsoTenant, person: Person
) -> None:
    refused = _sso_for_admin_pages(person, SAM)
    assert refused.status_code == 403
    assert "you are not an admin of this account" in refused.text
    assert person.client.get("/", follow_redirects=False).status_code == 303


def test_an_admin_on_a_single_sign_on_domain_cannot_use_a_password(
    sso_tenant: SsoTenant, client: TestClient, db: Database
) -> None:
    _make_admin(db, sso_tenant)
    refused = _password(client, JANE.email, PASSWORD)
    assert refused.status_code == 400
    assert "signs in with single sign-on" in refused.text.replace("&#39;", "'")
    assert "enlist_session" not in client.cookies
    wrong = _password(client, JANE.email, "not the password at all")
    assert "The email or password is not right." in wrong.text, "says nothing more to guessers"


def test_the_owner_keeps_the_password_as_break_glass(
    sso_tenant: SsoTenant, client: TestClient, db: Database
) -> None:
    owner = tenancy.account_of(db, sso_tenant.tenant.account_id).email
    tenancy.set_password(db, sso_tenant.tenant.account_id, PASSWORD)
    assert owner.endswith("@example.com"), "the owner's email is on the single sign-on domain"
    signed_in = _password(client, owner, PASSWORD)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    assert client.get("/", follow_redirects=False).status_code == 200


def test_a_person_signing_in_to_the_calendar_is_not_made_an_admin(
    sso_tenant: SsoTenant, person: Person, db: Database
) -> None:
    _make_admin(db, sso_tenant)
    landed = person.sign_in(JANE)
    assert landed.status_code == 303 and landed.headers["location"] == "/me"
    assert person.client.get("/", follow_redirects=False).status_code == 303
