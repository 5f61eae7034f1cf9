"""People sign in through their identity provider: SP- and IdP-initiated, and every way a
sign-in is refused, with no session and the reason in the activity log."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from enlist.services import activity
from enlist.store.db import Database
from tests.openid_provider import ENLIST_CLIENT, JANE, SAM, Account, OpenIdProvider
from tests.signin.conftest import Person, SsoTenant


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
