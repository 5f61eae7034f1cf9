"""Reading requests (bodies, filters) into domain values, forgiving every provider's dialect.

Attribute names and schema URNs are matched case-insensitively, booleans may come as
"True"/"False" strings, unknown attributes and unknown extensions are ignored, and
read-only attributes (id, meta, groups) that clients echo back are ignored.

The enterprise extension is read from an object under its URN or from URN-qualified keys
("urn:...:enterprise:2.0:User:department"); its manager may be an object with a value,
or (Entra) the manager's id as a bare string. manager.value is kept as sent, whatever it
names: RFC 7643 §4.3 only says it is "the id of the SCIM resource representing the User's
manager", and identity providers map it from HR data (Okta's managerId) that need not be
an id of this server; refusing it would stop the whole push of the user for one optional
attribute. When it is the id of a user of the account, documents add $ref and displayName.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from scim2_models import ScimFilter
from scim2_models.exceptions import SCIMException
from scim2_models.path import LogicalExpr, Not, ValuePath

from enlist.domain.errors import InvalidFilter, InvalidSyntax, InvalidValue
from enlist.domain.model import Email, EnterpriseFields, UserFields
from enlist.domain.schema import (
    ENTERPRISE_SCHEMA,
    ENTERPRISE_USER,
    GROUP_SCHEMA,
    NOT_WRITTEN,
    USER,
    USER_SCHEMA,
    Attribute,
    Kind,
    Mutability,
)
from enlist.scim.documents import email_item
from enlist.services.directory import GroupFields

USER_URN = USER_SCHEMA.lower()
GROUP_URN = GROUP_SCHEMA.lower()
# The key of the enterprise extension in a canonical document (and in SCIM documents).
ENTERPRISE = ENTERPRISE_SCHEMA
ENTERPRISE_URN = ENTERPRISE.lower()
ENTERPRISE_CANONICAL = {a.name.lower(): a.name for a in ENTERPRISE_USER.attributes}
MANAGER_PARTS = {sub.name.lower(): sub.name for sub in ENTERPRISE_USER["manager"].subs}
# What a client may set of the manager: its value, or the $ref that names it (not the
# manager's own displayName, which documents compute).
MANAGER_WRITABLE = frozenset(
    sub.name.lower()
    for sub in ENTERPRISE_USER["manager"].subs
    if sub.mutability is Mutability.READ_WRITE
)

# What a client may write, and what it sends that is never written (read-only or not kept).
WRITABLE = tuple(a for a in USER.attributes if a.mutability is Mutability.READ_WRITE)
READ_ONLY = [
    *NOT_WRITTEN,
    *(a.name for a in USER.attributes if a.mutability is not Mutability.READ_WRITE),
]
MULTI_PARTS = {a.name: [s.name for s in a.subs] for a in WRITABLE if a.kind is Kind.MULTI}
CANONICAL = {name.lower(): name for name in [*(a.name for a in USER.attributes), *NOT_WRITTEN]}
SUB_CANONICAL = {a.name: {s.name.lower(): s.name for s in a.subs} for a in WRITABLE if a.subs}


def parse_filter(text: str, max_length: int = 4096, max_depth: int = 20) -> Any:
    """Parse a filter string into scim2-models' tree, or refuse it in plain words.

    Length and nesting are capped before and after parsing: a deeply nested filter would
    otherwise cost a deep recursion in the parser and an enormous SQL statement.
    """
    if len(text) > max_length:
        raise InvalidFilter(f"The filter is longer than the {max_length} characters allowed.")
    if text.count("(") + text.count("[") > max_depth * 4:
        raise InvalidFilter(f"The filter nests more than the {max_depth} levels allowed.")
    try:
        tree = ScimFilter(text).ast
    except SCIMException as exc:
        raise InvalidFilter(f"The filter {text!r} could not be read: {exc}.") from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise InvalidFilter(f"The filter {text!r} could not be read: {exc}.") from None
    if _depth(tree) > max_depth:
        raise InvalidFilter(f"The filter nests more than the {max_depth} levels allowed.")
    return tree


def _depth(node: Any) -> int:
    if isinstance(node, LogicalExpr):
        return 1 + max(_depth(term) for term in node.terms)
    if isinstance(node, Not):
        return 1 + _depth(node.expr)
    if isinstance(node, ValuePath):
        return 1 + _depth(node.val_filter)
    return 1


def as_bool(value: Any, what: str) -> bool:
    """true/false, also as the strings Entra sends ("True", "False")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidValue(f"{what} must be true or false, not {value!r}.")


def _text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidValue(f"{what} must be a string, not {type(value).__name__}.")
    text = str(value)
    return text if text != "" else None


def strip_urn(key: str, urns: tuple[str, ...]) -> str:
    lower = key.lower()
    for urn in urns:
        if lower.startswith(urn + ":"):
            return key[len(urn) + 1 :]
    return key


def canonical_user(body: Any) -> dict[str, Any]:
    """The writable part of a user body with canonical attribute names (others dropped)."""
    if not isinstance(body, dict):
        raise InvalidSyntax("The request body must be a JSON object.")
    out: dict[str, Any] = {}
    for key, value in body.items():
        if not isinstance(key, str):
            continue
        if key.lower() == USER_URN and isinstance(value, dict):
            out.update(canonical_user(value))  # attributes nested under the core URN
            continue
        if key.lower() == ENTERPRISE_URN:
            if isinstance(value, dict):
                out.setdefault(ENTERPRISE, {}).update(canonical_enterprise(value))
            continue
        if key.lower().startswith(ENTERPRISE_URN + ":"):
            # "urn:...:enterprise:2.0:User:manager.value": one attribute, URN-qualified
            attribute, _, sub = key[len(ENTERPRISE_URN) + 1 :].partition(".")
            part = ENTERPRISE_CANONICAL.get(attribute.lower())
            manager_part = part == "manager" and sub.lower() in ("value", "$ref")
            if part is not None and (not sub or manager_part):
                found = enterprise_value(part, {sub: value} if sub else value)
                out.setdefault(ENTERPRISE, {})[part] = found
            continue
        name = CANONICAL.get(strip_urn(key, (USER_URN,)).lower())
        if name is None or name in READ_ONLY:
            continue
        out[name] = canonical_value(name, value)
    return out


def canonical_value(name: str, value: Any) -> Any:
    subs = SUB_CANONICAL.get(name)
    if subs is None:
        return value
    if name == "name":
        if value is None:
            return None
        if not isinstance(value, dict):
            raise InvalidValue('name must be an object such as {"givenName": "Jane"}.')
        return canonical_item(subs, value)
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise InvalidValue(f"{name} must be a list of objects.")
    items = []
    for item in value:
        if not isinstance(item, dict):
            raise InvalidValue(f"Each entry of {name} must be an object with a value.")
        items.append(canonical_item(subs, item))
    return items


def canonical_item(subs: dict[str, str], item: dict[str, Any]) -> dict[str, Any]:
    return {subs[k.lower()]: v for k, v in item.items() if isinstance(k, str) and k.lower() in subs}


def canonical_enterprise(value: dict[str, Any]) -> dict[str, Any]:
    """The enterprise attributes of an object, canonically named (unknown ones dropped)."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        part = ENTERPRISE_CANONICAL.get(key.lower()) if isinstance(key, str) else None
        if part is not None:
            out[part] = enterprise_value(part, item)
    return out


def enterprise_value(part: str, value: Any) -> Any:
    """An enterprise attribute's value as stored: text, or for manager the manager's id."""
    if part != "manager":
        return value
    return manager_id(value)


def manager_id(value: Any) -> str | None:
    """manager.value from what providers send: {"value": id}, a bare id (Entra), a list
    of one such object (older Entra), or only a $ref; null, "" and {} clear it."""
    if isinstance(value, list):
        return manager_id(value[0]) if value else None
    if isinstance(value, dict):
        parts = {
            MANAGER_PARTS[k.lower()]: v
            for k, v in value.items()
            if isinstance(k, str) and k.lower() in MANAGER_PARTS
        }
        if parts.get("value") is not None:
            return _text(parts["value"], "manager.value")
        ref = parts.get("$ref")
        if isinstance(ref, str) and ref.strip("/"):
            return ref.rstrip("/").rsplit("/", 1)[-1] or None
        return None
    return _text(value, "manager.value")


def user_fields(doc: dict[str, Any], *, current: UserFields | None = None) -> UserFields:
    """Build and type-check UserFields from a canonical document; attributes it leaves out
    are cleared, but for `active`, which a PUT without it keeps (Okta sends none)."""
    user_name = doc.get("userName")
    if user_name is None or (isinstance(user_name, str) and not user_name.strip()):
        raise InvalidValue("userName is required.")
    if not isinstance(user_name, str):
        raise InvalidValue("userName must be a string.")
    values: dict[str, Any] = {"user_name": user_name.strip()}
    for name, field, how, attribute in _READS:
        raw = doc.get(name)
        if how is _TEXT:
            values[field] = _text(raw, name)
        elif how is _FLAG:
            kept = getattr(current, field) if current is not None else attribute.default
            values[field] = as_bool(raw, name) if raw is not None else kept
        elif how is _PARTS:
            values[field] = _parts(raw, attribute)
        elif how is _EMAILS:
            values[field] = _emails(raw)
        else:
            values[field] = _plain_items(raw, name)
    return UserFields(**values, enterprise=_enterprise_fields(doc.get(ENTERPRISE) or {}))


def _parts(value: Any, attribute: Attribute) -> dict[str, str]:
    """The non-empty sub-attributes of a complex attribute (name), as text."""
    parts = {}
    for part, item in (value or {}).items():
        text = _text(item, f"{attribute.name}.{part}")
        if text is not None:
            parts[part] = text
    return parts


def _emails(items: Any) -> list[Email]:
    """Email values (fields named as the sub-attributes); entries without a value are dropped."""
    emails = []
    for item in items or []:
        value = _text(item.get("value"), "emails.value")
        if value is None:
            continue
        primary = item.get("primary")
        emails.append(
            Email(
                value=value,
                type=_text(item.get("type"), "emails.type"),
                primary=as_bool(primary, "emails.primary") if primary is not None else False,
                display=_text(item.get("display"), "emails.display"),
            )
        )
    return emails


def _stored(attribute: Attribute) -> tuple[Attribute, Attribute | None]:
    """The attribute a field holds: itself, or (manager) the one sub-attribute kept, whose
    value a canonical document holds directly under the attribute's name."""
    if attribute.field is not None:
        return attribute, None
    sub = next(s for s in attribute.subs if s.field is not None)
    return sub, sub


class _Read(Enum):
    """How the value of an attribute a client writes is read."""

    TEXT = "text"
    FLAG = "flag"  # true/false, also as "True"/"False"
    PARTS = "parts"  # a dict of text sub-attributes (name)
    EMAILS = "emails"  # Email values
    ITEMS = "items"  # dicts of text sub-attributes and a primary flag


# bound once: looked up per attribute of every body
_TEXT, _FLAG, _PARTS, _EMAILS = _Read.TEXT, _Read.FLAG, _Read.PARTS, _Read.EMAILS


def _how(attribute: Attribute) -> _Read:
    if attribute.name == "emails":
        return _EMAILS
    kinds = {Kind.BOOL: _FLAG, Kind.COMPLEX: _PARTS, Kind.MULTI: _Read.ITEMS}
    return kinds.get(attribute.kind, _TEXT)


# (name, field, how, attribute) of each attribute a client writes but userName, built once


_READS = tuple((a.name, str(a.field), _how(a), a) for a in WRITABLE if a.name != "userName")
# (name, field, path) of the extension's attributes
_ENTERPRISE_FIELDS = tuple(
    (attribute.name, str(kept.field), ENTERPRISE_USER.path(attribute, sub))
    for attribute in ENTERPRISE_USER.attributes
    for kept, sub in [_stored(attribute)]
)


def _enterprise_fields(ext: dict[str, Any]) -> EnterpriseFields:
    values = {field: _text(ext.get(name), path) for name, field, path in _ENTERPRISE_FIELDS}
    return EnterpriseFields(**values)


def _plain_items(items: Any, what: str) -> list[dict[str, Any]]:
    out = []
    for item in items or []:
        clean: dict[str, Any] = {}
        for key, value in item.items():
            if value is None or value == "":
                continue
            if key == "primary":
                clean[key] = as_bool(value, f"{what}.primary")
            else:
                text = _text(value, f"{what}.{key}")
                if text is not None:
                    clean[key] = text
        if clean:
            out.append(clean)
    return out


def user_doc_of(fields: UserFields) -> dict[str, Any]:
    """The canonical writable document of stored fields (what PATCH operates on)."""
    doc: dict[str, Any] = {}
    for attribute in WRITABLE:
        value = getattr(fields, str(attribute.field))
        if attribute.name == "emails":
            doc["emails"] = [email_item(email) for email in value]
        elif attribute.kind is Kind.COMPLEX:
            doc[attribute.name] = dict(value)
        elif attribute.kind is Kind.MULTI:
            doc[attribute.name] = [dict(item) for item in value]
        else:
            doc[attribute.name] = value
    ext = fields.enterprise
    doc[ENTERPRISE] = {name: getattr(ext, field) for name, field, _ in _ENTERPRISE_FIELDS}
    return doc


def group_fields(body: Any) -> GroupFields:
    if not isinstance(body, dict):
        raise InvalidSyntax("The request body must be a JSON object.")
    lowered = {strip_urn(k, (GROUP_URN,)).lower(): v for k, v in body.items() if isinstance(k, str)}
    name = lowered.get("displayname")
    if not isinstance(name, str) or not name.strip():
        raise InvalidValue("displayName is required and must be a non-empty string.")
    return GroupFields(
        display_name=name,
        external_id=_text(lowered.get("externalid"), "externalId"),
        member_ids=member_ids(lowered.get("members")),
    )


def member_ids(value: Any) -> list[str]:
    """Member ids from `[{"value": id, ...}]` (also a single object or bare id strings)."""
    if value is None:
        return []
    if isinstance(value, (dict, str)):
        value = [value]
    if not isinstance(value, list):
        raise InvalidValue('members must be a list of objects such as {"value": "<user id>"}.')
    ids = []
    for item in value:
        if isinstance(item, str):
            ids.append(item)
            continue
        if not isinstance(item, dict):
            raise InvalidValue("Each member must be an object with the user's id as value.")
        found = {k.lower(): v for k, v in item.items() if isinstance(k, str)}.get("value")
        if not isinstance(found, str) or not found:
            raise InvalidValue("Each member needs a value: the id of a user of this account.")
        ids.append(found)
    return ids
