"""What the identity provider provisioned (Users, Groups, read-only here) and the Activity log."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from enlist.admin.visit import PageRoute, Visit
from enlist.domain.access import Subject, SubjectType, describe, label, level_of
from enlist.domain.activity import Entry
from enlist.services import access, activity, directory, tenancy

PAGE_SIZE = 50
OUTCOMES = {"success": "Succeeded", "refused": "Refused", "error": "Failed"}
RESOURCE_TYPES = ["User", "Group", "Domain", "Secret", "Organization", "Calendar", "Admin"]
SOURCES = {"scim": "Identity provider (SCIM)", "admin": "Added by an admin"}


def _page_number(visit: Visit) -> int:
    try:
        return max(int(visit.param("page") or 1), 1)
    except ValueError:
        return 1


def users_page(visit: Visit) -> Response:
    text, status = visit.param("q"), visit.param("status")
    # (active, deleted) per status; users deleted by the identity provider show under All
    active, deleted = {
        "active": (True, False),
        "deactivated": (False, False),
        "deleted": (None, True),
    }.get(status, (None, None))
    page = _page_number(visit)
    total, users = directory.account_users(
        visit.db,
        visit.account_id,
        text=text,
        active=active,
        deleted=deleted,
        start_index=(page - 1) * PAGE_SIZE + 1,
        count=PAGE_SIZE,
    )
    return visit.render(
        "users.html",
        users=users,
        total=total,
        q=text,
        status=status if (active, deleted) != (None, None) else "",
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        sources=SOURCES,
    )


def user_page(visit: Visit) -> Response:
    listed = directory.account_user(visit.db, visit.account_id, visit.request.path_params["id"])
    history = activity.newest(
        visit.db, visit.account_id, limit=20, text=listed.user.fields.user_name
    )
    found = access.calendars_of(visit.db, visit.account_id, listed.user.id)
    return visit.render(
        "user.html",
        user=listed.user,
        calendars=[
            {
                "id": c.calendar_id,
                "name": c.calendar_name,
                "access": describe(level_of(c.rank), c.via),
            }
            for c in found.calendars
        ],
        source=SOURCES.get(listed.source, listed.source),
        history=_entries(visit, history),
    )


def groups_page(visit: Visit) -> Response:
    text = visit.param("q")
    page = _page_number(visit)
    total, groups = directory.account_groups(
        visit.db,
        visit.account_id,
        text=text,
        start_index=(page - 1) * PAGE_SIZE + 1,
        count=PAGE_SIZE,
    )
    organizations = {o.id: o for o in tenancy.organizations(visit.db, visit.account_id)}
    return visit.render(
        "groups.html",
        groups=groups,
        organizations=organizations,
        total=total,
        q=text,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
    )


def group_page(visit: Visit) -> Response:
    group = directory.account_group(visit.db, visit.account_id, visit.request.path_params["id"])
    organizations = {o.id: o for o in tenancy.organizations(visit.db, visit.account_id)}
    history = activity.newest(visit.db, visit.account_id, limit=20, resource_id=group.id)
    grants = access.grants_of(visit.db, visit.account_id, Subject(SubjectType.group, group.id))
    return visit.render(
        "group.html",
        group=group,
        grants=[
            {"id": g.calendar_id, "name": g.calendar_name, "level": label(g.level)} for g in grants
        ],
        organization=organizations.get(group.organization_id),
        history=_entries(visit, history),
    )


# Who did it, for actors without a name of their own on this page.
ACTOR_WORDS = {
    "person": "The person (single sign-on)",
    "sign-in": "Someone at the sign-in page",
    "system": "Enlist",
    "universal-logout": "The identity provider (Universal Logout)",
}


def _entries(visit: Visit, found: list[tuple[int, Entry]]) -> list[dict[str, Any]]:
    """Entries with who did it in words: the admin's email, or the secret and its domain."""
    secrets = tenancy.account_secrets(visit.db, visit.account_id)
    rows = []
    for position, entry in found:
        if entry.actor_type == "scim":
            secret = secrets.get(entry.actor)
            who = f"SCIM · {secret.domain} ({secret.hint})" if secret else "SCIM (a deleted secret)"
        elif entry.actor_type == "admin":
            who = entry.actor
        elif entry.actor_type in ACTOR_WORDS:
            who = ACTOR_WORDS.get(entry.actor, ACTOR_WORDS[entry.actor_type])
        else:
            who = "Operator (command line)"
        link = None
        if entry.resource_id and entry.outcome == "success":
            link = {
                "User": "/users/",
                "Group": "/groups/",
                "Domain": "/domains/",
                "Organization": "/organizations/",
                "Calendar": "/calendars/",
            }.get(entry.resource_type or "")
        rows.append(
            {
                "position": position,
                "entry": entry,
                "who": who,
                "outcome": OUTCOMES.get(entry.outcome, entry.outcome),
                "href": f"{link}{entry.resource_id}" if link else None,
            }
        )
    return rows


def activity_page(visit: Visit) -> Response:
    outcome = visit.param("outcome") if visit.param("outcome") in OUTCOMES else ""
    resource_type = visit.param("type") if visit.param("type") in RESOURCE_TYPES else ""
    text = visit.param("q")[:200]
    try:
        before = int(visit.param("before")) if visit.param("before") else None
    except ValueError:
        before = None
    found = activity.newest(
        visit.db,
        visit.account_id,
        limit=PAGE_SIZE + 1,
        before=before,
        outcome=outcome or None,
        resource_type=resource_type or None,
        text=text or None,
    )
    more = len(found) > PAGE_SIZE
    rows = _entries(visit, found[:PAGE_SIZE])
    return visit.render(
        "activity.html",
        rows=rows,
        outcome=outcome,
        resource_type=resource_type,
        q=text,
        outcomes=OUTCOMES,
        resource_types=RESOURCE_TYPES,
        older=rows[-1]["position"] if more and rows else None,
        paged=before is not None,
    )


ROUTES: list[PageRoute] = [
    ("/users", ["GET"], users_page, False),
    ("/users/{id}", ["GET"], user_page, False),
    ("/groups", ["GET"], groups_page, False),
    ("/groups/{id}", ["GET"], group_page, False),
    ("/activity", ["GET"], activity_page, False),
]
