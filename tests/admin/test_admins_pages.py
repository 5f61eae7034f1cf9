"""Several admins per account, as the pages show them: invite, accept, leave, remove,
passwords; every change in the activity log under the admin's name."""

from __future__ import annotations

import re
from typing import Any

from enlist.services import activity, admins, sessions
from enlist.store.db import Database
from tests.admin.conftest import PASSWORD, AdminAccount, Browser, csrf_of

NEW_PASSWORD = "a long password of kim's"
_LINK = re.compile(r'id="admin-link" class="mono" type="text" value="([^"]+)"')


def _invite(browser: Browser, email: str, role: str = "admin") -> str:
    """Invite `email` on the Admins page; the path of the one-time link it shows."""
    page = browser.submit("/admins", "/admins", {"email": email, "role": role})
    assert page.status_code == 200, page.text
    found = _LINK.search(page.text)
    assert found, page.text
    return found.group(1).removeprefix("http://enlist.test")


def _accept(app: Any, path: str, password: str = NEW_PASSWORD) -> Any:
    with Browser(app) as stranger:
        form = stranger.get(path)
        assert form.status_code == 200 and "Choose a password" in form.text
        return stranger.client.post(
            path,
            data={"csrf_token": csrf_of(form.text), "password": password, "confirm": password},
        )


def test_owner_invites_an_admin_who_accepts_and_signs_in(
    signed_in: Browser, admin: AdminAccount, admin_app: Any, db: Database
) -> None:
    path = _invite(signed_in, "kim@acme.test")
    again = signed_in.get("/admins")
    assert "admin-link" not in again.text, "the link is shown once"
    assert "kim@acme.test" in again.text and "Invited" in again.text
    done = _accept(admin_app, path)
    assert done.status_code == 200 and "Your password is set" in done.text
    with Browser(admin_app) as kim:
        assert kim.sign_in("kim@acme.test", NEW_PASSWORD).status_code == 200
        page = kim.get("/admins")
        assert "Invite an admin" not in page.text, "an admin does not invite"
    with Browser(admin_app) as stranger:
        used = stranger.get(path)
        assert used.status_code == 404 and "expired or was used already" in used.text
    entries = [e for _, e in activity.newest(db, admin.account_id, limit=10)]
    invited = next(e for e in entries if e.action == "admin.invite")
    joined = next(e for e in entries if e.action == "admin.join")
    assert invited.actor == admin.email and invited.resource_name == "kim@acme.test"
    assert joined.actor == "kim@acme.test"


def test_an_admin_cannot_invite_or_remove_others(
    signed_in: Browser, admin: AdminAccount, admin_app: Any, db: Database
) -> None:
    _accept(admin_app, _invite(signed_in, "kim@acme.test"))
    with Browser(admin_app) as kim:
        kim.sign_in("kim@acme.test", NEW_PASSWORD)
        refused = kim.submit("/admins", "/admins", {"email": "lee@acme.test", "role": "owner"})
        assert refused.status_code == 400
        assert "Only an owner of the account can invite or remove admins." in refused.text
        owner = admins.admin_by_email(db, admin.email)
        assert owner is not None
        page = kim.get("/admins").text
        assert f"/admins/{owner.id}/remove" not in page and "Leave" in page
        refused = kim.submit("/admins", f"/admins/{owner.id}/remove")
        assert refused.status_code == 400 and "Only an owner" in refused.text
        assert admins.admin_by_email(db, admin.email) is not None


def test_the_last_owner_cannot_leave(signed_in: Browser, admin: AdminAccount, db: Database) -> None:
    mine = admins.admin_by_email(db, admin.email)
    assert mine is not None
    refused = signed_in.submit("/admins", f"/admins/{mine.id}/remove")
    assert refused.status_code == 400
    assert "last owner and cannot be removed" in refused.text
    assert signed_in.get("/", follow_redirects=False).status_code == 200


def test_a_removed_admin_is_signed_out_at_once(
    signed_in: Browser, admin: AdminAccount, admin_app: Any, db: Database
) -> None:
    _accept(admin_app, _invite(signed_in, "kim@acme.test"))
    with Browser(admin_app) as kim:
        kim.sign_in("kim@acme.test", NEW_PASSWORD)
        assert kim.get("/", follow_redirects=False).status_code == 200
        target = admins.admin_by_email(db, "kim@acme.test")
        assert target is not None
        done = signed_in.submit("/admins", f"/admins/{target.id}/remove")
        assert "Removed kim@acme.test." in done.text
        assert kim.get("/", follow_redirects=False).status_code == 303
        assert kim.sign_in("kim@acme.test", NEW_PASSWORD).status_code == 400


def test_another_accounts_admin_answers_404(
    signed_in: Browser, make_admin: Any, db: Database
) -> None:
    other = make_admin("Globex")
    theirs = admins.admin_by_email(db, other.email)
    assert theirs is not None
    response = signed_in.submit("/admins", f"/admins/{theirs.id}/remove")
    assert response.status_code == 404
    assert admins.admin_by_email(db, other.email) is not None


def test_changing_the_password_ends_the_other_sessions(
    signed_in: Browser, admin: AdminAccount, admin_app: Any, db: Database
) -> None:
    other_device = sessions.sign_in(db, admin.email, PASSWORD)
    wrong = signed_in.submit(
        "/password",
        "/password",
        {"current": "not it", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 400 and "The current password is not right." in wrong.text
    short = signed_in.submit(
        "/password", "/password", {"current": PASSWORD, "password": "short", "confirm": "short"}
    )
    assert short.status_code == 400 and "at least 12 characters" in short.text
    done = signed_in.submit(
        "/password",
        "/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert (
        done.status_code == 200 and "Your password is changed. 1 other session ended." in done.text
    )
    assert sessions.current_session(db, other_device.token) is None
    assert signed_in.get("/", follow_redirects=False).status_code == 200, "this one stays"
    with Browser(admin_app) as fresh:
        assert fresh.sign_in(admin.email, PASSWORD).status_code == 400
        assert fresh.sign_in(admin.email, NEW_PASSWORD).status_code == 200
    entry = next(
        e
        for _, e in activity.newest(db, admin.account_id, limit=10)
        if e.action == "admin.password"
    )
    assert entry.actor == admin.email and entry.outcome == "success"


def test_a_made_up_link_says_so_in_words(browser: Browser) -> None:
    response = browser.get("/set-password/not-a-real-token")
    assert response.status_code == 404
    assert "This link has expired or was used already." in response.text


def test_an_owner_hands_over_and_the_last_owner_stays_one(
    signed_in: Browser, admin: AdminAccount, admin_app: Any, db: Database
) -> None:
    mine = admins.admin_by_email(db, admin.email)
    assert mine is not None
    refused = signed_in.submit("/admins", f"/admins/{mine.id}/role")
    assert refused.status_code == 400
    assert "last owner and cannot be made an admin" in refused.text
    _accept(admin_app, _invite(signed_in, "kim@acme.test"))
    kim = admins.admin_by_email(db, "kim@acme.test")
    assert kim is not None and kim.role == "admin"
    promoted = signed_in.submit("/admins", f"/admins/{kim.id}/role")
    assert "kim@acme.test is now an owner." in promoted.text
    stepped_down = signed_in.submit("/admins", f"/admins/{mine.id}/role")
    assert f"{admin.email} is now an admin." in stepped_down.text
    assert "Invite an admin" not in signed_in.get("/admins").text
    entry = next(
        e for _, e in activity.newest(db, admin.account_id, limit=10) if e.action == "admin.role"
    )
    assert entry.actor == admin.email and "was owner" in entry.detail
