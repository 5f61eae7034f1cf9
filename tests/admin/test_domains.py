"""Trusted Domains as an admin sets them up: TXT record, Verify now, link, secrets, revoke."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from enlist.app import create_app
from enlist.config import Settings
from enlist.services import activity, tenancy
from enlist.store.db import Database
from tests.admin.conftest import Browser, csrf_of

_SECRET = re.compile(r'id="scim-secret"[^>]*value="(enl_[^"]+)"')


def _add_domain(browser: Browser, name: str) -> tuple[str, Any]:
    page = browser.submit("/domains", "/domains", {"name": name})
    assert page.status_code == 200, page.text
    domain_id = str(page.url).rsplit("/", 1)[-1]
    return domain_id, page


def _verified_domain(browser: Browser, dns: Any, name: str = "acme.com") -> str:
    domain_id, page = _add_domain(browser, name)
    record = re.search(r"enlist-domain-verification=[0-9a-f]+", page.text).group(0)
    dns.publish(name, record)
    verified = browser.submit(f"/domains/{domain_id}", f"/domains/{domain_id}/verify")
    assert "is verified" in verified.text, verified.text
    return domain_id


def _organization(db: Any, account_id: str, name: str = "Acme") -> str:
    return tenancy.create_organization(db, account_id, name)


def _add_secret(
    browser: Browser, domain_id: str, organization_id: str | None = None
) -> tuple[str, Any]:
    data = {"add_secret": "1"}
    if organization_id:
        data["organization_id"] = organization_id
    page = browser.submit(f"/domains/{domain_id}", f"/domains/{domain_id}", data)
    assert page.status_code == 200, page.text
    found = _SECRET.search(page.text)
    assert found, page.text
    return found.group(1), page


def test_added_domain_shows_the_exact_txt_record_to_publish(
    signed_in: Browser, admin: Any, db: Any
) -> None:
    _, page = _add_domain(signed_in, "Acme.COM")
    (domain,) = tenancy.domains(db, admin.account_id)
    assert domain.name == "acme.com" and not domain.verified
    assert f'value="{tenancy.txt_record(domain)}"' in page.text
    assert "Pending verification" in page.text
    listing = signed_in.get("/domains")
    assert "acme.com" in listing.text and "Pending verification" in listing.text


def test_a_name_that_is_no_domain_is_refused_in_plain_words(signed_in: Browser) -> None:
    page = signed_in.submit("/domains", "/domains", {"name": "not a domain"})
    assert page.status_code == 400
    assert "is not a domain name such as example.com" in page.text


def test_verify_now_says_when_the_record_is_missing(signed_in: Browser, published: Any) -> None:
    domain_id, _ = _add_domain(signed_in, "acme.com")
    page = signed_in.submit(f"/domains/{domain_id}", f"/domains/{domain_id}/verify")
    assert page.status_code == 400
    assert "No TXT record was found on acme.com" in page.text
    assert "acme.com" in published.queries


def test_verify_now_says_when_the_record_is_wrong(signed_in: Browser, published: Any) -> None:
    domain_id, _ = _add_domain(signed_in, "acme.com")
    published.publish("acme.com", "enlist-domain-verification=0000")
    page = signed_in.submit(f"/domains/{domain_id}", f"/domains/{domain_id}/verify")
    assert page.status_code == 400
    assert "does not match the expected" in page.text


def test_verify_now_finds_the_published_record(
    signed_in: Browser, published: Any, admin: Any, db: Any
) -> None:
    domain_id = _verified_domain(signed_in, published)
    assert tenancy.account_domain(db, admin.account_id, domain_id).verified
    page = signed_in.get(f"/domains/{domain_id}")
    assert "Verified" in page.text and "+ Add SCIM Secret" in page.text
    actions = [(e.action, e.outcome) for _, e in activity.newest(db, admin.account_id)]
    assert ("domain.verify", "success") in actions


def test_a_domain_verified_by_another_account_cannot_be_verified(
    signed_in: Browser, published: Any, make_admin: Any, db: Any
) -> None:
    other = make_admin("Globex")
    tenancy.add_domain(db, other.account_id, "acme.com", verified=True)
    domain_id, page = _add_domain(signed_in, "acme.com")
    published.publish(
        "acme.com", re.search(r"enlist-domain-verification=[0-9a-f]+", page.text).group(0)
    )
    refused = signed_in.submit(f"/domains/{domain_id}", f"/domains/{domain_id}/verify")
    assert refused.status_code == 400
    assert "already verified by another account" in refused.text


def test_warnings_for_no_enterprise_calendar_and_no_linked_organization(
    browser: Browser, make_admin: Any, published: Any
) -> None:
    admin = make_admin("Initech", plan="basic")
    browser.sign_in(admin.email)
    domain_id = _verified_domain(browser, published, "initech.com")
    page = browser.get(f"/domains/{domain_id}")
    assert "No Enterprise calendar." in page.text
    assert "No organization is linked." in page.text
    assert "No Enterprise calendar." in browser.get("/calendars").text


def test_secret_is_shown_once_and_works_for_scim(
    signed_in: Browser, published: Any, admin: Any, db: Any
) -> None:
    domain_id = _verified_domain(signed_in, published)
    organization_id = _organization(db, admin.account_id)
    secret, page = _add_secret(signed_in, domain_id, organization_id)
    assert "This is the only time the secret is shown." in page.text
    assert 'value="http://enlist.test/scim/v2"' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert (
        tenancy.account_domain(db, admin.account_id, domain_id).organization_id == organization_id
    )

    # Only once: the domain page lists it by its hint, never in full.
    again = signed_in.get(f"/domains/{domain_id}")
    assert secret not in again.text
    assert secret[:8] + "…" in again.text
    # ...and nowhere in the activity log.
    assert all(secret not in e.detail for _, e in activity.newest(db, admin.account_id))

    pushed = signed_in.client.post(
        "/scim/v2/Users",
        headers={"Authorization": f"Bearer {secret}"},
        json={"userName": "jane@acme.com", "emails": [{"value": "jane@acme.com", "primary": True}]},
    )
    assert pushed.status_code == 201, pushed.text


def test_no_secret_for_a_domain_that_is_not_verified(
    signed_in: Browser, admin: Any, db: Any
) -> None:
    domain_id, _ = _add_domain(signed_in, "acme.com")
    page = signed_in.submit(f"/domains/{domain_id}", f"/domains/{domain_id}", {"add_secret": "1"})
    assert page.status_code == 400
    assert "is not verified yet" in page.text
    assert tenancy.domain_secrets(db, admin.account_id, domain_id) == []


def test_saving_without_a_new_secret_only_links_the_organization(
    signed_in: Browser, published: Any, admin: Any, db: Any
) -> None:
    domain_id = _verified_domain(signed_in, published)
    organization_id = _organization(db, admin.account_id, "Acme Staff")
    page = signed_in.submit(
        f"/domains/{domain_id}", f"/domains/{domain_id}", {"organization_id": organization_id}
    )
    assert "Saved: acme.com is linked to Acme Staff." in page.text
    assert "No organization is linked." not in page.text
    assert tenancy.domain_secrets(db, admin.account_id, domain_id) == []


def test_revoked_secret_gets_401_from_the_scim_api(
    signed_in: Browser, published: Any, admin: Any, db: Any
) -> None:
    domain_id = _verified_domain(signed_in, published)
    secret, _ = _add_secret(signed_in, domain_id, _organization(db, admin.account_id))
    bearer = {"Authorization": f"Bearer {secret}"}
    assert signed_in.client.get("/scim/v2/Users", headers=bearer).status_code == 200
    (listed,) = tenancy.domain_secrets(db, admin.account_id, domain_id)
    page = signed_in.submit(
        f"/domains/{domain_id}", f"/domains/{domain_id}/secrets/{listed.id}/revoke"
    )
    assert page.status_code == 200
    assert "Revoked the secret" in page.text and "Revoked" in page.text
    refused = signed_in.client.get("/scim/v2/Users", headers=bearer)
    assert refused.status_code == 401
    assert refused.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_another_accounts_domain_and_secret_answer_404(
    signed_in: Browser, admin: Any, make_admin: Any, make_tenant: Any, db: Any
) -> None:
    other = make_tenant("globex.com")
    (other_domain,) = tenancy.domains(db, other.account_id)
    own_page = signed_in.get("/domains")
    token = csrf_of(own_page.text)
    post = signed_in.client.post

    assert signed_in.get(f"/domains/{other_domain.id}").status_code == 404
    assert signed_in.get("/domains/0123456789abcdef0123456789abcdef").status_code == 404
    assert post(f"/domains/{other_domain.id}/verify", data={"csrf_token": token}).status_code == 404
    assert (
        post(
            f"/domains/{other_domain.id}", data={"csrf_token": token, "add_secret": "1"}
        ).status_code
        == 404
    )
    revoke = f"/domains/{other_domain.id}/secrets/{other.secret_id}/revoke"
    assert post(revoke, data={"csrf_token": token}).status_code == 404
    assert signed_in.get(f"/organizations/{other.organization_id}").status_code == 404

    # Through one's own domain, the other account's secret is still not found.
    own = tenancy.add_domain(db, admin.account_id, "acme.com", verified=True)
    own_revoke = f"/domains/{own.id}/secrets/{other.secret_id}/revoke"
    assert post(own_revoke, data={"csrf_token": token}).status_code == 404
    # Nor can one link one's domain to the other account's organization.
    linked = post(
        f"/domains/{own.id}", data={"csrf_token": token, "organization_id": other.organization_id}
    )
    assert linked.status_code == 404
    assert tenancy.account_domain(db, admin.account_id, own.id).organization_id is None

    # The other account's secret still works.
    assert signed_in.client.get("/scim/v2/Users", headers=other.headers).status_code == 200


def test_admin_changes_are_in_the_activity_log(
    signed_in: Browser, published: Any, admin: Any, db: Any
) -> None:
    domain_id, _ = _add_domain(signed_in, "acme.com")
    signed_in.submit(f"/domains/{domain_id}", f"/domains/{domain_id}/verify")  # record missing
    entries = [e for _, e in activity.newest(db, admin.account_id)]
    assert entries[0].action == "domain.verify" and entries[0].outcome == "refused"
    assert "No TXT record was found" in entries[0].detail
    assert entries[1].action == "domain.add" and entries[1].outcome == "success"
    assert {e.actor for e in entries} == {admin.email}
    page = signed_in.get("/activity?outcome=refused")
    assert "Could not verify acme.com" in page.text
    assert "Added the trusted domain" not in page.text


def test_the_secret_key_an_app_is_made_with_is_the_one_its_secrets_use(
    admin_settings: Settings, db: Database, admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """create_app(Settings(secret_key=...)) digests the secrets it issues under that key,
    whatever the environment says: apps made with the same key accept them, others refuse."""
    monkeypatch.delenv("ENLIST_SECRET_KEY", raising=False)
    domain = tenancy.add_domain(db, admin.account_id, "acme.com", verified=True)
    organization_id = _organization(db, admin.account_id)

    def app_with(secret_key: str) -> Any:
        return create_app(admin_settings.model_copy(update={"secret_key": secret_key}), db)

    with Browser(app_with("k1")) as issuing:
        issuing.sign_in(admin.email)
        secret, _ = _add_secret(issuing, domain.id, organization_id)

    def status_with(secret_key: str) -> int:
        with TestClient(app_with(secret_key), base_url="http://enlist.test") as client:
            bearer = {"Authorization": f"Bearer {secret}"}
            return int(client.get("/scim/v2/Users", headers=bearer).status_code)

    assert status_with("k1") == 200
    assert status_with("k2") == 401
    assert status_with("") == 401  # nor is it the key kept in the database
