"""Single sign-on in a real browser (Chromium via Playwright) against `enlist serve` and the
test OpenID Provider: the admin sets up SSO on the domain page (Check, Save), Jane signs in
through the provider's login page and reads /me in her locale and time zone, then Okta
deactivates her by SCIM and her next request is signed out, and signing in again is refused.

Screenshots go to a temporary folder, or to ENLIST_SCREENSHOTS_DIR (the README's come from
`ENLIST_SCREENSHOTS_DIR=docs/screenshots`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.live import enlist, enlist_env, serving
from tests.e2e.test_admin_browser import chromium  # noqa: F401 - the shared browser fixture
from tests.openid_provider import JANE, OpenIdProvider, RegisteredClient

pytestmark = pytest.mark.live

ADMIN = "it-admin@example.com"
PASSWORD = "a long and private passphrase"
CLIENT_SECRET = "live-client-secret-5e2a"


@dataclass
class LiveSso:
    base_url: str
    secret: str  # the SCIM secret "Okta" provisions with
    client: RegisteredClient
    screenshots: Path


@pytest.fixture(scope="module")
def live_sso(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveSso]:
    workdir = tmp_path_factory.mktemp("signin-browser")
    shots = Path(os.environ.get("ENLIST_SCREENSHOTS_DIR") or workdir / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    env = enlist_env(f"sqlite:///{workdir / 'enlist.db'}")
    for name in ("ENLIST_PUBLIC_URL", "ENLIST_SESSION_KEY", "ENLIST_SECRET_KEY"):
        env.pop(name, None)
    account = enlist(
        env, "account", "create", "--name", "Example", "--email", ADMIN, "--password", PASSWORD
    )["id"]
    enlist(
        env, "calendar", "create", "--account", account, "--name", "Team", "--plan", "enterprise"
    )
    enlist(env, "domain", "add", "example.com", "--account", account, "--verified")
    secret = enlist(env, "secret", "create", "example.com")["secret"]
    with serving(env) as base_url:
        client = RegisteredClient("enlist-live", CLIENT_SECRET, (f"{base_url}/oidc/authenticate",))
        yield LiveSso(base_url, secret, client, shots)


def _okta(live: LiveSso) -> httpx.Client:
    headers = {"Authorization": f"Bearer {live.secret}", "User-Agent": "Okta SCIM Client 1.0.0"}
    return httpx.Client(base_url=f"{live.base_url}/scim/v2", headers=headers, timeout=10)


def _shot(page: Any, live: LiveSso, name: str) -> None:
    page.screenshot(path=str(live.screenshots / f"{name}.png"), full_page=True)


def test_admin_sets_up_sso_jane_signs_in_then_deactivation_signs_her_out(
    chromium: Any,  # noqa: F811 - the fixture imported above
    live_sso: LiveSso,
    openid_provider: OpenIdProvider,
) -> None:
    openid_provider.set_client(live_sso.client)  # the fixture's reset dropped it
    admin = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_sso.base_url
    )
    person = chromium.new_context(
        viewport={"width": 1100, "height": 900}, base_url=live_sso.base_url, locale="de-DE"
    )
    try:
        for context in (admin, person):
            context.set_default_timeout(15_000)
        page = admin.new_page()

        # The admin: /login sends an address without single sign-on to the password sign-in.
        page.goto("/login")
        page.get_by_label("Work email").fill(ADMIN)
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Overview", exact=True).wait_for()

        # The domain page: the issuer, client ID and secret, Check, then Save.
        page.get_by_role("navigation", name="Admin sections").get_by_role(
            "link", name="Trusted Domains"
        ).click()
        page.get_by_role("link", name="example.com", exact=True).click()
        redirect_uri = page.get_by_label("Sign-in redirect URIs").input_value()
        assert redirect_uri == f"{live_sso.base_url}/oidc/authenticate"
        page.get_by_label("Issuer").fill(openid_provider.issuer)
        page.get_by_label("Client ID").fill(live_sso.client.client_id)
        page.get_by_label("Client secret").fill(CLIENT_SECRET)
        page.get_by_role("button", name="Check").click()
        page.get_by_text("Check passed").wait_for()
        page.get_by_label("Client ID").fill(live_sso.client.client_id)
        page.get_by_label("Client secret").fill(CLIENT_SECRET)
        page.get_by_role("button", name="Save", exact=True).click()
        page.get_by_text(f"signs people in through {openid_provider.issuer}").wait_for()
        assert CLIENT_SECRET not in page.content()
        _shot(page, live_sso, "sso-domain")

        # Okta provisions Jane, in German and in Berlin.
        with _okta(live_sso) as okta:
            created = okta.post(
                "/Users",
                json={
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": JANE.email,
                    "displayName": "Jane Doe",
                    "emails": [{"value": JANE.email, "type": "work", "primary": True}],
                    "locale": "de-DE",
                    "timezone": "Europe/Berlin",
                    "active": True,
                },
            )
            assert created.status_code == 201, created.text
            jane_id = created.json()["id"]

        # Jane signs in through the provider's own login page.
        tab = person.new_page()
        tab.goto("/me")
        tab.get_by_label("Work email").wait_for()
        assert "/login" in tab.url
        tab.get_by_label("Work email").fill(JANE.email)
        _shot(tab, live_sso, "sso-login")
        tab.get_by_role("button", name="Continue").click()
        tab.wait_for_url(f"{openid_provider.issuer}/**")
        tab.fill("input[name=login]", JANE.sub)
        tab.fill("input[name=password]", "any password")
        tab.click("button[type=submit]")
        tab.get_by_role("heading", name="Jane Doe").wait_for()
        assert tab.url == f"{live_sso.base_url}/me"
        text = tab.locator("main").inner_text()
        assert "Europe/Berlin" in text and "de-DE" in text
        assert "MEZ" in text or "MESZ" in text  # times in Berlin, written in German
        _shot(tab, live_sso, "sso-me")

        # Okta deactivates Jane: her next request is signed out, and she cannot sign in again.
        with _okta(live_sso) as okta:
            deactivated = okta.patch(
                f"/Users/{jane_id}",
                json={
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "value": {"active": False}}],
                },
            )
            assert deactivated.status_code == 200, deactivated.text
        tab.reload()
        tab.get_by_label("Work email").wait_for()
        assert "/login" in tab.url
        tab.get_by_label("Work email").fill(JANE.email)
        tab.get_by_role("button", name="Continue").click()
        tab.get_by_text("Your account has been deactivated by your organisation.").wait_for()
        _shot(tab, live_sso, "sso-deactivated")

        # The admin reads what happened in the activity log.
        page.get_by_role("navigation", name="Admin sections").get_by_role(
            "link", name="Activity"
        ).click()
        for words in (
            "jane@example.com signed in",
            "Ended 1 session of jane@example.com",
            "Refused to sign in jane@example.com",
        ):
            assert page.get_by_text(words).first.is_visible(), words
    finally:
        admin.close()
        person.close()
