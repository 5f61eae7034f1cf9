"""The account's identity provider preset: the overview and the domain pages give setup steps
in that provider's words, the admin changes it with a form, and SCIM answers never change."""

from __future__ import annotations

from typing import Any

import pytest

from enlist.services import activity, tenancy
from tests.admin.conftest import Browser

WORDS = {
    "okta": [
        "SCIM connector base URL",
        "Unique identifier field for users: userName.",
        "HTTP Header",
    ],
    "entra": ["Tenant URL", "Secret Token", "Provisioning Mode: Automatic."],
    "onelogin": ["SCIM Base URL", "SCIM Bearer Token"],
    "jumpcloud": ["Base URL", "Token Key", "Identity Management"],
    "google": ["Google Admin console", "Auto-provisioning", "Access token"],
    "generic": ["Authorization: Bearer &lt;secret&gt;", "RFC 9865"],
}


def test_the_overview_explains_okta_setup_by_default(signed_in: Browser) -> None:
    page = signed_in.get("/")
    assert page.status_code == 200
    assert "Connect Okta" in page.text
    for words in WORDS["okta"]:
        assert words in page.text
    assert 'value="http://enlist.test/scim/v2"' in page.text
    assert '<option value="okta" selected>Okta</option>' in page.text


@pytest.mark.parametrize("provider", ["entra", "onelogin", "jumpcloud", "google", "generic"])
def test_choosing_a_provider_tailors_the_overview_steps(
    signed_in: Browser, admin: Any, db: Any, provider: str
) -> None:
    response = signed_in.submit("/", "/provider", {"provider": provider})
    assert response.status_code == 200, response.text
    assert "Setup instructions are now for" in response.text  # the flash after the redirect
    assert tenancy.account_provider(db, admin.account_id).value == provider
    for words in WORDS[provider]:
        assert words in response.text, words
    assert "Unique identifier field for users" not in response.text
    assert f'<option value="{provider}" selected>' in response.text


def test_changing_the_provider_is_in_the_activity_log(
    signed_in: Browser, admin: Any, db: Any
) -> None:
    signed_in.submit("/", "/provider", {"provider": "entra"})
    entry = next(
        e for _, e in activity.newest(db, admin.account_id) if e.action == "account.provider"
    )
    assert entry.outcome == "success" and entry.actor_type == "admin" and entry.actor == admin.email
    assert entry.detail.startswith("Set the identity provider to Microsoft Entra ID (was Okta)")


def test_an_unknown_provider_is_refused_in_plain_words(
    signed_in: Browser, admin: Any, db: Any
) -> None:
    page = signed_in.submit("/", "/provider", {"provider": "ping"})
    assert page.status_code == 400
    assert "is not an identity provider Enlist knows" in page.text
    assert tenancy.account_provider(db, admin.account_id).value == "okta"
    entry = next(
        e for _, e in activity.newest(db, admin.account_id) if e.action == "account.provider"
    )
    assert entry.outcome == "refused"


def test_the_provider_form_needs_its_csrf_token(signed_in: Browser, admin: Any, db: Any) -> None:
    refused = signed_in.client.post("/provider", data={"provider": "entra", "csrf_token": "forged"})
    assert refused.status_code == 403
    assert tenancy.account_provider(db, admin.account_id).value == "okta"


def test_the_domain_and_secret_pages_speak_the_providers_words(
    signed_in: Browser, admin: Any, db: Any
) -> None:
    domain = tenancy.add_domain(db, admin.account_id, "acme.com", verified=True)
    tenancy.set_account_provider(db, admin.account_id, "entra")

    page = signed_in.get(f"/domains/{domain.id}")
    assert "Connect Microsoft Entra ID" in page.text and "Tenant URL" in page.text
    assert "Secret Token" in page.text and "SCIM connector base URL" not in page.text

    shown = signed_in.submit(f"/domains/{domain.id}", f"/domains/{domain.id}", {"add_secret": "1"})
    assert "This is the only time the secret is shown." in shown.text
    assert "Microsoft Entra ID: paste it as “Secret Token”." in shown.text
    assert "Microsoft Entra ID: paste it as “Tenant URL”." in shown.text


def test_scim_answers_are_the_same_whatever_the_preset(client: Any, scim: Any, db: Any) -> None:
    answers = []
    for provider in ("okta", "entra", "onelogin", "generic"):
        tenancy.set_account_provider(db, scim.tenant.account_id, provider)
        config = scim.get("/ServiceProviderConfig").json()
        missing = scim.get("/Users/00919288221112222")
        answers.append((config, missing.status_code, missing.json()))
    assert all(answer == answers[0] for answer in answers)
