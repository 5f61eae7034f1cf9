"""Turns one SCIM write and its outcome into a plain-language activity entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from enlist.clock import now
from enlist.domain.activity import Entry
from enlist.domain.model import Tenant

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_VERBS = {"POST": "create", "PUT": "replace", "PATCH": "update", "DELETE": "delete"}


@dataclass
class Note:
    """What a handler says it did, for the activity log."""

    action: str
    resource_id: str | None
    name: str | None
    detail: str


def _resource_type(path: str) -> str | None:
    lowered = path.lower()
    if "/users" in lowered:
        return "User"
    if "/groups" in lowered:
        return "Group"
    return None


def _name_from_body(body: Any) -> str | None:
    if isinstance(body, dict):
        for key, value in body.items():
            if (
                isinstance(key, str)
                and key.lower() in ("username", "displayname")
                and isinstance(value, str)
            ):
                return value
    return None


def is_audited(method: str, path: str) -> bool:
    return method in WRITES and _resource_type(path) is not None and not path.endswith("/.search")


def entry(
    *,
    tenant: Tenant,
    method: str,
    path: str,
    path_id: str | None,
    body: Any,
    status: int,
    note: Note | None,
    failure: str | None,
    user_agent: str | None,
    request_id: str | None,
) -> Entry:
    kind = _resource_type(path)
    action = (
        note.action
        if note
        else f"{(kind or 'resource').lower()}.{_VERBS.get(method, method.lower())}"
    )
    name = (note.name if note else None) or _name_from_body(body) or path_id
    if failure is None and note is not None:
        outcome, detail = "success", note.detail
    elif status >= 500:
        outcome, detail = (
            "error",
            f"Failed {action} of {name or kind}: Enlist hit an internal error (logged).",
        )
    else:
        outcome = "refused"
        detail = f"Refused {name or kind}: {failure or 'the request was refused'}"
    return Entry(
        account_id=tenant.account_id,
        at=now(),
        actor_type="scim",
        actor=tenant.secret_id,
        action=action,
        resource_type=kind,
        resource_id=(note.resource_id if note else None) or path_id,
        resource_name=name,
        outcome=outcome,
        status=status,
        detail=detail,
        user_agent=user_agent,
        request_id=request_id,
    )
