"""The Webhooks page as an admin uses it: add (secret shown once), refusals in words,
disable/enable, Send test event, Replay, and the delivery log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from enlist.app import create_app
from enlist.config import Settings
from enlist.services import activity, tenancy, webhooks
from enlist.store.db import Database
from tests.admin.conftest import Browser
from tests.receiver import Answer, Receiver

_SECRET = re.compile(r'id="webhook-secret"[^>]*value="(whsec_[^"]+)"')


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def admin_app(admin_settings: Settings, db: Database) -> Any:
    # the tests' operator allows receivers on loopback; delivery is driven by the tests
    settings = admin_settings.model_copy(
        update={"webhook_allow_private": True, "webhook_delivery": False}
    )
    return create_app(settings, db)


def _add(browser: Browser, url: str, events: list[str] | None = None) -> Any:
    data: dict[str, Any] = {"url": url}
    if events:
        data["events"] = events
    return browser.submit("/webhooks", "/webhooks", data)


def test_a_new_webhook_shows_its_secret_once_after_a_redirect(signed_in, admin, receiver):
    page = _add(signed_in, receiver.url + "/hook", ["person.deactivated", "person.deleted"])
    assert page.status_code == 200 and page.history[0].status_code == 303
    secret = _SECRET.search(page.text)
    assert secret and "only time the signing secret is shown" in page.text
    assert "person.deactivated, person.deleted" in page.text
    again = signed_in.get(str(page.url))
    assert _SECRET.search(again.text) is None and secret.group(1) not in again.text
    listing = signed_in.get("/webhooks")
    assert receiver.url + "/hook" in listing.text and "Enabled" in listing.text
    assert secret.group(1) not in listing.text


def test_a_private_url_is_refused_in_words_when_the_operator_has_not_allowed_it(
    admin_settings, db, make_admin
):
    admin = make_admin()
    strict = admin_settings.model_copy(update={"webhook_delivery": False})
    with TestClient(create_app(strict, db), base_url="http://enlist.test") as client:
        browser = Browser.__new__(Browser)
        browser.client = client
        browser.sign_in(admin.email)
        page = _add(browser, "http://127.0.0.1:8080/hook")
    assert page.status_code == 400
    assert "loopback address" in page.text and "The webhook was not added" in page.text
    assert webhooks.webhooks(db, admin.account_id) == []
    (entry,) = [e for _, e in activity.newest(db, admin.account_id) if e.action == "webhook.create"]
    assert entry.outcome == "refused"


def test_disable_then_enable_says_so_on_the_page(signed_in, admin, db, receiver):
    page = _add(signed_in, receiver.url)
    hook_url = str(page.url).replace("http://enlist.test", "")
    disabled = signed_in.submit(hook_url, hook_url + "/disable")
    assert "Disabled." in disabled.text and "An admin disabled it" in disabled.text
    (hook,) = webhooks.webhooks(db, admin.account_id)
    assert not hook.enabled
    enabled = signed_in.submit(hook_url, hook_url + "/enable")
    assert "Enabled." in enabled.text
    assert webhooks.webhooks(db, admin.account_id)[0].enabled


def test_send_test_event_shows_the_answer_in_the_delivery_log(signed_in, receiver):
    page = _add(signed_in, receiver.url)
    hook_url = str(page.url).replace("http://enlist.test", "")
    receiver.answer(Answer(503, body=b"maintenance until 10:00"))
    failed = signed_in.submit(hook_url, hook_url + "/test")
    assert "not delivered: it answered 503" in failed.text
    assert "maintenance until 10:00" in failed.text and "webhook.test" in failed.text
    delivered = signed_in.submit(hook_url, hook_url + "/test")
    assert "The test event was delivered (200)" in delivered.text
    assert " ms" in delivered.text  # latency
    assert len(receiver.requests) == 2


def test_replay_queues_and_a_bad_sequence_is_refused_in_words(signed_in, admin, db, receiver):
    page = _add(signed_in, receiver.url)
    hook_url = str(page.url).replace("http://enlist.test", "")
    tenancy.add_domain(db, admin.account_id, "acme.test", verified=True)
    bad = signed_in.submit(hook_url, hook_url + "/replay", {"from": "soon"})
    assert bad.status_code == 400 and "not &#39;soon&#39;" in bad.text
    replayed = signed_in.submit(hook_url, hook_url + "/replay", {"from": "1"})
    assert re.search(r"Queued \d+ events from sequence 1", replayed.text)


def test_a_disabled_endpoint_shows_why(signed_in, admin, db, receiver):
    created = webhooks.create_webhook(
        db, admin.account_id, receiver.url, secret_key="", allow_private=True
    )
    webhooks.disable_webhook(db, created.id, reason="Deliveries failed for 3 days.")
    page = signed_in.get(f"/webhooks/{created.id}")
    assert "Deliveries failed for 3 days." in page.text
    assert "Deliveries failed for 3 days." in signed_in.get("/webhooks").text


def test_another_accounts_webhook_is_not_found(signed_in, make_admin, db, receiver):
    other = make_admin("Other")
    theirs = webhooks.create_webhook(
        db, other.account_id, receiver.url, secret_key="", allow_private=True
    )
    assert signed_in.get(f"/webhooks/{theirs.id}").status_code == 404
    assert signed_in.submit("/webhooks", f"/webhooks/{theirs.id}/disable").status_code == 404
    assert webhooks.webhook(db, theirs.id).enabled
