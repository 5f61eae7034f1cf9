"""Fixtures for signing people in: the default tenant with single sign-on through the test
OpenID Provider, Jane and Sam provisioned by SCIM, and a browser that walks the whole flow."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from enlist.config import Settings
from enlist.domain.signin import SsoSettings
from enlist.services import signin, tenancy
from enlist.store.db import Database
from tests.conftest import Scim, TenantSetup
from tests.openid_provider import ENLIST_CLIENT, JANE, SAM, Account, OpenIdProvider
from tests.openid_provider import sign_in_at_provider as walk_provider

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def provision(scim: Scim, account: Account, **extra: Any) -> dict[str, Any]:
    """What Okta pushes for the person before they can sign in."""
    fields: dict[str, Any] = {"displayName": account.name}
    if account.locale:
        fields["locale"] = account.locale
    if account.zoneinfo:
        fields["timezone"] = account.zoneinfo
    return scim.create_user(account.email, **{**fields, **extra})


@dataclass
class SsoTenant:
    tenant: TenantSetup
    sso: SsoSettings
    jane: dict[str, Any]
    sam: dict[str, Any]


@pytest.fixture
def sso_tenant(
    db: Database, settings: Settings, scim: Scim, openid_provider: OpenIdProvider
) -> SsoTenant:
    domain = tenancy.domain_for(db, scim.tenant.domain, scim.tenant.account_id)
    sso = signin.configure_sso(
        db,
        domain,
        openid_provider.issuer,
        ENLIST_CLIENT.client_id,
        ENLIST_CLIENT.client_secret,
        secret_key=settings.secret_key,
    )
    return SsoTenant(scim.tenant, sso, provision(scim, JANE), provision(scim, SAM))


class Person:
    """A person's browser on Enlist (a TestClient that never follows redirects by itself),
    and at the provider (sign_in_at_provider)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def start(self, email: str) -> Any:
        """Type the email on /login; the answer is the redirect to the provider (or a page)."""
        token = csrf_of(self.client.get("/login").text)
        return self.client.post(
            "/login", data={"email": email, "csrf_token": token}, follow_redirects=False
        )

    def at_provider(self, authorization_url: str, sub: str | None) -> str:
        """The provider's login page, then the callback URL it sends the browser to."""
        return walk_provider(authorization_url, sub)

    def back(self, callback_url: str) -> Any:
        parts = urlsplit(callback_url)
        return self.client.get(f"{parts.path}?{parts.query}", follow_redirects=False)

    def sign_in(self, account: Account = JANE) -> Any:
        started = self.start(account.email)
        assert started.status_code == 303, started.text
        return self.back(self.at_provider(started.headers["location"], account.sub))

    def me(self) -> Any:
        return self.client.get("/me", follow_redirects=False)

    def signed_out(self) -> bool:
        """Whether /me sends this browser to the sign-in page."""
        answer = self.me()
        return answer.status_code == 303 and answer.headers["location"].startswith("/login")


@pytest.fixture
def person(client: TestClient) -> Person:
    return Person(client)


@pytest.fixture
def client_factory(app: Any) -> Any:
    """Another browser on the same app (its own cookies)."""
    return lambda: TestClient(app, base_url="http://enlist.test")
