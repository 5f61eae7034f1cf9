"""Page actions that correct the setup: remove or unlink a domain, rename or delete an
organization, change a calendar's plan. The pages state each consequence before the button."""

from __future__ import annotations

from starlette.responses import Response

from enlist.admin.visit import PLAN_LABELS, PageRoute, Visit
from enlist.domain.errors import EnlistError, NotFound
from enlist.services import setup, tenancy


def _refused(
    visit: Visit, refused: EnlistError, action: str, what: str, back: str, resource_type: str
) -> Response:
    """Log the refusal and go back to the page, which shows why in plain words."""
    visit.record(
        action,
        "refused",
        f"{what}: {refused.detail}",
        resource_type=resource_type,
        resource_id=visit.request.path_params["id"],
    )
    return visit.redirect(back, f"{what}: {refused.detail}", "error")


def remove_domain(visit: Visit) -> Response:
    domain_id = visit.request.path_params["id"]
    try:
        removal = setup.remove_domain(visit.db, visit.account_id, domain_id, actor=visit.actor)
    except NotFound:
        raise
    except EnlistError as refused:
        return _refused(
            visit,
            refused,
            "domain.remove",
            "Could not remove the domain",
            f"/domains/{domain_id}",
            "Domain",
        )
    revoked = len(removal.active_secrets)
    said = f"; {revoked} secret{'s' if revoked != 1 else ''} revoked" if revoked else ""
    return visit.redirect("/domains", f"Removed {removal.domain.name}{said}.")


def unlink_domain(visit: Visit) -> Response:
    domain_id = visit.request.path_params["id"]
    try:
        domain = setup.unlink_domain(visit.db, visit.account_id, domain_id, actor=visit.actor)
    except NotFound:
        raise
    except EnlistError as refused:
        return _refused(
            visit,
            refused,
            "domain.unlink",
            "Could not unlink the domain",
            f"/domains/{domain_id}",
            "Domain",
        )
    return visit.redirect(
        f"/domains/{domain.id}",
        f"Unlinked {domain.name}: groups pushed through its secrets are refused until you link "
        "an organization again.",
    )


def rename_organization(visit: Visit) -> Response:
    organization_id = visit.request.path_params["id"]
    before = tenancy.account_organization(visit.db, visit.account_id, organization_id)
    try:
        after = setup.rename_organization(
            visit.db, visit.account_id, organization_id, visit.field("name"), actor=visit.actor
        )
    except EnlistError as refused:
        return _refused(
            visit,
            refused,
            "organization.rename",
            f"{before.name} was not renamed",
            f"/organizations/{organization_id}",
            "Organization",
        )
    if after.name == before.name:
        return visit.redirect(f"/organizations/{after.id}", "Nothing was changed.")
    return visit.redirect(f"/organizations/{after.id}", f"Renamed {before.name} to {after.name}.")


def delete_organization(visit: Visit) -> Response:
    organization_id = visit.request.path_params["id"]
    try:
        deletion = setup.delete_organization(
            visit.db, visit.account_id, organization_id, actor=visit.actor
        )
    except NotFound:
        raise
    except EnlistError as refused:
        return _refused(
            visit,
            refused,
            "organization.delete",
            "The organization was not deleted",
            f"/organizations/{organization_id}",
            "Organization",
        )
    unlinked = (
        f" {', '.join(deletion.domains)} now has no organization linked."
        if deletion.domains
        else ""
    )
    return visit.redirect(
        "/organizations", f"Deleted the organization {deletion.organization.name}.{unlinked}"
    )


def change_plan(visit: Visit) -> Response:
    calendar_id = visit.request.path_params["id"]
    try:
        changed = setup.set_calendar_plan(
            visit.db, visit.account_id, calendar_id, visit.field("plan"), actor=visit.actor
        )
    except NotFound:
        raise
    except EnlistError as refused:
        return _refused(
            visit, refused, "calendar.plan", "The plan was not changed", "/calendars", "Calendar"
        )
    name, plan = changed.calendar.name, PLAN_LABELS.get(changed.calendar.plan, "")
    if changed.before == changed.calendar.plan:
        return visit.redirect("/calendars", f"{name} is already on the {plan} plan.")
    if not changed.provisioning:
        return visit.redirect(
            "/calendars",
            f"{name} is now on the {plan} plan. No calendar is on Enterprise any more, so "
            "provisioning has stopped: every request from your identity provider is refused "
            "(403) until a calendar is on Enterprise again.",
            "warning",
        )
    return visit.redirect("/calendars", f"{name} is now on the {plan} plan.")


ROUTES: list[PageRoute] = [
    ("/domains/{id}/remove", ["POST"], remove_domain, False),
    ("/domains/{id}/unlink", ["POST"], unlink_domain, False),
    ("/organizations/{id}/rename", ["POST"], rename_organization, False),
    ("/organizations/{id}/delete", ["POST"], delete_organization, False),
    ("/calendars/{id}/plan", ["POST"], change_plan, False),
]
