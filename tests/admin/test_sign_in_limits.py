"""Sign-in limits that stop guessing without locking an office out: the email is locked after
five failures (with a warning before the last), the address is only slowed down, and the
account whose email was tried reads it in its activity log."""

from __future__ import annotations

import html
import re
import time
from typing import Any

from enlist.app import create_app
from enlist.config import Settings
from enlist.services import activity
from tests.admin.conftest import PASSWORD, Browser


def _said(response: Any) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text)))


def test_the_attempt_before_the_lock_warns_and_the_lock_says_so_plainly(
    browser: Browser, admin: Any
) -> None:
    said = [_said(browser.sign_in(admin.email, f"guess {n}")) for n in range(1, 6)]
    assert "One more failed attempt" not in said[2]
    assert "One more failed attempt locks sign-in for this email for 15 minutes." in said[3]
    assert (
        "That was attempt 5 of 5, so sign-in for this email is locked for 15 minutes." in (said[4])
    )
    locked = browser.sign_in(admin.email, PASSWORD)
    assert locked.status_code == 429
    assert f"Too many failed sign-in attempts for {admin.email}: it is locked for 15 minutes" in (
        _said(locked)
    )
    assert "even with the right password" in _said(locked)


def test_failed_sign_ins_and_the_lock_are_in_the_activity_of_the_account_tried(
    browser: Browser, make_admin: Any, db: Any
) -> None:
    tried, bystander = make_admin("Acme"), make_admin("Globex")
    for _ in range(5):
        browser.sign_in(tried.email, "guess")
    browser.sign_in("nobody@nowhere.test", "guess")  # no account: nobody to tell
    entries = [e for _, e in activity.newest(db, tried.account_id)]
    failures = [e for e in entries if e.action == "admin.sign_in" and e.outcome == "refused"]
    assert len(failures) == 5
    assert f"Failed sign-in as {tried.email} from testclient: wrong password" in failures[0].detail
    (lock,) = [e for e in entries if e.action == "admin.sign_in_lock"]
    assert f"Locked sign-in for {tried.email} for 15 minutes after 5 failed attempts" in (
        lock.detail
    )
    assert activity.newest(db, bystander.account_id) == []
    assert "PASSWORD" not in repr(entries) and "guess" not in repr(entries)
    # the other admin signs in and reads nothing of it; the tried one reads all of it
    assert browser.sign_in(bystander.email).status_code == 200
    assert "Failed sign-in" not in browser.get("/activity").text


def test_one_address_with_many_failures_is_slowed_down_but_a_right_password_works(
    admin_settings: Settings, db: Any, make_admin: Any
) -> None:
    # two failures per email lock it; eight from one address start slowing it down
    settings = admin_settings.model_copy(update={"sign_in_max_failures": 2})
    office = Browser(create_app(settings, db))
    colleague = make_admin("Acme")
    with office.client:
        for n in range(8):
            office.sign_in(f"someone-{n // 2}@acme.test", "guess")
        started = time.monotonic()
        slowed = office.sign_in("someone-else@acme.test", "guess")
        assert time.monotonic() - started >= 1.0
        assert slowed.status_code == 400
        assert "each attempt from it waits 1 second; a correct password still signs you in" in (
            _said(slowed)
        )
        started = time.monotonic()
        signed_in = office.sign_in(colleague.email)
        assert time.monotonic() - started >= 2.0  # the delay grows: 1 s, 2 s, ...
        assert signed_in.status_code == 200 and "Overview" in signed_in.text
