"""The admin gives group Sales Modify on a calendar in a real browser; Okta adds a person to
Sales and *Who has access* shows them "Modify, via group Sales"; Okta deactivates them and
they are gone. The access API answers the same at each step.

Chromium is Debian's (/usr/bin/chromium) driven by Playwright against a live `enlist serve`;
screenshots go to ENLIST_SCREENSHOTS_DIR (the README's: docs/screenshots) or a temporary
folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.live import enlist, enlist_env, serving
from tests.e2e.test_admin_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.live

EMAIL = "it-admin@acme.com"
PASSWORD = "a long and private passphrase"
DOMAIN = "acme.com"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("access-browser")
    shots = Path(os.environ.get("ENLIST_SCREENSHOTS_DIR") or workdir / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    env = enlist_env(f"sqlite:///{workdir / 'enlist.db'}")
    account = enlist(
        env, "account", "create", "--name", "Acme", "--email", EMAIL, "--password", PASSWORD
    )["id"]
    calendar = enlist(
        env,
        "calendar",
        "create",
        "--account",
        account,
        "--name",
        "Sales pipeline",
        "--plan",
        "enterprise",
    )["id"]
    organization = enlist(env, "organization", "create", "--account", account, "--name", "Acme")
    enlist(env, "domain", "add", DOMAIN, "--account", account, "--verified")
    enlist(env, "domain", "link", DOMAIN, "--organization", organization["id"])
    secret = enlist(env, "secret", "create", DOMAIN)["secret"]
    key = enlist(env, "apikey", "create", "--account", account)["key"]
    with serving(env) as base:
        yield {"base": base, "calendar": calendar, "secret": secret, "key": key, "shots": shots}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def test_okta_membership_changes_show_in_who_has_access_and_the_api(chromium, live):
    okta = httpx.Client(
        base_url=f"{live['base']}/scim/v2",
        headers={"Authorization": f"Bearer {live['secret']}"},
        timeout=30,
    )
    api = httpx.Client(
        base_url=f"{live['base']}/api/v1",
        headers={"Authorization": f"Bearer {live['key']}"},
        timeout=30,
    )
    calendar = live["calendar"]

    def check(person: str) -> str:
        answer = api.get("/check", params={"person": person, "calendar": calendar})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["level"])

    def listed() -> list[dict[str, Any]]:
        return list(api.get(f"/calendars/{calendar}/access").json()["people"])

    sales = okta.post("/Groups", json={"displayName": "Sales", "members": []}).json()["id"]
    okta.post("/Groups", json={"displayName": "Sales engineering", "members": []})
    dana = okta.post(
        "/Users",
        json={
            "userName": "dana.lopez@acme.com",
            "displayName": "Dana Lopez",
            "emails": [{"value": "dana.lopez@acme.com", "type": "work", "primary": True}],
        },
    ).json()["id"]

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live["base"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/sign-in")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Overview", exact=True).wait_for()

        page.goto("/calendars")
        page.get_by_role("link", name="Sales pipeline").click()
        page.get_by_role("heading", name="Sales pipeline", exact=True).wait_for()
        page.get_by_label("Find a group or a person").fill("sales")
        page.get_by_role("button", name="Find", exact=True).click()
        page.locator(f"#grant-{sales}").select_option("modify")
        page.get_by_role("button", name="Grant group Sales", exact=True).click()
        page.get_by_text("Granted Modify.").wait_for()
        assert page.locator(f"#level-{sales}").input_value() == "modify"
        assert check(dana) == "no_access" and listed() == []

        # Okta adds Dana to Sales: she has access in the same request
        add = {"Operations": [{"op": "add", "path": "members", "value": [{"value": dana}]}]}
        assert okta.patch(f"/Groups/{sales}", json=add).status_code in (200, 204)
        page.reload()
        row = page.get_by_role("row", name=re.compile("Dana Lopez"))
        assert "Modify, via group Sales" in row.inner_text()
        page.screenshot(path=str(live["shots"] / "access-calendar.png"), full_page=True)
        assert check(dana) == "modify"
        assert listed() == [
            {
                "id": dana,
                "userName": "dana.lopez@acme.com",
                "level": "modify",
                "via": [{"type": "group", "id": sales, "name": "Sales"}],
            }
        ]

        page.get_by_role("link", name="Dana Lopez").click()
        page.get_by_text("Sales pipeline: Modify, via group Sales").wait_for()
        page.screenshot(path=str(live["shots"] / "access-person.png"), full_page=True)

        # Okta deactivates her: she is gone from Who has access, and the API says no_access
        off = {"Operations": [{"op": "replace", "value": {"active": False}}]}
        assert okta.patch(f"/Users/{dana}", json=off).status_code == 200
        page.goto(f"/calendars/{calendar}")
        page.get_by_text("Nobody has access yet.").wait_for()
        assert page.get_by_role("row", name=re.compile("Dana Lopez")).count() == 0
        assert check(dana) == "no_access" and listed() == []
    finally:
        context.close()
        okta.close()
        api.close()
