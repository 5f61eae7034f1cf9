"""The domain page's Single sign-on (OIDC) section: Issuer, Client ID, a write-only Client
secret, Check, Turn off, and what to paste into the identity provider."""

from __future__ import annotations

from typing import Any

import pytest

from enlist.services import signin, tenancy
from enlist.store.db import Database
from tests.admin.conftest import AdminAccount, Browser
from tests.openid_provider import ENLIST_CLIENT, OpenIdProvider

SECRET = "a-client-secret-never-shown-again"


@pytest.fixture
def acme_domain(signed_in: Browser, admin: AdminAccount, db: Database) -> str:
    """A verified domain of the signed-in admin's account; its page's path."""
    domain = tenancy.add_domain(db, admin.account_id, "acme.test", verified=True)
    return f"/domains/{domain.id}"


def _sso_form(issuer: str, client_id: str, secret: str = "") -> dict[str, str]:
    return {"sso_issuer": issuer, "sso_client_id": client_id, "sso_client_secret": secret}


def test_the_admin_sets_up_sso_and_the_secret_is_never_shown_again(
    signed_in: Browser, acme_domain: str, openid_provider: OpenIdProvider
) -> None:
    page = signed_in.get(acme_domain).text
    assert "Single sign-on (OIDC)" in page
    assert (
        "Sign-in redirect URIs" in page and 'value="http://enlist.test/oidc/authenticate"' in page
    )
    assert 'value="http://enlist.test/login/sso"' in page and "Initiate login URI" in page
    assert 'value="http://enlist.test/login"' in page and "Sign-out redirect URIs" in page

    saved = signed_in.submit(
        acme_domain,
        acme_domain,
        _sso_form(openid_provider.issuer, ENLIST_CLIENT.client_id, ENLIST_CLIENT.client_secret),
    )

    assert saved.status_code == 200
    assert f"signs people in through {openid_provider.issuer}" in saved.text
    assert ENLIST_CLIENT.client_secret not in saved.text
    assert f'value="{ENLIST_CLIENT.client_id}"' in saved.text
    assert "type a new one to replace it" in saved.text
    assert 'value="http://enlist.test/login/sso"' in saved.text  # Okta adds iss itself
    activity = signed_in.get("/activity").text
    assert "Set up single sign-on for acme.test" in activity
    assert ENLIST_CLIENT.client_secret not in activity


def test_saving_without_a_new_secret_keeps_the_stored_one(
    signed_in: Browser, acme_domain: str, db: Database, openid_provider: OpenIdProvider
) -> None:
    signed_in.submit(
        acme_domain, acme_domain, _sso_form("https://old.example", "old-client", SECRET)
    )

    signed_in.submit(acme_domain, acme_domain, _sso_form(openid_provider.issuer, "new-client"))

    client = signin.sso_client(db, acme_domain.rsplit("/", 1)[1], "")
    assert (client.issuer, client.client_id, client.client_secret) == (
        openid_provider.issuer,
        "new-client",
        SECRET,
    )


def test_check_reads_the_discovery_document_and_keys(
    signed_in: Browser, acme_domain: str, openid_provider: OpenIdProvider
) -> None:
    checked = signed_in.submit(
        acme_domain, f"{acme_domain}/sso/check", _sso_form(openid_provider.issuer, "")
    )

    assert checked.status_code == 200
    assert "Check passed" in checked.text and "authorization code flow" in checked.text


@pytest.mark.parametrize(
    ("issuer", "words"),
    [
        ("http://127.0.0.1:9", "Could not reach"),
        ("http://127.0.0.1:{port}/oidc", "answered HTTP 404"),
        ("http://localhost:{port}", "names the issuer"),
        ("ftp://acme.test", "must start with https://"),
    ],
)
def test_check_says_plainly_what_is_wrong(
    signed_in: Browser,
    acme_domain: str,
    openid_provider: OpenIdProvider,
    issuer: str,
    words: str,
) -> None:
    typed = issuer.format(port=openid_provider.port)

    checked = signed_in.submit(acme_domain, f"{acme_domain}/sso/check", _sso_form(typed, ""))

    assert "Check failed" in checked.text and words in checked.text, checked.text


def test_the_admin_turns_sso_off(
    signed_in: Browser, acme_domain: str, db: Database, openid_provider: OpenIdProvider
) -> None:
    signed_in.submit(acme_domain, acme_domain, _sso_form(openid_provider.issuer, "c", SECRET))

    off = signed_in.submit(acme_domain, f"{acme_domain}/sso/off")

    assert "Single sign-on is off for acme.test" in off.text
    assert signin.sso_for_email(db, "jane@acme.test") is None


def test_another_accounts_domain_is_not_found(
    signed_in: Browser, make_admin: Any, db: Database
) -> None:
    other = make_admin("Other")
    domain = tenancy.add_domain(db, other.account_id, "other.test", verified=True)

    answer = signed_in.submit("/domains", f"/domains/{domain.id}/sso/off")

    assert answer.status_code == 404


def test_entra_s_home_page_url_carries_the_issuer(
    signed_in: Browser, acme_domain: str, admin: AdminAccount, db: Database
) -> None:
    tenancy.set_account_provider(db, admin.account_id, "entra")
    issuer = "https://login.microsoftonline.com/0b1c-tenant/v2.0"
    signed_in.submit(acme_domain, acme_domain, _sso_form(issuer, "app-id", SECRET))

    page = signed_in.get(acme_domain).text

    assert "Home page URL, under Branding &amp; properties" in page
    assert (
        'value="http://enlist.test/login/sso?iss=https%3A%2F%2Flogin.microsoftonline.com'
        '%2F0b1c-tenant%2Fv2.0"'
    ) in page
    assert "Application (client) ID" in page
