"""Secrets as admins expect them: a label, who made it, an expiry chosen on the page, and
*Test connection* answering what the identity provider's test request gets."""

from __future__ import annotations

import html
import re
from typing import Any

from enlist.services import activity, tenancy
from enlist.store.db import Database
from tests.admin.conftest import AdminAccount, Browser

_SECRET = re.compile(r'id="scim-secret"[^>]*value="(enl_[^"]+)"')


def _domain(db: Database, admin: AdminAccount, linked: bool = True) -> str:
    domain = tenancy.add_domain(db, admin.account_id, "acme.com", verified=True)
    if linked:
        organization_id = tenancy.create_organization(db, admin.account_id, "Acme")
        tenancy.link_domain(db, "acme.com", organization_id)
    return domain.id


def _create(browser: Browser, domain_id: str, **fields: str) -> str:
    page = browser.submit(
        f"/domains/{domain_id}", f"/domains/{domain_id}", {"add_secret": "1", **fields}
    )
    found = _SECRET.search(page.text)
    assert found, page.text
    return found.group(1)


def test_a_labelled_secret_with_an_expiry_says_who_made_it(
    signed_in: Browser, admin: AdminAccount, db: Database
) -> None:
    domain_id = _domain(db, admin)
    _create(
        signed_in,
        domain_id,
        secret_label="  Okta   production ",
        secret_expires_in_days="90",
    )
    page = signed_in.get(f"/domains/{domain_id}").text
    assert "Okta production" in page and f"by {admin.email}" in page
    (secret,) = tenancy.domain_secrets(db, admin.account_id, domain_id)
    assert secret.label == "Okta production" and secret.created_by == admin.email
    assert secret.expires_at is not None
    assert 89 <= (secret.expires_at - secret.created).days <= 90
    entry = next(
        e for _, e in activity.newest(db, admin.account_id, limit=5) if e.action == "secret.create"
    )
    assert "“Okta production”" in entry.detail and "expiring on" in entry.detail


def test_a_made_up_lifetime_is_refused_in_words(
    signed_in: Browser, admin: AdminAccount, db: Database
) -> None:
    domain_id = _domain(db, admin)
    page = signed_in.submit(
        f"/domains/{domain_id}",
        f"/domains/{domain_id}",
        {"add_secret": "1", "secret_expires_in_days": "forever"},
    )
    assert page.status_code == 400
    assert "'forever' is not a number of days." in html.unescape(page.text)
    assert tenancy.domain_secrets(db, admin.account_id, domain_id) == []


def test_test_connection_answers_200_when_okta_would_get_in(
    signed_in: Browser, admin: AdminAccount, db: Database
) -> None:
    domain_id = _domain(db, admin)
    _create(signed_in, domain_id)
    (secret,) = tenancy.domain_secrets(db, admin.account_id, domain_id)
    page = signed_in.submit(
        f"/domains/{domain_id}", f"/domains/{domain_id}/secrets/{secret.id}/test"
    )
    assert page.status_code == 200
    assert "It works" in page.text and "200 OK" in page.text
    assert "filter=userName eq" in page.text and "startIndex=1&amp;count=1" in page.text
    entry = next(
        e for _, e in activity.newest(db, admin.account_id, limit=5) if e.action == "secret.test"
    )
    assert entry.actor == admin.email and "200 OK" in entry.detail


def test_test_connection_names_the_403_of_an_account_without_enterprise(
    signed_in: Browser, make_admin: Any, db: Database, browser: Browser
) -> None:
    basic = make_admin("Basic", plan="basic")
    browser.client.cookies.clear()
    browser.sign_in(basic.email)
    domain_id = _domain(db, basic, linked=False)
    created = tenancy.create_secret(db, "acme.com", basic.account_id, secret_key="")
    page = browser.submit(
        f"/domains/{domain_id}", f"/domains/{domain_id}/secrets/{created.id}/test"
    )
    assert "It does not work yet" in page.text
    assert "403 Forbidden" in page.text and "Enterprise" in page.text


def test_test_connection_says_401_for_a_revoked_secret(
    signed_in: Browser, admin: AdminAccount, db: Database
) -> None:
    domain_id = _domain(db, admin)
    created = tenancy.create_secret(db, "acme.com", admin.account_id, secret_key="")
    tenancy.revoke_secret(db, created.id)
    page = signed_in.submit(
        f"/domains/{domain_id}", f"/domains/{domain_id}/secrets/{created.id}/test"
    )
    assert "401 Unauthorized" in page.text and "is revoked" in page.text


def test_another_accounts_secret_cannot_be_tested(
    signed_in: Browser, admin: AdminAccount, make_admin: Any, db: Database
) -> None:
    domain_id = _domain(db, admin)
    other = make_admin("Globex")
    tenancy.add_domain(db, other.account_id, "globex.com", verified=True)
    theirs = tenancy.create_secret(db, "globex.com", other.account_id, secret_key="")
    page = signed_in.submit(
        f"/domains/{domain_id}", f"/domains/{domain_id}/secrets/{theirs.id}/test"
    )
    assert page.status_code == 404


def test_the_cli_lists_label_and_creator(db: Database, enlist: Any, make_admin: Any) -> None:
    admin = make_admin()
    tenancy.add_domain(db, admin.account_id, "acme.com", verified=True)
    enlist("secret", "create", "acme.com", "--label", "Okta staging", "--json")
    (listed,) = enlist("secret", "list", "acme.com", "--json")["secrets"]
    assert listed["label"] == "Okta staging" and listed["created_by"] is None
