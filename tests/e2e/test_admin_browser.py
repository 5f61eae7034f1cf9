"""A new admin's whole setup in a real browser (Chromium via Playwright) against `enlist serve`.

The guide it walks: sign in, add an organization, add the trusted domain, press Verify now
before the TXT record exists (and read why it failed), publish the record in a real DNS
server on loopback, verify, link the organization, press '+ Add SCIM Secret', save, copy
the secret, let "Okta" (httpx) push a user with it, find the user and the activity entry,
then revoke the secret and see the SCIM API answer 401.

Chromium comes from Debian (`apt-get install chromium`; ./scripts/test installs it when it
is missing); without it this test fails rather than skips, so CI cannot pass silently.
Screenshots go to a temporary folder, or to ENLIST_SCREENSHOTS_DIR (the README's come from
`ENLIST_SCREENSHOTS_DIR=docs/screenshots`).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.loopback_dns import LoopbackDns, loopback_dns

pytestmark = pytest.mark.live

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EMAIL = "it-admin@acme.com"
PASSWORD = "a long and private passphrase"
DOMAIN = "acme.com"
STARTUP_SECONDS = 30.0
OKTA_AGENT = "Okta SCIM Client 1.0.0"


@dataclass
class LiveAdmin:
    base_url: str
    dns: LoopbackDns
    screenshots: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _enlist(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "enlist", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"enlist {' '.join(args)} failed: {done.stderr.strip()}"
    payload: dict[str, Any] = json.loads(done.stdout)
    return payload


def _wait_until_ready(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"enlist serve exited early with status {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"enlist serve did not answer {url} within {STARTUP_SECONDS} s")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveAdmin]:
    """An account with an Enterprise calendar (made by the operator's CLI), served live,
    with its DNS lookups going to a DNS server on loopback that the test controls."""
    workdir = tmp_path_factory.mktemp("admin-browser")
    shots = Path(os.environ.get("ENLIST_SCREENSHOTS_DIR") or workdir / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    with loopback_dns() as dns:
        env = dict(os.environ)
        env["ENLIST_DATABASE_URL"] = f"sqlite:///{workdir / 'enlist.db'}"
        env["ENLIST_DNS_SERVER"] = dns.address
        for name in ("ENLIST_PUBLIC_URL", "ENLIST_SESSION_KEY"):
            env.pop(name, None)
        account = _enlist(
            env, "account", "create", "--name", "Acme", "--email", EMAIL, "--password", PASSWORD
        )
        _enlist(
            env,
            "calendar",
            "create",
            "--account",
            account["id"],
            "--name",
            "Acme team",
            "--plan",
            "enterprise",
        )

        port = _free_port()
        log = (workdir / "serve.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "enlist", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_ready(process, f"http://127.0.0.1:{port}/healthz")
            yield LiveAdmin(f"http://127.0.0.1:{port}", dns, shots)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            log.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); "
            "./scripts/test does it when run as root."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the [test] extra installs it
        pytest.fail("The playwright package is missing: pip install -e '.[test]'.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any, live: LiveAdmin) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 860}, base_url=live.base_url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.base_url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def _shot(page: Any, live: LiveAdmin, name: str) -> None:
    page.screenshot(path=str(live.screenshots / f"{name}.png"), full_page=True)


def _sign_in(page: Any) -> None:
    page.goto("/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview", exact=True).wait_for()


def _okta_push(base_url: str, secret: str, user_name: str) -> httpx.Response:
    """What Okta does for "Push new user": look the userName up, then POST it."""
    headers = {
        "Authorization": f"Bearer {secret}",
        "User-Agent": OKTA_AGENT,
        "Accept": "application/scim+json",
    }
    with httpx.Client(base_url=f"{base_url}/scim/v2", headers=headers, timeout=10) as okta:
        lookup = okta.get(
            "/Users", params={"filter": f'userName eq "{user_name}"', "startIndex": 1, "count": 100}
        )
        if lookup.status_code != 200:
            return lookup
        assert lookup.json()["totalResults"] == 0
        given, family = user_name.split("@")[0].split(".")
        return okta.post(
            "/Users",
            json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": user_name,
                "name": {"givenName": given, "familyName": family},
                "emails": [{"primary": True, "value": user_name, "type": "work"}],
                "displayName": f"{given} {family}",
                "locale": "en-US",
                "externalId": "00ujl29u0le5T6Aj10h7",
                "groups": [],
                "password": "1mz050nq",
                "active": True,
            },
            headers={"Content-Type": "application/json"},
        )


def test_new_admin_sets_up_okta_provisioning_and_finds_out_what_happened(
    page: Any, live: LiveAdmin, chromium: Any
) -> None:
    # Signing in: a stranger is sent to the sign-in page first.
    page.goto("/")
    assert page.url.startswith(f"{live.base_url}/sign-in")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().strip() == "The email or password is not right."
    _shot(page, live, "sign-in")
    _sign_in(page)
    assert page.get_by_text("1 of 5 done").is_visible()  # only the Enterprise calendar so far
    _shot(page, live, "overview-new-account")

    # An organization for the groups Okta will push.
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Organizations"
    ).click()
    page.get_by_label("Name").fill("Acme Staff")
    page.get_by_role("button", name="Add organization").click()
    page.get_by_text("Added the organization Acme Staff.").wait_for()
    organization_path = page.url.removeprefix(live.base_url)
    # the same name in another case would be indistinguishable in the domain form: refused
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Organizations"
    ).click()
    page.get_by_label("Name").fill("acme staff")
    page.get_by_role("button", name="Add organization").click()
    page.get_by_text("There is already an organization named Acme Staff").wait_for()

    # A typo in a domain is not forever: the page says what removing it does, then does it.
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Trusted Domains"
    ).click()
    page.get_by_label("Domain", exact=True).fill("acme.cmo")
    page.get_by_role("button", name="Add domain").click()
    assert page.get_by_role("button", name="Save").count() == 0  # pending: no empty edit panel
    assert page.get_by_text("Removing acme.cmo cannot be undone.").is_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove acme.cmo").click()
    page.get_by_text("Removed acme.cmo.").wait_for()

    # Trusted Domains: add the domain; the page shows the exact TXT record to publish.
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Trusted Domains"
    ).click()
    page.get_by_label("Domain", exact=True).fill(DOMAIN)
    page.get_by_role("button", name="Add domain").click()
    page.get_by_role("heading", name=f"Prove you own {DOMAIN}").wait_for()
    record = page.get_by_label("TXT record value").input_value()
    assert re.fullmatch(r"enlist-domain-verification=[0-9a-f]{32}", record)

    # Verify now before the record is published: told plainly what is missing.
    page.get_by_role("button", name="Verify now").click()
    alert = page.get_by_role("alert").filter(has_text="Not verified yet")
    assert f"No TXT record was found on {DOMAIN}" in alert.inner_text()
    assert record in alert.inner_text()
    assert DOMAIN in live.dns.queries  # a real lookup reached the DNS server
    _shot(page, live, "domain-verify-missing")

    # Publish the record in DNS, then verify.
    live.dns.publish(DOMAIN, "v=spf1 -all", record)
    page.get_by_role("button", name="Verify now").click()
    page.get_by_text(
        f"{DOMAIN} is verified. Now link an organization and add a SCIM secret."
    ).wait_for()
    assert page.get_by_text("No organization is linked.").is_visible()
    # the form shows the real state: nothing chosen until an organization is linked
    assert page.get_by_label("Organization").input_value() == ""
    domain_path = page.url.removeprefix(live.base_url)
    assert page.get_by_text(
        f"may provision people whose emails are on any verified domain of this account: @{DOMAIN}"
    ).is_visible()

    # Edit the domain: pick the organization, press '+ Add SCIM Secret', save.
    page.get_by_label("Organization").select_option(label="Acme Staff")
    page.locator("label", has_text="+ Add SCIM Secret").click()
    assert page.get_by_role("checkbox", name="+ Add SCIM Secret").is_checked()
    assert page.get_by_text("A new secret will be created when you save.").is_visible()
    _shot(page, live, "domain-edit")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Copy your SCIM secret now").wait_for()
    assert page.url.endswith(f"{domain_path}/new-secret")  # Save answered with a redirect
    assert page.evaluate("document.activeElement.id") == "scim-secret"  # Copy is one Tab away
    secret = page.get_by_label("SCIM secret (Bearer token)").input_value()
    base_url = page.get_by_label("SCIM base URL").input_value()
    assert secret.startswith("enl_") and base_url == f"{live.base_url}/scim/v2"
    page.get_by_role("button", name="Copy").first.click()
    page.get_by_text("Copied to the clipboard.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    _shot(page, live, "secret-shown-once")

    # Shown once: a reload shows it no more and mints no other; only its hint is left.
    page.reload()
    page.get_by_text("A new secret is shown only once, right after Save").wait_for()
    assert secret not in page.content()
    assert page.get_by_role("cell", name=secret[:8] + "…", exact=True).is_visible()
    assert page.get_by_role("button", name=re.compile("^Revoke secret")).count() == 1

    # Okta pushes a user with the secret, and one on a domain that is not trusted.
    pushed = _okta_push(base_url.removesuffix("/scim/v2"), secret, "Jane.Doe@acme.com")
    assert pushed.status_code == 201, pushed.text
    refused = _okta_push(base_url.removesuffix("/scim/v2"), secret, "john.smith@gmail.com")
    assert refused.status_code == 400
    group = httpx.post(
        f"{base_url}/Groups",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Acme Engineering",
            "members": [{"value": pushed.json()["id"]}],
        },
        headers={"Authorization": f"Bearer {secret}", "User-Agent": OKTA_AGENT},
        timeout=10,
    )
    assert group.status_code == 201, group.text

    # The admin finds Jane on the Users page...
    page.get_by_role("navigation", name="Admin sections").get_by_role("link", name="Users").click()
    row = page.get_by_role("row").filter(has_text="Jane Doe")
    assert "Active" in row.inner_text() and "Identity provider (SCIM)" in row.inner_text()
    _shot(page, live, "users")
    page.get_by_role("link", name="Jane Doe").click()
    page.get_by_role("heading", name="Jane Doe").wait_for()
    user_path = page.url.removeprefix(live.base_url)
    assert page.get_by_text("00ujl29u0le5T6Aj10h7").is_visible()

    # ...and on Activity, what happened to both pushes, in plain words.
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Activity"
    ).click()
    assert page.get_by_text("Created user Jane.Doe@acme.com.").is_visible()
    refusal = page.get_by_role("row").filter(has_text="john.smith@gmail.com")
    assert (
        "Refused" in refusal.inner_text()
        and "not on a verified trusted domain" in refusal.inner_text()
    )
    assert OKTA_AGENT[:20] in refusal.inner_text()
    _shot(page, live, "activity")
    page.get_by_label("Outcome").select_option(label="Refused")
    page.get_by_role("row").filter(has_text="john.smith@gmail.com").wait_for()
    page.get_by_text("Created user Jane.Doe@acme.com.").wait_for(state="hidden")
    assert "outcome=refused" in page.url  # the filter is in the address, to share or reload

    # Revoke the secret: the SCIM API answers 401 from then on.
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Trusted Domains"
    ).click()
    _shot(page, live, "trusted-domains")
    page.get_by_role("link", name=DOMAIN, exact=True).click()
    assert "Last used" in page.content()
    _shot(page, live, "domain-verified")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Revoke secret {secret[:8]}…").click()
    page.get_by_text(f"Revoked the secret {secret[:8]}…").wait_for()
    answer = httpx.get(
        f"{base_url}/Users", headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )
    assert answer.status_code == 401
    assert answer.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]

    # Okta keeps sending the revoked secret: the domain page says so, and when it last tried.
    page.reload()
    page.get_by_text(
        f"Okta is still using the revoked secret {secret[:8]}…; last tried just now."
    ).wait_for()
    _shot(page, live, "domain-still-used")

    # Calendars: no link to itself; the plan can change, and the page says what the last
    # Enterprise calendar's move would stop.
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Calendars"
    ).click()
    assert page.get_by_role("link", name="Go to Calendars").count() == 0
    calendar_path = page.get_by_role("link", name="Acme team").get_attribute("href")
    assert page.get_by_text("Your only Enterprise calendar: moving it to another plan").is_visible()

    # The admin's own changes are in the log too, and the overview is complete but for the secret.
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Activity"
    ).click()
    for text in (
        "Revoked the SCIM secret",
        "Linked acme.com to the organization Acme Staff",
        "Verified acme.com",
    ):
        assert page.get_by_text(text).first.is_visible(), text
    assert secret not in page.content()

    _every_page_fits_a_phone(
        chromium,
        live,
        [
            "/",
            "/calendars",
            calendar_path,
            "/organizations",
            organization_path,
            "/domains",
            domain_path,
            "/users",
            user_path,
            "/groups",
            f"/groups/{group.json()['id']}",
            "/activity",
            "/webhooks",
            "/api-keys",
            "/admins",
            "/password",
        ],
        domain_path,
    )


PHONE = {"width": 390, "height": 844}


def _every_page_fits_a_phone(
    chromium: Any, live: LiveAdmin, paths: list[str], domain_path: str
) -> None:
    """Each page at 390 px: no sideways scrolling (tables are stacked rows), every button
    on screen. The sign-in page is checked signed out, the others signed in."""
    context = chromium.new_context(viewport=PHONE, base_url=live.base_url, is_mobile=True)
    try:
        page = context.new_page()
        page.goto("/sign-in")
        widths = {"/sign-in": page.evaluate("document.documentElement.scrollWidth")}
        _sign_in(page)
        for path in paths:
            page.goto(path)
            widths[path] = page.evaluate("document.documentElement.scrollWidth")
            off_screen = page.evaluate(
                "Array.from(document.querySelectorAll('button, .button, input, select'))"
                ".filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > 390)"
                ".map(e => e.textContent.trim() || e.id).slice(0, 5)"
            )
            assert off_screen == [], f"{path}: off screen at 390 px: {off_screen}"
            name = {"/activity": "activity-phone", "/users": "users-phone"}.get(path)
            if path == domain_path:
                name = "domain-phone"
            if name:
                _shot(page, live, name)
        too_wide = {path: width for path, width in widths.items() if width > PHONE["width"]}
        assert too_wide == {}, f"pages wider than 390 px: {too_wide}"
    finally:
        context.close()


def test_pages_work_by_keyboard_and_on_a_phone(chromium: Any, live: LiveAdmin) -> None:
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, base_url=live.base_url, is_mobile=True
    )
    try:
        page = context.new_page()
        page.goto("/sign-in")
        assert page.evaluate("document.activeElement.id") == "email"  # the form has the focus
        page.keyboard.type(EMAIL)
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Overview", exact=True).wait_for()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        no_sideways_scroll = page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
        )
        assert no_sideways_scroll
        _shot(page, live, "overview-phone")
        # The focused control is visibly outlined.
        page.get_by_role("navigation", name="Admin sections").get_by_role(
            "link", name="Users", exact=True
        ).focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"
    finally:
        context.close()
