"""No dead ends: a domain can be removed or unlinked, an organization renamed or deleted, a
calendar moved to another plan, on the pages and from the CLI, each consequence said first."""

from __future__ import annotations

import html
import re
from typing import Any

from enlist.services import activity, tenancy
from enlist.store.events import EventStore
from tests.admin.conftest import Browser
from tests.admin.test_directory_pages import _signed_in_as
from tests.admin.test_domains import _add_domain, _add_secret, _verified_domain


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _actions(db: Any, account_id: str) -> list[tuple[str, str]]:
    return [(e.action, e.outcome) for _, e in activity.newest(db, account_id)]


# removing a domain ----------------------------------------------------------------------


def test_a_mistyped_pending_domain_can_be_removed(signed_in: Browser, admin: Any, db: Any) -> None:
    domain_id, page = _add_domain(signed_in, "acme.cmo")
    assert "Removing acme.cmo cannot be undone." in _text(page.text)
    removed = signed_in.submit(f"/domains/{domain_id}", f"/domains/{domain_id}/remove")
    assert str(removed.url).endswith("/domains") and "Removed acme.cmo." in removed.text
    assert tenancy.domains(db, admin.account_id) == []
    assert signed_in.get(f"/domains/{domain_id}").status_code == 404
    assert ("domain.remove", "success") in _actions(db, admin.account_id)


def test_removing_a_domain_says_first_that_its_secrets_stop_and_then_they_do(
    signed_in: Browser, published: Any, admin: Any, db: Any, client: Any
) -> None:
    domain_id = _verified_domain(signed_in, published)
    secret, _ = _add_secret(signed_in, domain_id)
    page = _text(signed_in.get(f"/domains/{domain_id}").text)
    hint = secret[:8] + "…"
    assert (
        f"Its 1 active SCIM secret ({hint}) stop working at once: your identity provider "
        "gets 401 Unauthorized with them." in page
    )
    assert "People with emails @acme.com can no longer be provisioned or updated" in page
    scim = {"Authorization": f"Bearer {secret}"}
    assert client.get("/scim/v2/Users", headers=scim).status_code == 200
    removed = signed_in.submit(f"/domains/{domain_id}", f"/domains/{domain_id}/remove")
    assert "Removed acme.com; 1 secret revoked." in removed.text
    assert client.get("/scim/v2/Users", headers=scim).status_code == 401
    with db.read() as conn:
        sent = EventStore(conn).after(admin.account_id, 0, 1000)
    assert "secret.revoked" in [e.type for e in sent]


def test_another_accounts_domain_cannot_be_removed_or_unlinked(
    signed_in: Browser, make_admin: Any, db: Any
) -> None:
    other = make_admin("Globex")
    domain = tenancy.add_domain(db, other.account_id, "globex.com", verified=True)
    organization_id = tenancy.create_organization(db, other.account_id, "Globex")
    tenancy.link_domain(db, "globex.com", organization_id)
    for action in ("remove", "unlink"):
        token_page = signed_in.get("/domains")
        assert token_page.status_code == 200
        answer = signed_in.submit("/domains", f"/domains/{domain.id}/{action}")
        assert answer.status_code == 404
    assert tenancy.account_domain(db, other.account_id, domain.id).organization_id


# unlinking ------------------------------------------------------------------------------


def test_a_linked_domain_can_be_unlinked_and_the_form_shows_the_placeholder_again(
    signed_in: Browser, published: Any, admin: Any, db: Any
) -> None:
    organization_id = tenancy.create_organization(db, admin.account_id, "Acme")
    domain_id = _verified_domain(signed_in, published)
    linked = signed_in.submit(
        f"/domains/{domain_id}", f"/domains/{domain_id}", {"organization_id": organization_id}
    )
    assert "groups pushed through its secrets are refused until you link one again" in _text(
        linked.text
    )
    unlinked = signed_in.submit(f"/domains/{domain_id}", f"/domains/{domain_id}/unlink")
    assert "Unlinked acme.com" in unlinked.text
    assert '<option value="" selected>Choose an organization</option>' in unlinked.text
    assert tenancy.account_domain(db, admin.account_id, domain_id).organization_id is None
    assert ("domain.unlink", "success") in _actions(db, admin.account_id)


# organizations --------------------------------------------------------------------------


def test_an_organization_is_renamed_but_not_to_another_ones_name(
    signed_in: Browser, admin: Any, db: Any
) -> None:
    sales = tenancy.create_organization(db, admin.account_id, "Sales")
    tenancy.create_organization(db, admin.account_id, "Support")
    page = f"/organizations/{sales}"
    renamed = signed_in.submit(page, f"{page}/rename", {"name": "Field Sales"})
    assert "Renamed Sales to Field Sales." in renamed.text
    refused = signed_in.submit(page, f"{page}/rename", {"name": "SUPPORT"})
    assert "There is already an organization named Support" in refused.text
    empty = signed_in.submit(page, f"{page}/rename", {"name": "  "})
    assert "An organization needs a name." in empty.text
    names = sorted(o.name for o in tenancy.organizations(db, admin.account_id))
    assert names == ["Field Sales", "Support"]
    assert ("organization.rename", "refused") in _actions(db, admin.account_id)


def test_an_organization_with_groups_cannot_be_deleted_and_the_page_says_why(
    admin_app: Any, db: Any, tenant: Any, scim: Any
) -> None:
    scim.create_group("Engineering")
    client = _signed_in_as(admin_app, db, tenant)
    page = client.get(f"/organizations/{tenant.organization_id}")
    said = _text(page.text)
    assert "still holds 1 group, so it cannot be deleted" in said
    assert f'action="/organizations/{tenant.organization_id}/delete"' not in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    forced = client.post(
        f"/organizations/{tenant.organization_id}/delete", data={"csrf_token": token}
    )
    assert "still holds 1 group, so it cannot be deleted" in _text(forced.text)
    assert tenancy.account_organization(db, tenant.account_id, tenant.organization_id)


def test_deleting_an_organization_without_groups_unlinks_its_domain_as_said(
    signed_in: Browser, published: Any, admin: Any, db: Any
) -> None:
    organization_id = tenancy.create_organization(db, admin.account_id, "Acme")
    domain_id = _verified_domain(signed_in, published)
    tenancy.link_account_domain(db, admin.account_id, domain_id, organization_id)
    page = f"/organizations/{organization_id}"
    assert "acme.com will be linked to no organization" in _text(signed_in.get(page).text)
    deleted = signed_in.submit(page, f"{page}/delete")
    assert "Deleted the organization Acme. acme.com now has no organization linked." in (
        _text(deleted.text)
    )
    assert tenancy.organizations(db, admin.account_id) == []
    assert tenancy.account_domain(db, admin.account_id, domain_id).organization_id is None


# calendars ------------------------------------------------------------------------------


def test_the_page_warns_before_the_last_enterprise_calendar_moves_and_scim_stops(
    signed_in: Browser, admin: Any, db: Any
) -> None:
    (calendar,) = tenancy.calendars(db, admin.account_id)
    page = _text(signed_in.get("/calendars").text)
    assert "Your only Enterprise calendar: moving it to another plan stops provisioning" in page
    moved = signed_in.submit("/calendars", f"/calendars/{calendar.id}/plan", {"plan": "pro"})
    said = _text(moved.text)
    assert "is now on the Pro plan. No calendar is on Enterprise any more" in said
    assert "No Enterprise calendar." in said
    assert not tenancy.has_enterprise_calendar(db, admin.account_id)
    back = signed_in.submit("/calendars", f"/calendars/{calendar.id}/plan", {"plan": "enterprise"})
    assert "is now on the Enterprise plan." in back.text
    bad = signed_in.submit("/calendars", f"/calendars/{calendar.id}/plan", {"plan": "gold"})
    assert "The plan was not changed: 'gold' is not a plan" in _text(bad.text)
    assert tenancy.has_enterprise_calendar(db, admin.account_id)


def test_a_second_enterprise_calendar_means_no_warning(
    signed_in: Browser, admin: Any, db: Any
) -> None:
    tenancy.create_calendar(db, admin.account_id, "Second", "enterprise")
    assert "Your only Enterprise calendar" not in signed_in.get("/calendars").text


# the CLI ---------------------------------------------------------------------------------


def test_the_operator_corrects_the_setup_from_the_cli(enlist: Any, db: Any) -> None:
    account = tenancy.create_account(db, "Acme", "it@acme.io")
    calendar = tenancy.create_calendar(db, account, "Team", "enterprise")
    organization = tenancy.create_organization(db, account, "Sales")
    tenancy.add_domain(db, account, "acme.io", verified=True)
    tenancy.link_domain(db, "acme.io", organization)
    tenancy.create_secret(db, "acme.io", account, secret_key="")

    assert enlist("organization", "rename", organization, "--name", "Field", "--json") == {
        "id": organization,
        "name": "Field",
    }
    assert enlist("domain", "unlink", "acme.io", "--json") == {
        "name": "acme.io",
        "organization": None,
    }
    assert "not linked" in enlist("domain", "unlink", "acme.io", "--json", ok=False)
    assert enlist("organization", "delete", organization, "--json") == {
        "id": organization,
        "deleted": True,
        "unlinked": [],
    }
    assert enlist("domain", "remove", "acme.io", "--json") == {
        "name": "acme.io",
        "removed": True,
        "secrets_revoked": 1,
    }
    assert enlist("calendar", "plan", calendar, "--plan", "basic", "--json") == {
        "id": calendar,
        "plan": "basic",
        "was": "enterprise",
        "provisioning": False,
    }
    assert "no calendar" in enlist(
        "calendar", "plan", "nope", "--plan", "basic", "--json", ok=False
    )
    assert "no organization" in enlist("organization", "delete", "nope", "--json", ok=False)
    assert "no trusted domain" in enlist("domain", "remove", "acme.io", "--json", ok=False)
    # the operator's own changes are in the event feed, not in the customer's activity log
    assert tenancy.domains(db, account) == [] and tenancy.organizations(db, account) == []
    assert not tenancy.has_enterprise_calendar(db, account)


def test_a_pending_domain_shows_no_edit_panel_with_a_save_that_does_nothing(
    signed_in: Browser,
) -> None:
    domain_id, page = _add_domain(signed_in, "acme.com")
    assert "Verify now" in page.text
    assert f'<form method="post" action="/domains/{domain_id}" class="stack">' not in page.text
    assert ">Save<" not in page.text


def test_the_calendars_page_does_not_send_the_admin_to_itself(
    browser: Browser, make_admin: Any
) -> None:
    admin = make_admin("Initech", plan="basic")
    browser.sign_in(admin.email)
    calendars = browser.get("/calendars").text
    assert "No Enterprise calendar." in calendars
    assert 'href="/calendars">Go to Calendars' not in calendars
    assert "Move a calendar to Enterprise below, or add one." in calendars
    assert 'href="/calendars">Go to Calendars' in browser.get("/domains").text


def test_another_accounts_organization_and_calendar_answer_404_and_stay_as_they_are(
    signed_in: Browser, make_admin: Any, db: Any
) -> None:
    other = make_admin("Globex")
    organization_id = tenancy.create_organization(db, other.account_id, "Globex Staff")
    (calendar,) = tenancy.calendars(db, other.account_id)
    for action, data in (
        (f"/organizations/{organization_id}/rename", {"name": "Mine now"}),
        (f"/organizations/{organization_id}/delete", {}),
        (f"/calendars/{calendar.id}/plan", {"plan": "basic"}),
    ):
        assert signed_in.submit("/calendars", action, data).status_code == 404, action
    assert [o.name for o in tenancy.organizations(db, other.account_id)] == ["Globex Staff"]
    assert tenancy.has_enterprise_calendar(db, other.account_id)
