"""What a change did, in data and in plain words: for the activity log and the event feed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from enlist.domain.model import Email, UserFields
from enlist.domain.schema import ENTERPRISE_USER, USER, Attribute, Kind, Schema

# How many people an activity entry names before it says "and N more".
NAMED = 5


def _emails(emails: list[Email]) -> list[str]:
    return [e.value for e in emails]


def _value(holder: Any, schema: Schema, attribute: Attribute) -> Any:
    """An attribute's value as the activity log and events show it (JSON-able)."""
    if attribute.name == "emails":
        return _emails(holder.emails)
    if attribute.kind is Kind.COMPLEX and attribute.field == "name":
        return dict(holder.name) or None
    if schema is ENTERPRISE_USER and attribute.name == "manager":
        return holder.manager_id
    if attribute.field is None:
        return None
    value = getattr(holder, attribute.field)
    return list(value) if isinstance(value, list) else value


def user_differences(before: UserFields, after: UserFields) -> dict[str, list[Any]]:
    """{SCIM attribute path: [before, after]} for every attribute that differs."""
    found: dict[str, list[Any]] = {}
    for schema, old, new in (
        (USER, before, after),
        (ENTERPRISE_USER, before.enterprise, after.enterprise),
    ):
        for attribute in schema.attributes:
            if attribute.field is None and not (
                schema is ENTERPRISE_USER and attribute.name == "manager"
            ):
                continue  # computed (groups)
            was, now = _value(old, schema, attribute), _value(new, schema, attribute)
            if was != now:
                found[schema.path(attribute)] = [was, now]
    return found


def _shown(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values())
    return f"“{value}”"


def describe_differences(differences: dict[str, list[Any]], limit: int = 6) -> str:
    """`displayName “Ann” → “Ann Lee”; title (none) → “CTO”` (the first few, then a count)."""
    parts = [
        f"{path.rsplit(':', 1)[-1]} {_shown(old)} → {_shown(new)}"
        for path, (old, new) in list(differences.items())[:limit]
    ]
    if len(differences) > limit:
        parts.append(f"and {len(differences) - limit} more attributes")
    return "; ".join(parts)


def name_people(named: Sequence[tuple[str, str]], total: int) -> str:
    """`Ann Lee, Bob and 997 more` from the first few people's names and how many there are."""
    names = [name for _, name in named[:NAMED]]
    rest = total - len(names)
    if rest > 0:
        return f"{', '.join(names)} and {rest} more"
    if len(names) > 1:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    return names[0] if names else "nobody"


def person_profile(user_id: str, fields: UserFields) -> dict[str, Any]:
    """A person as events carry them: what the calendar shows and uses to reach them."""
    return {
        "id": user_id,
        "userName": fields.user_name,
        "displayName": fields.display_name,
        "emails": [{"value": e.value, "type": e.type, "primary": e.primary} for e in fields.emails],
        "locale": fields.locale,
        "timezone": fields.timezone,
        "active": fields.active,
    }
