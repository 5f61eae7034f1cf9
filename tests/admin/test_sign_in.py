"""Signing in and out of the admin pages: passwords, CSRF, attempt limits, shared sessions."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from enlist.app import create_app
from enlist.services import activity, tenancy
from tests.admin.conftest import PASSWORD, Browser, csrf_of


def test_admin_signs_in_and_lands_on_the_overview(browser: Browser, admin: Any) -> None:
    response = browser.sign_in(admin.email, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert (
        "enlist_session=" in cookie
        and "httponly" in cookie.lower()
        and "samesite=lax" in cookie.lower()
    )
    overview = browser.get("/")
    assert overview.status_code == 200
    assert "Setup" in overview.text and admin.email in overview.text


def test_pages_send_a_stranger_to_sign_in_and_back(browser: Browser, admin: Any) -> None:
    response = browser.get("/domains", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/domains"
    page = browser.get("/sign-in?next=/domains")
    landed = browser.client.post(
        "/sign-in",
        data={
            "csrf_token": csrf_of(page.text),
            "email": admin.email,
            "password": PASSWORD,
            "next": "/domains",
        },
        follow_redirects=False,
    )
    assert landed.headers["location"] == "/domains"


def test_sign_in_never_redirects_to_another_site(browser: Browser, admin: Any) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        browser.client.cookies.clear()
        page = browser.get("/sign-in")
        landed = browser.client.post(
            "/sign-in",
            data={
                "csrf_token": csrf_of(page.text),
                "email": admin.email,
                "password": PASSWORD,
                "next": target,
            },
            follow_redirects=False,
        )
        assert landed.headers["location"] == "/", target


def test_wrong_password_is_refused_and_opens_no_session(browser: Browser, admin: Any) -> None:
    response = browser.sign_in(admin.email, "not the password")
    assert response.status_code == 400
    assert "The email or password is not right." in response.text
    assert "enlist_session" not in browser.client.cookies
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_unknown_email_gets_the_same_answer(browser: Browser) -> None:
    response = browser.sign_in("nobody@nowhere.test", "whatever")
    assert response.status_code == 400
    assert "The email or password is not right." in response.text


def test_a_form_without_its_csrf_token_changes_nothing(
    signed_in: Browser, admin: Any, db: Any
) -> None:
    refused = signed_in.client.post("/calendars", data={"name": "Forged", "plan": "enterprise"})
    assert refused.status_code == 403
    assert "This form has expired" in refused.text
    wrong = signed_in.client.post(
        "/calendars", data={"name": "Forged", "plan": "basic", "csrf_token": "x" * 43}
    )
    assert wrong.status_code == 403
    assert [c.name for c in tenancy.calendars(db, admin.account_id)] == ["Acme team"]


def test_sign_in_form_needs_its_csrf_token_too(browser: Browser, admin: Any) -> None:
    browser.get("/sign-in")
    refused = browser.client.post("/sign-in", data={"email": admin.email, "password": PASSWORD})
    assert refused.status_code == 403
    assert "enlist_session" not in browser.client.cookies


def test_csrf_token_of_one_session_does_not_work_in_another(
    admin_app: Any, make_admin: Any, db: Any
) -> None:
    first, second = make_admin("Acme"), make_admin("Globex")
    with (
        TestClient(admin_app, base_url="http://enlist.test") as one,
        TestClient(admin_app, base_url="http://enlist.test") as two,
    ):
        for client, account in ((one, first), (two, second)):
            page = client.get("/sign-in")
            client.post(
                "/sign-in",
                data={
                    "csrf_token": csrf_of(page.text),
                    "email": account.email,
                    "password": PASSWORD,
                },
            )
        token_of_one = csrf_of(one.get("/calendars").text)
        refused = two.post(
            "/calendars", data={"csrf_token": token_of_one, "name": "X", "plan": "basic"}
        )
    assert refused.status_code == 403


def test_sign_in_is_locked_after_five_failures_even_with_the_right_password(
    browser: Browser, admin: Any, admin_settings: Any, db: Any
) -> None:
    for _ in range(5):
        assert browser.sign_in(admin.email, "guess").status_code == 400
    locked = browser.sign_in(admin.email, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.text
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    assert "enlist_session" not in browser.client.cookies

    # The counters are in the database: another worker process refuses as well.
    other_worker = create_app(admin_settings, db)
    with TestClient(other_worker, base_url="http://enlist.test") as client:
        page = client.get("/sign-in")
        again = client.post(
            "/sign-in",
            data={"csrf_token": csrf_of(page.text), "email": admin.email, "password": PASSWORD},
        )
    assert again.status_code == 429


def test_failures_of_one_admin_do_not_lock_another(browser: Browser, make_admin: Any) -> None:
    victim, other = make_admin("Acme"), make_admin("Globex")
    for _ in range(5):
        browser.sign_in(victim.email, "guess")
    assert browser.sign_in(other.email).status_code == 200


def test_sign_out_ends_the_session_for_good(signed_in: Browser, admin: Any) -> None:
    stolen = signed_in.client.cookies.get("enlist_session")
    token = csrf_of(signed_in.get("/").text)
    response = signed_in.client.post(
        "/sign-out", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"
    assert "You are signed out." in signed_in.get("/sign-in").text
    # Replaying the old cookie does not bring the session back.
    signed_in.client.cookies.clear()
    signed_in.client.cookies.set("enlist_session", stolen)
    assert signed_in.get("/", follow_redirects=False).status_code == 303


def test_a_tampered_session_cookie_is_ignored(signed_in: Browser) -> None:
    cookie = signed_in.client.cookies.get("enlist_session")
    signed_in.client.cookies.clear()
    signed_in.client.cookies.set(
        "enlist_session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
    )
    assert signed_in.get("/", follow_redirects=False).status_code == 303


def test_every_worker_accepts_the_session_through_the_shared_key(
    signed_in: Browser, admin_settings: Any, db: Any
) -> None:
    other_worker = create_app(admin_settings, db)  # a second process: its own memory, same database
    with TestClient(other_worker, base_url="http://enlist.test") as client:
        client.cookies.set("enlist_session", signed_in.client.cookies.get("enlist_session"))
        assert client.get("/domains").status_code == 200


def test_the_configured_session_key_signs_the_cookie(
    admin: Any, admin_settings: Any, db: Any
) -> None:
    keyed = create_app(admin_settings.model_copy(update={"session_key": "k" * 40}), db)
    unkeyed = create_app(admin_settings, db)
    with TestClient(keyed, base_url="http://enlist.test") as client:
        page = client.get("/sign-in")
        client.post(
            "/sign-in",
            data={"csrf_token": csrf_of(page.text), "email": admin.email, "password": PASSWORD},
        )
        assert client.get("/", follow_redirects=False).status_code == 200
        cookie = client.cookies.get("enlist_session")
    with TestClient(unkeyed, base_url="http://enlist.test") as client:
        client.cookies.set("enlist_session", cookie)
        assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_in_is_in_the_activity_log(signed_in: Browser, admin: Any, db: Any) -> None:
    (_, entry), *_ = activity.newest(db, admin.account_id)
    assert (entry.actor_type, entry.actor, entry.action) == ("admin", admin.email, "admin.sign_in")


def test_pages_carry_security_headers_and_are_not_cached(signed_in: Browser) -> None:
    response = signed_in.get("/domains")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert signed_in.get("/static/admin.css").status_code == 200
    assert signed_in.get("/static/htmx.min.js").status_code == 200


def test_health_and_scim_stay_in_front_of_the_pages(client: Any, scim: Any) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert scim.get("/Users").status_code == 200
    assert client.get("/scim/v2/Users").status_code == 401


def test_an_unknown_address_answers_404_inside_the_signed_in_layout(signed_in: Browser) -> None:
    response = signed_in.get("/no-such-page")
    assert response.status_code == 404
    assert "Not found" in response.text and "Sign out" in response.text
    signed_out = signed_in.client.post("/sign-out", data={"csrf_token": csrf_of(response.text)})
    assert "You are signed out." in signed_out.text
