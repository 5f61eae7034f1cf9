"""Fixtures for the admin pages: a loopback DNS server, the app wired to it, signed-in admins."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from enlist.app import create_app
from enlist.config import Settings
from enlist.services import tenancy
from enlist.store.db import Database
from tests.e2e.loopback_dns import LoopbackDns

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@pytest.fixture
def published(dns_server: LoopbackDns) -> Iterator[LoopbackDns]:
    """The loopback DNS server, emptied of records before and after the test."""
    dns_server.records.clear()
    yield dns_server
    dns_server.records.clear()


@pytest.fixture
def admin_settings(database_url: str, published: LoopbackDns) -> Settings:
    return Settings(database_url=database_url, dns_server=published.address)


@pytest.fixture
def admin_app(admin_settings: Settings, db: Database) -> Any:
    return create_app(admin_settings, db)


@dataclass
class AdminAccount:
    account_id: str
    email: str
    password: str


@pytest.fixture
def make_admin(db: Database) -> Any:
    def make(name: str = "Acme", *, plan: str | None = "enterprise") -> AdminAccount:
        email = f"it-{uuid.uuid4().hex[:8]}@{name.lower()}.test"
        account_id = tenancy.create_account(db, name, email, PASSWORD)
        if plan:
            tenancy.create_calendar(db, account_id, f"{name} team", plan)
        return AdminAccount(account_id, email, PASSWORD)

    return make


class Browser:
    """A TestClient used the way a person uses the pages: read the form, then post it."""

    def __init__(self, app: Any) -> None:
        self.client = TestClient(app, base_url="http://enlist.test")

    def __enter__(self) -> Browser:
        self.client.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.client.__exit__(*exc_info)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def submit(
        self, page: str, action: str, data: dict[str, str] | None = None, **kwargs: Any
    ) -> Any:
        """Open `page`, take its CSRF token, and post `data` to `action`."""
        token = csrf_of(self.client.get(page).text)
        return self.client.post(action, data={"csrf_token": token, **(data or {})}, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD, **kwargs: Any) -> Any:
        return self.submit("/sign-in", "/sign-in", {"email": email, "password": password}, **kwargs)


@pytest.fixture
def browser(admin_app: Any) -> Iterator[Browser]:
    visitor = Browser(admin_app)
    with visitor.client:
        yield visitor


@pytest.fixture
def admin(make_admin: Any) -> AdminAccount:
    return make_admin()


@pytest.fixture
def signed_in(browser: Browser, admin: AdminAccount) -> Browser:
    response = browser.sign_in(admin.email)
    assert response.status_code == 200 and "Overview" in response.text, response.text
    return browser
