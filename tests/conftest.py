"""Shared fixtures: a real database per backend (SQLite file, PostgreSQL when reachable),
the real ASGI app, and tenants set up through the same services the CLI uses."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from enlist.app import create_app
from enlist.config import Settings
from enlist.services import tenancy
from enlist.store.db import Database
from enlist.store.tables import metadata
from tests.e2e.loopback_dns import LoopbackDns, loopback_dns
from tests.helpers import assert_prints_what_the_docs_say
from tests.openid_provider import ENLIST_CLIENT, JANE, SAM, OpenIdProvider

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)

POSTGRES_ADMIN_URL = os.environ.get(
    "ENLIST_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def _backends() -> list[str]:
    wanted = os.environ.get("ENLIST_TEST_BACKENDS")
    if wanted:
        return [b.strip() for b in wanted.split(",") if b.strip()]
    if _postgres_reachable():
        return ["sqlite", "postgresql"]
    if os.environ.get("CI"):  # CI must prove both backends; never pass on SQLite alone
        raise RuntimeError(
            "PostgreSQL is not reachable on 127.0.0.1:5432, and CI runs on both backends"
        )
    return ["sqlite"]


@pytest.fixture(scope="session")
def dns_server() -> Iterator[LoopbackDns]:
    """A real DNS server on loopback for the whole session (tests/e2e/loopback_dns.py)."""
    with loopback_dns() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    name = f"enlist_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'enlist.db'}"


@pytest.fixture(scope="session")
def _session_db(database_url: str) -> Iterator[Database]:
    db = Database.open(database_url)
    yield db
    db.dispose()


@pytest.fixture
def db(_session_db: Database) -> Database:
    """The session's database, emptied before each test (but for the server keys, which a
    running process reads once and keeps, as a real deployment never deletes them, and the
    tenancy generation, which only ever counts up)."""
    with _session_db.write() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name not in ("server_keys", "tenancy_generation"):
                conn.execute(table.delete())
    return _session_db


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture
def app(settings: Settings, db: Database) -> Any:
    return create_app(settings, db)


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from starlette.testclient import TestClient

    with TestClient(app, base_url="http://enlist.test") as test_client:
        yield test_client


@dataclass
class TenantSetup:
    """An account ready for SCIM: what a test needs to act as its identity provider."""

    account_id: str
    organization_id: str | None
    domain: str
    token: str
    secret_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_tenant(db: Database, settings: Settings) -> Any:
    def make(
        domain: str = "example.com",
        *,
        plan: str = "enterprise",
        linked: bool = True,
        name: str | None = None,
        password: str | None = None,
    ) -> TenantSetup:
        label = name or domain
        account_id = tenancy.create_account(
            db, label, f"admin-{uuid.uuid4().hex[:8]}@{domain}", password
        )
        tenancy.create_calendar(db, account_id, f"{label} calendar", plan)
        organization_id = tenancy.create_organization(db, account_id, f"{label} org")
        tenancy.add_domain(db, account_id, domain, verified=True)
        if linked:
            tenancy.link_domain(db, domain, organization_id)
        secret = tenancy.create_secret(db, domain, account_id, secret_key=settings.secret_key)
        return TenantSetup(
            account_id, organization_id if linked else None, domain, secret.secret, secret.id
        )

    return make


@pytest.fixture
def tenant(make_tenant: Any) -> TenantSetup:
    return make_tenant()


class Scim:
    """A SCIM client speaking to the app as an identity provider would."""

    def __init__(self, client: Any, tenant: TenantSetup) -> None:
        self.client = client
        self.tenant = tenant

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.tenant.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, "/scim/v2" + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("PUT", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    # shorthands for scenario tests
    def create_user(self, user_name: str, **extra: Any) -> dict[str, Any]:
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            "emails": [{"value": user_name, "type": "work", "primary": True}],
            "active": True,
            **extra,
        }
        response = self.post("/Users", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def create_group(self, name: str, members: list[str] | None = None) -> dict[str, Any]:
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": name,
            "members": [{"value": m} for m in members or []],
        }
        response = self.post("/Groups", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())


@pytest.fixture
def scim(client: Any, tenant: TenantSetup) -> Scim:
    return Scim(client, tenant)


@pytest.fixture(scope="session")
def _session_openid_provider() -> Iterator[OpenIdProvider]:
    with OpenIdProvider([ENLIST_CLIENT], [JANE, SAM]) as provider:
        yield provider


@pytest.fixture
def openid_provider(_session_openid_provider: OpenIdProvider) -> OpenIdProvider:
    """The session's OpenID Provider (one node process), reset before each test to its
    ENLIST_CLIENT and the accounts JANE and SAM, with no pending tampering; keys stay rotated."""
    _session_openid_provider.reset()
    return _session_openid_provider


@pytest.fixture
def enlist(db: Database, database_url: str) -> Any:
    """Run the command as an operator would, against the test database."""

    def run(*args: str, ok: bool = True) -> Any:
        done = subprocess.run(
            [sys.executable, "-m", "enlist", *args, "--database-url", database_url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if ok:
            assert done.returncode == 0, done.stderr
            lines = done.stdout.strip().splitlines()
            assert len(lines) == 1, done.stdout
            printed = json.loads(lines[0])
            assert_prints_what_the_docs_say(args, printed)
            return printed
        assert done.returncode != 0 and done.stdout == ""
        reason = done.stderr.strip()
        assert reason and "\n" not in reason and "Traceback" not in reason
        return reason

    return run


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
