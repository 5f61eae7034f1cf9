"""Organization names tell organizations apart; the domain form shows the real link state and
says truly which emails a domain's secrets may provision."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.exc import IntegrityError

from enlist.domain.errors import Conflict
from enlist.services import activity, tenancy
from enlist.store.db import MIGRATIONS
from enlist.store.tables import accounts, organizations
from tests.admin.conftest import Browser
from tests.admin.test_domains import _verified_domain
from tests.conftest import POSTGRES_ADMIN_URL


def test_a_second_organization_of_the_same_name_in_another_case_is_refused(
    signed_in: Browser, admin: Any, db: Any
) -> None:
    first = signed_in.submit("/organizations", "/organizations", {"name": "Acme Sales"})
    assert first.status_code == 200 and "Added the organization Acme Sales" in first.text
    again = signed_in.submit("/organizations", "/organizations", {"name": "  acme SALES "})
    assert again.status_code == 400
    assert "There is already an organization named Acme Sales" in again.text
    assert [o.name for o in tenancy.organizations(db, admin.account_id)] == ["Acme Sales"]
    refused = [e for _, e in activity.newest(db, admin.account_id) if e.outcome == "refused"]
    assert refused and "already an organization named Acme Sales" in refused[0].detail


def test_the_same_name_in_two_accounts_is_fine(make_admin: Any, db: Any) -> None:
    one, two = make_admin("Acme"), make_admin("Globex")
    tenancy.create_organization(db, one.account_id, "Sales")
    tenancy.create_organization(db, two.account_id, "sales")
    with pytest.raises(Conflict):
        tenancy.create_organization(db, two.account_id, "SALES")


def test_the_database_refuses_a_duplicate_name_the_service_did_not_see(
    make_admin: Any, db: Any
) -> None:
    account = make_admin()
    tenancy.create_organization(db, account.account_id, "Sales")
    with pytest.raises(IntegrityError), db.write() as conn:
        conn.execute(
            insert(organizations).values(
                id=uuid.uuid4().hex, account_id=account.account_id, name="SALES", created=_NOW
            )
        )


def test_an_unlinked_domain_shows_the_placeholder_even_with_one_organization(
    signed_in: Browser, published: Any, admin: Any, db: Any
) -> None:
    tenancy.create_organization(db, admin.account_id, "Acme")
    domain_id = _verified_domain(signed_in, published)
    page = signed_in.get(f"/domains/{domain_id}").text
    assert '<option value="" selected>Choose an organization</option>' in page
    assert re.search(r'<option value="[0-9a-f]+">Acme</option>', page)
    assert "No organization is linked." in page


def test_a_linked_domain_shows_its_organization_and_no_placeholder(
    signed_in: Browser, published: Any, admin: Any, db: Any
) -> None:
    organization_id = tenancy.create_organization(db, admin.account_id, "Acme")
    domain_id = _verified_domain(signed_in, published)
    saved = signed_in.submit(
        f"/domains/{domain_id}", f"/domains/{domain_id}", {"organization_id": organization_id}
    )
    assert "is linked to Acme" in saved.text
    assert f'<option value="{organization_id}" selected>Acme</option>' in saved.text
    assert "Choose an organization" not in saved.text


def test_the_domain_page_names_every_verified_domain_whose_emails_are_accepted(
    signed_in: Browser, published: Any, admin: Any, db: Any
) -> None:
    first = _verified_domain(signed_in, published, "acme.com")
    _verified_domain(signed_in, published, "acme.org")
    tenancy.add_domain(db, admin.account_id, "acme.net")  # pending: not accepted
    page = signed_in.get(f"/domains/{first}").text
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert (
        "may provision people whose emails are on any verified domain of this account: "
        "@acme.com, @acme.org; emails on other domains are refused." in said
    )
    assert "@acme.net" not in said.split("may provision")[1]
    assert "Users must have emails" not in said


# the migration keeps existing duplicates, renamed ----------------------------------------

_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    """A database migrated up to the revision before the unique names."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        yield url
        return
    name = f"enlist_old_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_migration_renames_existing_duplicates_and_keeps_the_oldest_name(
    old_database: str,
) -> None:
    engine = create_engine(old_database)
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0010")
        conn.execute(
            insert(accounts).values(
                id="a1",
                name="Acme",
                email="it@acme.test",
                email_lower="it@acme.test",
                created=_NOW,
            )
        )
        for number, name in enumerate(["Sales", "sales", "SALES", "Sales (2)", "Support"]):
            conn.execute(
                insert(organizations).values(
                    id=f"o{number}",
                    account_id="a1",
                    name=name,
                    created=_NOW + timedelta(days=number),
                )
            )
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0012_console")
        names = dict(conn.execute(select(organizations.c.id, organizations.c.name)).all())
    engine.dispose()
    assert names == {
        "o0": "Sales",
        "o1": "sales (2)",
        "o2": "SALES (3)",
        "o3": "Sales (2) (2)",
        "o4": "Support",
    }
