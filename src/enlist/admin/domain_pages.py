"""Trusted Domains: add, prove ownership by DNS, link an organization, create and revoke secrets."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from starlette.responses import Response

from enlist.admin import sso_pages
from enlist.admin.providers import SetupGuide, guide_for
from enlist.admin.visit import PageRoute, Visit
from enlist.clock import now
from enlist.dns import TxtResolver
from enlist.domain.errors import EnlistError, InvalidValue, NotFound
from enlist.domain.tenancy import ScimSecret, TrustedDomain
from enlist.services import refusals, sealing, setup, tenancy

# A new secret travels from Save to the page that shows it in a cookie, sealed (encrypted and
# authenticated) and limited to that page's path; the page takes it and deletes the cookie, so
# a reload shows nothing and saves nothing (post/redirect/get).
NEW_SECRET_COOKIE = "enlist_new_secret"
NEW_SECRET_PURPOSE = "new scim secret"
NEW_SECRET_SECONDS = 600
# how long the domain page says a revoked or expired secret is still being tried
STILL_TRIED = timedelta(days=7)


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
    secrets = tenancy.domain_secrets(visit.db, account_id, domain.id)
    return visit.render(
        "domain.html",
        status_code=status,
        domain=domain,
        txt_record=tenancy.txt_record(domain),
        organizations=organizations,
        linked=linked,
        secrets=secrets,
        still_tried=_still_tried(visit, secrets),
        has_enterprise=tenancy.has_enterprise_calendar(visit.db, account_id),
        scim_base_url=visit.scim_base_url(),
        guide=_guide(visit),
        verify_error=verify_error,
        save_error=save_error,
        chosen=visit.field("organization_id") or domain.organization_id or "",
        verified_names=[d.name for d in tenancy.domains(visit.db, account_id) if d.verified],
        removal=setup.domain_removal(visit.db, account_id, domain.id),
        add_secret=bool(visit.field("add_secret")),
        secret_label=visit.field("secret_label"),
        secret_expires_in_days=visit.field("secret_expires_in_days"),
        **sso_pages.context(visit, domain, sso_check),
    )


def ago(moment: datetime, at: datetime) -> str:
    """How long ago, in the words a person uses: "just now", "2 min ago", "3 hours ago"."""
    seconds = max(0, int((at - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''} ago"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''} ago"


def _still_tried(visit: Visit, secrets: list[ScimSecret]) -> list[dict[str, Any]]:
    """The domain's revoked or expired secrets its identity provider still sends lately."""
    tried = refusals.refused_secrets(visit.db, visit.account_id)
    moment = now()
    found = []
    for secret in secrets:
        counts = tried.get(secret.id)
        if counts is None or moment - counts.last_tried > STILL_TRIED:
            continue
        expired = secret.expires_at is not None and secret.expires_at <= moment
        if secret.revoked_at is None and not expired:
            continue
        found.append(
            {
                "hint": secret.hint,
                "how": "revoked" if secret.revoked_at else "expired",
                "ago": ago(counts.last_tried, moment),
                "last_tried": counts.last_tried,
                "total": counts.total,
            }
        )
    return found


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
    path = _new_secret_path(domain)
    response = visit.redirect(path)
    shown = json.dumps({"id": created.id, "secret": created.secret, "changed": changed})
    sealed = sealing.seal(visit.db, visit.settings.secret_key, NEW_SECRET_PURPOSE, shown)
    signed = visit.site.signer.sign(NEW_SECRET_COOKIE, sealed)
    visit.site.set_cookie(
        visit.request, response, NEW_SECRET_COOKIE, signed, NEW_SECRET_SECONDS, path=path
    )
    return response


def _new_secret_path(domain: TrustedDomain) -> str:
    return f"/domains/{domain.id}/new-secret"


def _take_new_secret(visit: Visit, domain: TrustedDomain) -> dict[str, Any] | None:
    """The secret Save just created for `domain`, if the cookie carries one still active."""
    signed = visit.request.cookies.get(NEW_SECRET_COOKIE)
    sealed = visit.site.signer.unsign(NEW_SECRET_COOKIE, signed, NEW_SECRET_SECONDS)
    if not isinstance(sealed, str):
        return None
    plain = sealing.unseal(visit.db, visit.settings.secret_key, NEW_SECRET_PURPOSE, sealed)
    shown = json.loads(plain) if plain else None
    if not isinstance(shown, dict):
        return None
    active = {
        s.id
        for s in tenancy.domain_secrets(visit.db, visit.account_id, domain.id)
        if s.revoked_at is None
    }
    return shown if shown.get("id") in active else None


def new_secret_page(visit: Visit) -> Response:
    """The new secret, once: the cookie that carries it is deleted by this very response."""
    domain = _domain(visit)
    shown = _take_new_secret(visit, domain)
    if shown is None:
        response = visit.redirect(
            f"/domains/{domain.id}",
            "A new secret is shown only once, right after Save, and cannot be shown again. "
            "If you did not copy it, add another secret and revoke the one you lost.",
            "warning",
        )
    else:
        secret = str(shown["secret"])
        response = visit.render(
            "secret_created.html",
            domain=domain,
            secret=secret,
            hint=secret[:8] + "…",
            linked=bool(domain.organization_id),
            has_enterprise=tenancy.has_enterprise_calendar(visit.db, visit.account_id),
            scim_base_url=visit.scim_base_url(),
            guide=_guide(visit),
            changed=[str(c) for c in shown.get("changed", [])],
        )
    response.delete_cookie(NEW_SECRET_COOKIE, path=_new_secret_path(domain))
    return response


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
    ("/domains/{id}/new-secret", ["GET"], new_secret_page, False),
    ("/domains/{id}/verify", ["POST"], verify_domain, False),
    ("/domains/{id}/sso/check", ["POST"], check_sso, False),
    ("/domains/{id}/secrets/{secret_id}/revoke", ["POST"], revoke_secret, False),
]
