"""Pages of the account itself: sign-in and sign-out, the overview, calendars, organizations."""

from __future__ import annotations

from functools import partial

from starlette.responses import Response

from enlist.admin.providers import choices, guide_for
from enlist.admin.visit import PRESESSION_COOKIE, SESSION_COOKIE, Admin, PageRoute, Visit
from enlist.domain.errors import EnlistError, RateLimited, Unauthorized
from enlist.domain.model import Plan
from enlist.services import activity, directory, sessions, setup, tenancy


def _safe_next(target: str) -> str:
    """Only a path on this site (never //host or a scheme), else the overview."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


# signing in and out -------------------------------------------------------------------


def sign_in_page(visit: Visit) -> Response:
    if visit.admin is not None:
        return visit.redirect(_safe_next(visit.param("next")))
    return _sign_in_form(visit)


def _sign_in_form(
    visit: Visit, status: int = 200, error: str | None = None, email: str = ""
) -> Response:
    if not visit.request.cookies.get(PRESESSION_COOKIE):
        visit.presession = visit.site.new_presession()
        visit.cookies_to_set.append((PRESESSION_COOKIE, visit.presession, 3600))
    next_path = visit.field("next") or visit.param("next")
    return visit.render(
        "sign_in.html", status_code=status, error=error, email=email, next=_safe_next(next_path)
    )


def sign_in(visit: Visit) -> Response:
    email, password = visit.field("email"), visit.form.get("password") if visit.form else None
    if not email or not isinstance(password, str) or not password:
        return _sign_in_form(visit, 400, "Enter your email and password.", email)
    client = visit.request.client.host if visit.request.client else None
    try:
        session = sessions.sign_in(
            visit.db,
            email,
            password,
            client,
            visit.site.sign_in_limit,
            user_agent=visit.request.headers.get("user-agent"),
        )
    except RateLimited as refused:
        response = _sign_in_form(visit, 429, refused.detail, email)
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    except Unauthorized as refused:
        return _sign_in_form(visit, 400, refused.detail, email)
    signed_in = sessions.current_session(visit.db, session.token)
    assert signed_in is not None
    response = visit.redirect(_safe_next(visit.field("next")))
    cookie = visit.site.signer.sign("session", session.token)
    lifetime = int(sessions.SESSION_LIFETIME.total_seconds())
    visit.site.set_cookie(visit.request, response, SESSION_COOKIE, cookie, lifetime)
    response.delete_cookie(PRESESSION_COOKIE, path="/")
    visit.admin = Admin.of(signed_in, session.token)
    visit.record(
        "admin.sign_in",
        "success",
        f"{signed_in.email} signed in.",
        resource_type="Admin",
        resource_name=signed_in.email,
    )
    return response


def sign_out(visit: Visit) -> Response:
    assert visit.admin is not None
    sessions.sign_out(visit.db, visit.admin.token)
    response = visit.redirect("/sign-in", "You are signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# the overview: where the setup stands -----------------------------------------------------


def overview(visit: Visit, status: int = 200, provider_error: str | None = None) -> Response:
    account_id = visit.account_id
    guide = guide_for(tenancy.account_provider(visit.db, account_id))
    domains = tenancy.domains(visit.db, account_id)
    verified = [d for d in domains if d.verified]
    linked = [d for d in verified if d.organization_id]
    all_secrets = [s for d in verified for s in tenancy.domain_secrets(visit.db, account_id, d.id)]
    active_secrets = [s for s in all_secrets if s.revoked_at is None]
    used = [s.last_used for s in all_secrets if s.last_used]
    counts = directory.directory_counts(visit.db, account_id)
    steps = [
        {
            "done": tenancy.has_enterprise_calendar(visit.db, account_id),
            "title": "An Enterprise calendar",
            "text": "Provisioning is part of the Enterprise plan.",
            "href": "/calendars",
            "action": "Calendars",
        },
        {
            "done": bool(verified),
            "title": "A verified trusted domain",
            "text": "Users' emails must be on a domain you have proved you own.",
            "href": "/domains",
            "action": "Trusted Domains",
        },
        {
            "done": bool(linked),
            "title": "An organization linked to the domain",
            "text": "Groups from your identity provider land in that organization.",
            "href": f"/domains/{verified[0].id}" if verified else "/domains",
            "action": "Link an organization",
        },
        {
            "done": bool(active_secrets),
            "title": "A SCIM secret in your identity provider",
            "text": (
                f"Create it on the domain's page and paste it into {guide.label} "
                "with the SCIM base URL."
            ),
            "href": f"/domains/{verified[0].id}" if verified else "/domains",
            "action": "Add a SCIM secret",
        },
        {
            "done": counts.users > 0,
            "title": "Your first provisioned user",
            "text": "Assign someone to the app in your identity provider; they appear under Users.",
            "href": "/users",
            "action": "Users",
        },
    ]
    recent = activity.newest(visit.db, account_id, limit=5)
    return visit.render(
        "overview.html",
        status_code=status,
        guide=guide,
        providers=choices(),
        provider_error=provider_error,
        steps=steps,
        counts=counts,
        last_used=max(used) if used else None,
        recent=[entry for _, entry in recent],
        scim_base_url=visit.scim_base_url(),
    )


def change_provider(visit: Visit) -> Response:
    """The overview's form: which identity provider the setup instructions speak to."""
    chosen = visit.field("provider")
    try:
        provider = tenancy.set_account_provider(
            visit.db, visit.account_id, chosen, actor=visit.actor
        )
    except EnlistError as refused:
        return visit.refuse(
            refused,
            "account.provider",
            f"Refused to set the identity provider to {chosen!r}",
            partial(overview, visit),
            resource_type="Account",
            resource_id=visit.account_id,
        )
    after = guide_for(provider)
    return visit.redirect("/", f"Setup instructions are now for {after.label}.")


# calendars ------------------------------------------------------------------------------


def calendars_page(visit: Visit, status: int = 200, error: str | None = None) -> Response:
    calendars = tenancy.calendars(visit.db, visit.account_id)
    return visit.render(
        "calendars.html",
        status_code=status,
        calendars=calendars,
        plans=[p.value for p in Plan],
        has_enterprise=tenancy.has_enterprise_calendar(visit.db, visit.account_id),
        error=error,
        form={"name": visit.field("name"), "plan": visit.field("plan") or Plan.enterprise.value},
    )


def add_calendar(visit: Visit) -> Response:
    name, plan = visit.field("name"), visit.field("plan")
    try:
        tenancy.create_calendar(visit.db, visit.account_id, name, plan, actor=visit.actor)
    except EnlistError as refused:
        return visit.refuse(
            refused,
            "calendar.create",
            f"Refused to add calendar {name!r}",
            partial(calendars_page, visit),
            resource_type="Calendar",
            resource_name=name or None,
        )
    return visit.redirect("/calendars", f"Added the calendar {name}.")


# organizations ----------------------------------------------------------------------------


def organizations_page(visit: Visit, status: int = 200, error: str | None = None) -> Response:
    account_id = visit.account_id
    organizations = tenancy.organizations(visit.db, account_id)
    counts = directory.organization_counts(visit.db, account_id)
    domains = tenancy.domains(visit.db, account_id)
    rows = [
        {
            "organization": o,
            "groups": counts.get(o.id, (0, 0))[0],
            "members": counts.get(o.id, (0, 0))[1],
            "domains": [d for d in domains if d.organization_id == o.id],
        }
        for o in organizations
    ]
    return visit.render(
        "organizations.html",
        status_code=status,
        rows=rows,
        error=error,
        form={"name": visit.field("name")},
    )


def add_organization(visit: Visit) -> Response:
    name = visit.field("name")
    try:
        organization_id = tenancy.create_organization(
            visit.db, visit.account_id, name, actor=visit.actor
        )
    except EnlistError as refused:
        return visit.refuse(
            refused,
            "organization.create",
            "Refused to add organization",
            partial(organizations_page, visit),
            resource_type="Organization",
        )
    return visit.redirect(f"/organizations/{organization_id}", f"Added the organization {name}.")


def organization_page(visit: Visit) -> Response:
    account_id = visit.account_id
    organization = tenancy.account_organization(
        visit.db, account_id, visit.request.path_params["id"]
    )
    total, groups = directory.account_groups(
        visit.db, account_id, organization_id=organization.id, count=200
    )
    members = directory.organization_members(visit.db, account_id, organization.id)
    domains = [
        d for d in tenancy.domains(visit.db, account_id) if d.organization_id == organization.id
    ]
    return visit.render(
        "organization.html",
        organization=organization,
        groups=groups,
        group_total=total,
        members=members,
        domains=domains,
        deletion=setup.organization_deletion(visit.db, account_id, organization.id),
    )


ROUTES: list[PageRoute] = [
    ("/sign-in", ["GET"], sign_in_page, True),
    ("/sign-in", ["POST"], sign_in, True),
    ("/sign-out", ["POST"], sign_out, False),
    ("/", ["GET"], overview, False),
    ("/provider", ["POST"], change_provider, False),
    ("/calendars", ["GET"], calendars_page, False),
    ("/calendars", ["POST"], add_calendar, False),
    ("/organizations", ["GET"], organizations_page, False),
    ("/organizations", ["POST"], add_organization, False),
    ("/organizations/{id}", ["GET"], organization_page, False),
]
