"""Trusted Domains: add, prove ownership by DNS, link an organization, create and revoke secrets."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import Response

from enlist.admin import sso_pages
from enlist.admin.providers import SetupGuide, guide_for
from enlist.admin.visit import PageRoute, Visit
from enlist.dns import TxtResolver
from enlist.domain.errors import EnlistError, InvalidValue, NotFound
from enlist.domain.tenancy import TrustedDomain
from enlist.services import tenancy


def domains_page(visit: Visit, status: int = 200, error: str | None = None) -> Response:
    account_id = visit.account_id
    organizations = {o.id: o for o in tenancy.organizations(visit.db, account_id)}
    rows = []
    for domain in tenancy.domains(visit.db, account_id):
        active = [
            s
            for s in tenancy.domain_secrets(visit.db, account_id, domain.id)
            if s.revoked_at is None
        ]
        used = [s.last_used for s in active if s.last_used]
        rows.append(
            {
                "domain": domain,
                "organization": organizations.get(domain.organization_id or ""),
                "secrets": len(active),
                "last_used": max(used) if used else None,
            }
        )
    return visit.render(
        "domains.html",
        status_code=status,
        rows=rows,
        error=error,
        has_enterprise=tenancy.has_enterprise_calendar(visit.db, account_id),
        form={"name": visit.field("name")},
    )


def add_domain(visit: Visit) -> Response:
    name = visit.field("name")
    try:
        domain = tenancy.add_domain(visit.db, visit.account_id, name, actor=visit.actor)
    except EnlistError as refused:
        return visit.refuse(
            refused,
            "domain.add",
            f"Refused to add the domain {name!r}",
            partial(domains_page, visit),
            resource_type="Domain",
            resource_name=name or None,
        )
    return visit.redirect(
        f"/domains/{domain.id}",
        f"Added {domain.name}. Publish the TXT record below in its DNS, then press Verify now.",
    )


def _guide(visit: Visit) -> SetupGuide:
    """The setup steps in the words of the account's identity provider."""
    return guide_for(tenancy.account_provider(visit.db, visit.account_id))


def _domain(visit: Visit) -> TrustedDomain:
    return tenancy.account_domain(visit.db, visit.account_id, visit.request.path_params["id"])


def _domain_page(
    visit: Visit,
    domain: TrustedDomain,
    *,
    status: int = 200,
    verify_error: str | None = None,
    save_error: str | None = None,
    sso_check: dict[str, Any] | None = None,
) -> Response:
    account_id = visit.account_id
    organizations = tenancy.organizations(visit.db, account_id)
    linked = next((o for o in organizations if o.id == domain.organization_id), None)
    return visit.render(
        "domain.html",
        status_code=status,
        domain=domain,
        txt_record=tenancy.txt_record(domain),
        organizations=organizations,
        linked=linked,
        secrets=tenancy.domain_secrets(visit.db, account_id, domain.id),
        has_enterprise=tenancy.has_enterprise_calendar(visit.db, account_id),
        scim_base_url=visit.scim_base_url(),
        guide=_guide(visit),
        verify_error=verify_error,
        save_error=save_error,
        chosen=visit.field("organization_id") or domain.organization_id or "",
        add_secret=bool(visit.field("add_secret")),
        secret_label=visit.field("secret_label"),
        secret_expires_in_days=visit.field("secret_expires_in_days"),
        **sso_pages.context(visit, domain, sso_check),
    )


def domain_page(visit: Visit) -> Response:
    return _domain_page(visit, _domain(visit))


def check_sso(visit: Visit) -> Response:
    """The single sign-on section's Check button: the page again, saying what was found."""
    domain = _domain(visit)
    return _domain_page(visit, domain, sso_check=sso_pages.check(visit, domain))


def verify_domain(visit: Visit) -> Response:
    domain = _domain(visit)
    if domain.verified:
        return visit.redirect(f"/domains/{domain.id}", f"{domain.name} is already verified.")
    lookup = TxtResolver(visit.settings.dns_server)
    try:
        verified = tenancy.verify_domain(
            visit.db, domain.name, lookup, visit.account_id, actor=visit.actor
        )
    except EnlistError as refused:
        return visit.refuse(
            refused,
            "domain.verify",
            f"Could not verify {domain.name}",
            lambda status, error: _domain_page(visit, domain, status=status, verify_error=error),
            resource_type="Domain",
            resource_id=domain.id,
            resource_name=domain.name,
        )
    return visit.redirect(
        f"/domains/{verified.id}",
        f"{verified.name} is verified. Now link an organization and add a SCIM secret.",
    )


def save_domain(visit: Visit) -> Response:
    """The edit form: link the chosen organization, and create a secret when asked to."""
    domain = _domain(visit)
    chosen, add_secret = visit.field("organization_id"), bool(visit.field("add_secret"))
    changed: list[str] = []
    try:
        if chosen and chosen != domain.organization_id:
            domain = tenancy.link_account_domain(
                visit.db, visit.account_id, domain.id, chosen, actor=visit.actor
            )
            organization = tenancy.account_organization(visit.db, visit.account_id, chosen)
            changed.append(f"is linked to {organization.name}")
        if sso_pages.wanted(visit, domain):
            changed.append(sso_pages.save(visit, domain))
        created = (
            tenancy.create_secret(
                visit.db,
                domain.name,
                visit.account_id,
                secret_key=visit.settings.secret_key,
                expires_in_days=_days(visit.field("secret_expires_in_days")),
                label=visit.field("secret_label"),
                actor=visit.actor,
            )
            if add_secret
            else None
        )
    except NotFound:
        raise
    except EnlistError as refused:
        what = "add a SCIM secret to" if add_secret else "save"
        return visit.refuse(
            refused,
            "secret.create" if add_secret else "domain.link",
            f"Could not {what} {domain.name}",
            lambda status, error: _domain_page(visit, domain, status=status, save_error=error),
            resource_type="Secret" if add_secret else "Domain",
            resource_id=domain.id,
            resource_name=domain.name,
        )
    if created is None:
        said = "; it ".join(changed)
        message = f"Saved: {domain.name} {said}." if changed else "Nothing was changed."
        return visit.redirect(f"/domains/{domain.id}", message)
    hint = created.secret[:8] + "…"
    return visit.render(
        "secret_created.html",
        domain=domain,
        secret=created.secret,
        hint=hint,
        linked=bool(domain.organization_id),
        has_enterprise=tenancy.has_enterprise_calendar(visit.db, visit.account_id),
        scim_base_url=visit.scim_base_url(),
        guide=_guide(visit),
        changed=changed,
    )


def _days(text: str) -> int | None:
    """The secret's lifetime chosen on the page ("" for never)."""
    if not text:
        return None
    if not text.isdigit():
        raise InvalidValue(f"{text!r} is not a number of days.")
    return int(text)


def revoke_secret(visit: Visit) -> Response:
    domain = _domain(visit)
    secret_id = visit.request.path_params["secret_id"]
    found = [
        s
        for s in tenancy.domain_secrets(visit.db, visit.account_id, domain.id)
        if s.id == secret_id
    ]
    if not found:
        raise NotFound(f"There is no SCIM secret {secret_id}.")
    tenancy.revoke_secret(visit.db, secret_id, visit.account_id, actor=visit.actor)
    return visit.redirect(
        f"/domains/{domain.id}",
        f"Revoked the secret {found[0].hint}. Requests that use it are refused from now on.",
    )


ROUTES: list[PageRoute] = [
    ("/domains", ["GET"], domains_page, False),
    ("/domains", ["POST"], add_domain, False),
    ("/domains/{id}", ["GET"], domain_page, False),
    ("/domains/{id}", ["POST"], save_domain, False),
    ("/domains/{id}/verify", ["POST"], verify_domain, False),
    ("/domains/{id}/sso/check", ["POST"], check_sso, False),
    ("/domains/{id}/secrets/{secret_id}/revoke", ["POST"], revoke_secret, False),
]
