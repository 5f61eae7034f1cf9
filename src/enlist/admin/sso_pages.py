"""The domain page's Single sign-on (OIDC) section: save, Check and Turn off."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from enlist.admin.providers import sso_guide_for
from enlist.admin.visit import PageRoute, Visit
from enlist.domain.errors import EnlistError
from enlist.domain.signin import issuer_url
from enlist.domain.tenancy import TrustedDomain
from enlist.services import signin, tenancy
from enlist.signin.oidc import Issuers, ProviderError

CALLBACK_PATH = "/oidc/authenticate"


def context(
    visit: Visit, domain: TrustedDomain, check: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What domain.html shows of single sign-on: the settings, the form, what to paste where."""
    sso = signin.sso_settings(visit.db, domain)
    base = visit.scim_base_url().removesuffix("/scim/v2")
    issuer = visit.field("sso_issuer") or (sso.issuer if sso else "")
    guide = sso_guide_for(tenancy.account_provider(visit.db, visit.account_id))
    initiate = f"{base}/login/sso"
    if issuer and not guide.adds_iss:
        initiate += "?" + urlencode({"iss": issuer})
    return {
        "sso": sso,
        "sso_form": {
            "issuer": issuer,
            "client_id": visit.field("sso_client_id") or (sso.client_id if sso else ""),
        },
        "sso_guide": guide,
        "sso_urls": {
            "redirect": base + CALLBACK_PATH,
            "initiate": initiate,
            "logout": base + "/login",
        },
        "sso_check": check,
    }


def wanted(visit: Visit, domain: TrustedDomain) -> bool:
    """Whether the saved form changes single sign-on (any field typed that differs)."""
    issuer, client = visit.field("sso_issuer"), visit.field("sso_client_id")
    secret = visit.field("sso_client_secret")
    if not (issuer or client or secret):
        return False
    sso = signin.sso_settings(visit.db, domain)
    return sso is None or bool(secret) or (issuer, client) != (sso.issuer, sso.client_id)


def save(visit: Visit, domain: TrustedDomain) -> str:
    """Save the section's fields (EnlistError when refused); what changed, in words."""
    sso = signin.configure_sso(
        visit.db,
        domain,
        visit.field("sso_issuer"),
        visit.field("sso_client_id"),
        visit.field("sso_client_secret") or None,
        secret_key=visit.settings.secret_key,
        actor=visit.actor,
    )
    return f"signs people in through {sso.issuer}"


def check(visit: Visit, domain: TrustedDomain) -> dict[str, Any]:
    """*Check*: fetch the typed (else the saved) issuer's discovery document and keys now;
    {"ok", "text"} in plain words."""
    sso = signin.sso_settings(visit.db, domain)
    typed = visit.field("sso_issuer") or (sso.issuer if sso else "")
    issuers = Issuers()
    try:
        metadata = issuers.check(issuer_url(typed))
    except EnlistError as problem:
        return {"ok": False, "text": problem.detail}
    except ProviderError as problem:
        return {"ok": False, "text": str(problem)}
    finally:
        issuers.close()
    return {
        "ok": True,
        "text": f"{metadata.issuer} answers: its discovery document and keys are fine, and it "
        "offers the authorization code flow Enlist uses.",
    }


def turn_off(visit: Visit) -> Response:
    domain = tenancy.account_domain(visit.db, visit.account_id, visit.request.path_params["id"])
    if not signin.turn_off_sso(visit.db, domain, actor=visit.actor):
        return visit.redirect(f"/domains/{domain.id}", "Single sign-on was already off.")
    return visit.redirect(
        f"/domains/{domain.id}",
        f"Single sign-on is off for {domain.name}; everyone signed in through it is signed out.",
    )


ROUTES: list[PageRoute] = [
    ("/domains/{id}/sso/off", ["POST"], turn_off, False),
]
