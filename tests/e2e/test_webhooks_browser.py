"""An admin adds a webhook in a real browser (Chromium) against `enlist serve`, which
delivers: the secret shown once verifies the deliveries, Send test event and the delivery
log, Disable and Replay. Screenshots as in test_admin_browser.py (ENLIST_SCREENSHOTS_DIR)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from tests.e2e.test_admin_browser import (
    _enlist,
    _free_port,
    _wait_until_ready,
    chromium,
)
from tests.receiver import Answer, Receiver

pytestmark = pytest.mark.live
__all__ = ["chromium"]  # the shared browser fixture

EMAIL = "it-admin@acme.com"
PASSWORD = "a long and private passphrase"


@dataclass
class LiveServer:
    base_url: str
    env: dict[str, str]
    account_id: str
    receiver: Receiver
    screenshots: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("webhooks-browser")
    shots = Path(os.environ.get("ENLIST_SCREENSHOTS_DIR") or workdir / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["ENLIST_DATABASE_URL"] = f"sqlite:///{workdir / 'enlist.db'}"
    env["ENLIST_WEBHOOK_ALLOW_PRIVATE"] = "true"
    for name in ("ENLIST_PUBLIC_URL", "ENLIST_SESSION_KEY", "ENLIST_WEBHOOK_DELIVERY"):
        env.pop(name, None)
    account = _enlist(
        env, "account", "create", "--name", "Acme", "--email", EMAIL, "--password", PASSWORD
    )
    port = _free_port()
    log = (workdir / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "enlist", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    with Receiver() as receiver:
        try:
            _wait_until_ready(process, f"http://127.0.0.1:{port}/healthz")
            yield LiveServer(f"http://127.0.0.1:{port}", env, account["id"], receiver, shots)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            log.close()


@pytest.fixture
def page(chromium: Any, served: LiveServer) -> Iterator[Any]:
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=served.base_url
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def _shot(page: Any, served: LiveServer, name: str) -> None:
    page.screenshot(path=str(served.screenshots / f"{name}.png"), full_page=True)


def test_an_admin_adds_a_webhook_and_the_server_delivers_signed_events(page, served):
    page.goto("/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_role("heading", name="Webhooks", exact=True).wait_for()
    assert page.get_by_text("No webhooks yet").is_visible()

    # a loopback URL is allowed here only because the operator set the allowance
    page.get_by_label("URL").fill(served.receiver.url + "/enlist")
    page.get_by_label("domain.verified").check()
    page.get_by_label("secret.created").check()
    _shot(page, served, "webhooks-add")
    page.get_by_role("button", name="Add webhook").click()
    page.get_by_text("This is the only time the signing secret is shown").wait_for()
    secret = page.get_by_role("textbox", name="Signing secret").input_value()
    assert secret.startswith("whsec_")
    _shot(page, served, "webhook-secret-once")

    # a change by the operator reaches the receiver through `enlist serve`'s own worker
    _enlist(served.env, "domain", "add", "acme.com", "--account", served.account_id, "--verified")
    (delivered,) = served.receiver.wait_for(1, timeout=15)
    event = json.loads(delivered.body)
    assert event["type"] == "domain.verified" and event["data"]["name"] == "acme.com"
    Webhook(secret).verify(delivered.body, dict(delivered.headers))

    # the secret is gone on reload; the log shows the delivery
    page.reload()
    assert page.get_by_text("only time the signing secret").count() == 0
    log = page.get_by_role("table", name="Deliveries, newest first")
    assert log.get_by_text("domain.verified").is_visible()
    assert log.get_by_text("Delivered").is_visible()

    # Send test event, answered with an error: the page says so and logs it
    served.receiver.answer(Answer(500, body=b"receiver is restarting"))
    page.get_by_role("button", name="Send test event").click()
    page.get_by_text("The test event was not delivered: it answered 500").wait_for()
    assert log.get_by_text("receiver is restarting").is_visible()
    _shot(page, served, "webhook-delivery-log")

    page.get_by_role("button", name="Replay").click()
    page.get_by_text("Queued 1 events from sequence 1").wait_for()
    replayed = served.receiver.wait_for(3, timeout=15)[2]
    assert json.loads(replayed.body)["id"] == event["id"]  # the same id: receivers dedupe

    page.get_by_role("button", name="Disable").click()
    page.get_by_text("Events wait for the webhook until you enable it").wait_for()
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Webhooks"
    ).click()
    assert page.get_by_text("Disabled", exact=True).is_visible()
    _shot(page, served, "webhooks-list")
