# ruff: noqa: F401, F811 - the live server and Chromium fixtures are shared by import
"""What admins expect from a console, in a real browser: times in their own time zone, and
a second admin invited by a one-time link."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_admin_browser import (
    EMAIL,
    LiveAdmin,
    _sign_in,
    chromium,
    live,
)

pytestmark = pytest.mark.live

ZONE = "Asia/Kolkata"  # UTC+5:30: a local time that no rounding of UTC could produce
KIM = "kim@acme.com"
KIMS_PASSWORD = "kim's own long passphrase"


@pytest.fixture
def context(chromium: Any, live: LiveAdmin) -> Iterator[Any]:
    made = chromium.new_context(
        viewport={"width": 1280, "height": 860},
        base_url=live.base_url,
        timezone_id=ZONE,
        locale="en-US",
    )
    made.set_default_timeout(15_000)
    try:
        yield made
    finally:
        made.close()


def test_times_show_in_the_browsers_zone_with_utc_on_hover(context: Any) -> None:
    page = context.new_page()
    _sign_in(page)
    page.goto("/calendars")
    stamp = page.locator("td time[datetime]").first
    moment = datetime.fromisoformat(stamp.get_attribute("datetime"))
    local = moment.astimezone(ZoneInfo(ZONE))
    assert stamp.inner_text() == f"{local:%Y-%m-%d %H:%M} GMT+5:30"
    assert stamp.get_attribute("title") == f"{moment:%Y-%m-%d %H:%M} UTC"
    page.goto("/activity")
    entry = page.locator("td time[datetime]").first
    at = datetime.fromisoformat(entry.get_attribute("datetime")).astimezone(ZoneInfo(ZONE))
    assert entry.inner_text().split() == [f"{at:%Y-%m-%d}", f"{at:%H:%M:%S}", "GMT+5:30"]
    assert entry.get_attribute("title").endswith(" UTC")


def test_owner_invites_a_second_admin_who_joins_through_the_link(
    context: Any,
    chromium: Any,
    live: LiveAdmin,
) -> None:
    owner = context.new_page()
    _sign_in(owner)
    owner.get_by_role("link", name="Admins").click()
    owner.get_by_label("Email").fill(KIM)
    owner.get_by_role("button", name="Invite").click()
    owner.get_by_text(f"Send this link to {KIM}").wait_for()
    link = owner.get_by_label("One-time link to choose a password").input_value()
    assert link.startswith(live.base_url + "/set-password/")
    owner.screenshot(path=str(live.screenshots / "admins-invite.png"), full_page=True)

    kim_context = chromium.new_context(base_url=live.base_url)
    try:
        kim = kim_context.new_page()
        kim.goto(link)
        kim.get_by_label("New password").fill(KIMS_PASSWORD)
        kim.get_by_label("The same again").fill(KIMS_PASSWORD)
        kim.get_by_role("button", name="Set password").click()
        kim.get_by_text(f"Your password is set. Sign in as {KIM}").wait_for()
        kim.get_by_label("Email").fill(KIM)
        kim.get_by_label("Password").fill(KIMS_PASSWORD)
        kim.get_by_role("button", name="Sign in").click()
        kim.get_by_role("heading", name="Overview", exact=True).wait_for()
        kim.goto("/admins")
        assert kim.get_by_role("button", name="Invite").count() == 0
    finally:
        kim_context.close()

    owner.reload()
    row = owner.get_by_role("row").filter(has_text=KIM)
    assert "Invited" not in row.inner_text()
    owner.goto("/activity")
    assert owner.get_by_text(f"Invited {KIM} as admin").count() >= 1
    assert EMAIL in owner.locator("main").inner_text()
