"""Users and groups as SCIM JSON documents, and the attributes/excludedAttributes projection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import orjson

from enlist.domain.model import Email, Group, User
from enlist.domain.schema import (
    ENTERPRISE_SCHEMA,
    ENTERPRISE_USER,
    GROUP_SCHEMA,
    USER,
    USER_RECORD,
    USER_SCHEMA,
    Attribute,
    Kind,
)

LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ALWAYS_RETURNED = frozenset({"id", "schemas"})
CORE_PREFIXES = (USER_SCHEMA.lower() + ":", GROUP_SCHEMA.lower() + ":")
# Extensions whose attributes sit in a document under their URN (which holds a dot itself).
EXTENSIONS = (ENTERPRISE_SCHEMA.lower(),)


class _Shown(Enum):
    """How a user attribute's value shows in a document."""

    PLAIN = "plain"  # as it is, when set
    PARTS = "parts"  # a copy of its dict of sub-attributes (name)
    EMAILS = "emails"  # each Email as a dict
    ITEMS = "items"  # a copy of each dict (phoneNumbers, addresses)
    FLAG = "flag"  # a boolean (records: as 0/1 on SQLite)


_PLAIN, _PARTS, _EMAILS = _Shown.PLAIN, _Shown.PARTS, _Shown.EMAILS  # looked up per attribute
_FLAG = _Shown.FLAG


def _shown(attribute: Attribute) -> _Shown:
    if attribute.name == "emails":
        return _Shown.EMAILS
    if attribute.kind is Kind.COMPLEX:
        return _Shown.PARTS
    return _Shown.ITEMS if attribute.kind is Kind.MULTI else _Shown.PLAIN


# (name, field, how it shows) in document order, common attributes (RFC 7643 §3.1:
# externalId) right after id. Built once, and fields read from vars() (the dict a dataclass
# instance keeps them in): a page renders 100 users.
_USER_LAYOUT = tuple(
    (a.name, str(a.field), _shown(a))
    for a in sorted(USER.attributes, key=lambda a: not a.common)
    if a.field is not None
)
_EMAIL_PARTS = tuple(sub.name for sub in USER["emails"].subs)  # Email's fields, as named
_ENTERPRISE_TEXTS = tuple(
    (a.name, str(a.field)) for a in ENTERPRISE_USER.attributes if a.field is not None
)


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def etag(version: int) -> str:
    return f'W/"{version}"'


def _meta(
    kind: str, base: str, resource_id: str, created: str, modified: str, version: int
) -> dict[str, Any]:
    """meta, its times written already (`timestamp`)."""
    return {
        "resourceType": kind,
        "created": created,
        "lastModified": modified,
        "location": f"{base}/{kind}s/{resource_id}",
        "version": etag(version),
    }


def _group_item(base: str, group_id: str, display: str) -> dict[str, Any]:
    """A group as a user's `groups` lists it."""
    return {
        "value": group_id,
        "display": display,
        "$ref": f"{base}/Groups/{group_id}",
        "type": "direct",
    }


def user_document(user: User, base: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"schemas": [USER_SCHEMA], "id": user.id}
    values = vars(user.fields)
    for name, field, shown in _USER_LAYOUT:
        value = values[field]
        if shown is _PLAIN:
            if value is not None:
                doc[name] = value
        elif not value:
            continue
        elif shown is _PARTS:
            doc[name] = dict(value)
        elif shown is _EMAILS:
            doc[name] = [email_item(email) for email in value]
        else:
            doc[name] = [dict(item) for item in value]
    if user.groups:
        doc["groups"] = [_group_item(base, g.id, g.display_name) for g in user.groups]
    enterprise = _enterprise(user, base)
    if enterprise:
        doc["schemas"].append(ENTERPRISE_SCHEMA)
        doc[ENTERPRISE_SCHEMA] = enterprise
    created, modified = timestamp(user.created), timestamp(user.last_modified)
    doc["meta"] = _meta("User", base, user.id, created, modified, user.version)
    return doc


def email_item(email: Email) -> dict[str, Any]:
    """An email as SCIM shows it."""
    values = vars(email)
    return {part: values[part] for part in _EMAIL_PARTS if values[part] is not None}


def _enterprise(user: User, base: str) -> dict[str, Any]:
    e = user.fields.enterprise
    values = vars(e)
    out: dict[str, Any] = {
        name: values[field] for name, field in _ENTERPRISE_TEXTS if values[field] is not None
    }
    if e.manager_id is not None:
        manager: dict[str, Any] = {"value": e.manager_id}
        if user.manager_name is not None:  # the id of a user of the account
            manager["$ref"] = f"{base}/Users/{e.manager_id}"
            manager["displayName"] = user.manager_name
        out["manager"] = manager
    return out


# Where each value sits in a user's record (domain/schema.py USER_RECORD), and the document
# layout of `user_document` with record positions instead of fields, built once.
_AT = {name: position for position, name in enumerate(USER_RECORD)}


def _record_step(attribute: Attribute) -> tuple[str, _Shown, Any]:
    shown = _shown(attribute)
    if shown is _PARTS:
        subs = tuple((sub.name, _AT[sub.column]) for sub in attribute.subs if sub.column)
        return attribute.name, shown, subs
    if shown is _EMAILS:
        return attribute.name, shown, _AT["emails"]
    if attribute.kind is Kind.BOOL:
        shown = _FLAG
    return attribute.name, shown, _AT[str(attribute.column)]


_RECORD_LAYOUT = tuple(
    _record_step(a)
    for a in sorted(USER.attributes, key=lambda a: not a.common)
    if a.field is not None
)
_RECORD_ENTERPRISE_TEXTS = tuple(
    (a.name, _AT[str(a.column)]) for a in ENTERPRISE_USER.attributes if a.field is not None
)
_ID, _VERSION, _CREATED, _MODIFIED = _AT["id"], _AT["version"], _AT["created"], _AT["last_modified"]
_GROUPS, _MANAGER_ID, _MANAGER_NAME = _AT["groups"], _AT["manager_id"], _AT["manager_name"]


def _json_list(value: Any) -> list[Any]:
    """A record's JSON array: text, parsed already, or None for none."""
    if value is None:
        return []
    return orjson.loads(value) if isinstance(value, str) else list(value)


def record_document(record: Sequence[Any], base: str) -> dict[str, Any]:
    """A user's document written straight from its record (USER_RECORD), what
    `user_document` writes from a User: a page renders 100 users, and building a User for
    each (its fields, emails, times parsed to be formatted again) cost more than the rest
    of the page. tests/scim/test_records.py holds the two to the same bytes."""
    user_id = record[_ID]
    doc: dict[str, Any] = {"schemas": [USER_SCHEMA], "id": user_id}
    for name, shown, at in _RECORD_LAYOUT:
        if shown is _PLAIN:
            value = record[at]
            if value is not None:
                doc[name] = value
        elif shown is _FLAG:
            if record[at] is not None:
                doc[name] = bool(record[at])
        elif shown is _PARTS:
            parts = {sub: record[i] for sub, i in at if record[i] is not None}
            if parts:
                doc[name] = parts
        elif shown is _EMAILS:
            emails = _json_list(record[at])
            if emails:
                doc[name] = [
                    {
                        part: value
                        for part, value in zip(
                            _EMAIL_PARTS, (address, kind, bool(primary), display), strict=True
                        )
                        if value is not None
                    }
                    for _, address, kind, primary, display in sorted(emails)
                ]
        elif record[at]:
            doc[name] = [dict(item) for item in record[at]]
    groups = _json_list(record[_GROUPS])
    if groups:
        doc["groups"] = [_group_item(base, group_id, name) for _, group_id, name in sorted(groups)]
    enterprise: dict[str, Any] = {
        name: record[at] for name, at in _RECORD_ENTERPRISE_TEXTS if record[at] is not None
    }
    manager_id = record[_MANAGER_ID]
    if manager_id is not None:
        manager: dict[str, Any] = {"value": manager_id}
        manager_name = record[_MANAGER_NAME]
        if manager_name is not None:  # the id of a user of the account
            manager["$ref"] = f"{base}/Users/{manager_id}"
            manager["displayName"] = manager_name
        enterprise["manager"] = manager
    if enterprise:
        doc["schemas"].append(ENTERPRISE_SCHEMA)
        doc[ENTERPRISE_SCHEMA] = enterprise
    doc["meta"] = _meta(
        "User", base, user_id, record[_CREATED], record[_MODIFIED], record[_VERSION]
    )
    return doc


def group_document(group: Group, base: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schemas": [GROUP_SCHEMA],
        "id": group.id,
        "displayName": group.display_name,
    }
    if group.external_id is not None:
        doc["externalId"] = group.external_id
    if group.members:
        doc["members"] = [
            {
                "value": m.user_id,
                "display": m.display,
                "$ref": f"{base}/Users/{m.user_id}",
                "type": "User",
            }
            for m in group.members
        ]
    created, modified = timestamp(group.created), timestamp(group.last_modified)
    doc["meta"] = _meta("Group", base, group.id, created, modified, group.version)
    return doc


def _names(raw: str | None) -> list[tuple[str, str | None]]:
    """`name.givenName, urn:...:User:emails` as lower-cased (attribute, sub-attribute) pairs."""
    pairs: list[tuple[str, str | None]] = []
    for item in (raw or "").split(","):
        name = item.strip().lower()
        if not name:
            continue
        for prefix in CORE_PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix) :]
        extension = next((u for u in EXTENSIONS if name == u or name.startswith(u + ":")), None)
        if extension is not None:
            # urn:...:enterprise:2.0:User[:manager[.value]]: the extension, or one attribute of it
            rest = name[len(extension) + 1 :]
            pairs.append((extension, rest.partition(".")[0] or None))
            continue
        attr, _, sub = name.partition(".")
        pairs.append((attr, sub or None))
    return pairs


class Projection:
    """What `attributes` / `excludedAttributes` ask to return (RFC 7644 §3.4.2.5)."""

    def __init__(self, attributes: str | None = None, excluded: str | None = None) -> None:
        self.only = _names(attributes)
        self.excluded = _names(excluded)

    @property
    def given(self) -> bool:
        return bool(self.only or self.excluded)

    def wants(self, attribute: str) -> bool:
        """Whether an attribute (lower-case) is returned at all; lets callers skip loading it."""
        attribute = attribute.lower()
        if self.only:
            return any(attr == attribute for attr, _ in self.only)
        return not any(attr == attribute and sub is None for attr, sub in self.excluded)

    def apply(self, doc: dict[str, Any]) -> dict[str, Any]:
        if not self.given:
            return doc
        out: dict[str, Any] = {}
        for key, value in doc.items():
            lower = key.lower()
            if lower in ALWAYS_RETURNED:
                out[key] = value
                continue
            if self.only:
                subs = [sub for attr, sub in self.only if attr == lower]
                if not subs:
                    continue
                if None in subs or not isinstance(value, (dict, list)):
                    out[key] = value
                else:
                    out[key] = _keep_subs(value, {s for s in subs if s})
            else:
                subs = [sub for attr, sub in self.excluded if attr == lower]
                if None in subs:
                    continue
                out[key] = (
                    _drop_subs(value, set(subs))
                    if subs and isinstance(value, (dict, list))
                    else value
                )
        # "schemas" names only the extensions whose attributes are still in the document
        gone = [urn for urn in doc.get("schemas", []) if urn in doc and not out.get(urn)]
        for urn in gone:
            out.pop(urn, None)
        if gone:
            out["schemas"] = [urn for urn in out["schemas"] if urn not in gone]
        return out


def _keep_subs(value: Any, subs: set[str]) -> Any:
    if isinstance(value, list):
        return [_keep_subs(item, subs) for item in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() in subs}
    return value


def _drop_subs(value: Any, subs: set[str | None]) -> Any:
    if isinstance(value, list):
        return [_drop_subs(item, subs) for item in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() not in subs}
    return value


def list_document(total: int, start_index: int, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def cursor_list_document(
    total: int | None,
    resources: list[dict[str, Any]],
    next_cursor: str | None,
    previous_cursor: str | None,
) -> dict[str, Any]:
    """A ListResponse paged by cursor (RFC 9865 §2.2): no startIndex; nextCursor only while
    more pages follow; totalResults when it was counted (the first page)."""
    doc: dict[str, Any] = {"schemas": [LIST_SCHEMA]}
    if total is not None:
        doc["totalResults"] = total
    doc["itemsPerPage"] = len(resources)
    if next_cursor is not None:
        doc["nextCursor"] = next_cursor
    if previous_cursor is not None:
        doc["previousCursor"] = previous_cursor
    doc["Resources"] = resources
    return doc
