"""Turns a refused or failed SCIM write into a plain-language activity entry."""

from __future__ import annotations

from typing import Any

from enlist.clock import now
from enlist.domain.activity import Entry
from enlist.domain.model import Tenant

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_VERBS = {"POST": "create", "PUT": "replace", "PATCH": "update", "DELETE": "delete"}


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


def refusal(
    *,
    tenant: Tenant,
    method: str,
    path: str,
    path_id: str | None,
    body: Any,
    status: int,
    failure: str,
    user_agent: str | None,
    request_id: str | None,
) -> Entry:
    """The entry of a SCIM write that was refused (4xx) or failed (5xx): nothing changed.

    Writes that went through are logged by their use case, in their own transaction.
    """
    kind = _resource_type(path)
    action = f"{(kind or 'resource').lower()}.{_VERBS.get(method, method.lower())}"
    name = _name_from_body(body) or path_id
    if status >= 500:
        outcome = "error"
        detail = f"Failed {action} of {name or kind}: Enlist hit an internal error (logged)."
    else:
        outcome = "refused"
        detail = f"Refused {name or kind}: {failure}"
    return Entry(
        account_id=tenant.account_id,
        at=now(),
        actor_type="scim",
        actor=tenant.secret_id,
        action=action,
        resource_type=kind,
        resource_id=path_id,
        resource_name=name,
        outcome=outcome,
        status=status,
        detail=detail,
        user_agent=user_agent,
        request_id=request_id,
    )
