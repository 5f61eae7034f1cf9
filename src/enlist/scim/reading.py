"""Reading request bodies into domain values, forgiving every provider's dialect.

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

from typing import Any

from enlist.domain.errors import InvalidSyntax, InvalidValue
from enlist.domain.model import Email, EnterpriseFields, UserFields
from enlist.services.directory import GroupFields

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:user"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:group"
# The key of the enterprise extension in a canonical document (and in SCIM documents).
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ENTERPRISE_URN = ENTERPRISE.lower()
ENTERPRISE_PARTS = [
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "manager",
]
ENTERPRISE_CANONICAL = {name.lower(): name for name in ENTERPRISE_PARTS}
MANAGER_PARTS = {"value": "value", "$ref": "$ref", "displayname": "displayName"}
# Longest text an enterprise attribute may hold (the size of its column).
_ENTERPRISE_LENGTH = {"manager": 255}
_ENTERPRISE_DEFAULT_LENGTH = 200

NAME_PARTS = [
    "formatted",
    "familyName",
    "givenName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
]
MULTI_PARTS = {
    "emails": ["value", "type", "primary", "display"],
    "phoneNumbers": ["value", "type", "primary", "display"],
    "addresses": [
        "formatted",
        "streetAddress",
        "locality",
        "region",
        "postalCode",
        "country",
        "type",
        "primary",
    ],
}
SIMPLE = [
    "userName",
    "externalId",
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
]
READ_ONLY = ["id", "meta", "groups", "schemas", "password"]
CANONICAL = {name.lower(): name for name in [*SIMPLE, "name", *MULTI_PARTS, *READ_ONLY]}
SUB_CANONICAL = {
    "name": {p.lower(): p for p in NAME_PARTS},
    **{attr: {p.lower(): p for p in parts} for attr, parts in MULTI_PARTS.items()},
}


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
    """Build and type-check UserFields from a canonical document."""
    user_name = doc.get("userName")
    if user_name is None or (isinstance(user_name, str) and not user_name.strip()):
        raise InvalidValue("userName is required.")
    if not isinstance(user_name, str):
        raise InvalidValue("userName must be a string.")
    name = {}
    for part, value in (doc.get("name") or {}).items():
        text = _text(value, f"name.{part}")
        if text is not None:
            name[part] = text
    emails = []
    for item in doc.get("emails") or []:
        value = _text(item.get("value"), "emails.value")
        if value is None:
            continue
        emails.append(
            Email(
                value=value,
                type=_text(item.get("type"), "emails.type"),
                primary=as_bool(item["primary"], "emails.primary")
                if item.get("primary") is not None
                else False,
                display=_text(item.get("display"), "emails.display"),
            )
        )
    active_raw = doc.get("active")
    if active_raw is None:
        active = current.active if current is not None else True
    else:
        active = as_bool(active_raw, "active")
    return UserFields(
        user_name=user_name.strip(),
        external_id=_text(doc.get("externalId"), "externalId"),
        name=name,
        display_name=_text(doc.get("displayName"), "displayName"),
        nick_name=_text(doc.get("nickName"), "nickName"),
        profile_url=_text(doc.get("profileUrl"), "profileUrl"),
        title=_text(doc.get("title"), "title"),
        user_type=_text(doc.get("userType"), "userType"),
        preferred_language=_text(doc.get("preferredLanguage"), "preferredLanguage"),
        locale=_text(doc.get("locale"), "locale"),
        timezone=_text(doc.get("timezone"), "timezone"),
        active=active,
        emails=emails,
        phone_numbers=_plain_items(doc.get("phoneNumbers"), "phoneNumbers"),
        addresses=_plain_items(doc.get("addresses"), "addresses"),
        enterprise=_enterprise_fields(doc.get(ENTERPRISE) or {}),
    )


def _enterprise_fields(ext: dict[str, Any]) -> EnterpriseFields:
    values: dict[str, str | None] = {}
    for part in ENTERPRISE_PARTS:
        what = f"{ENTERPRISE}:{part}" + (".value" if part == "manager" else "")
        text = _text(ext.get(part), what)
        limit = _ENTERPRISE_LENGTH.get(part, _ENTERPRISE_DEFAULT_LENGTH)
        if text is not None and len(text) > limit:
            raise InvalidValue(f"{what} may be at most {limit} characters long.")
        values[part] = text
    return EnterpriseFields(
        employee_number=values["employeeNumber"],
        cost_center=values["costCenter"],
        organization=values["organization"],
        division=values["division"],
        department=values["department"],
        manager_id=values["manager"],
    )


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
    doc: dict[str, Any] = {
        "userName": fields.user_name,
        "externalId": fields.external_id,
        "name": dict(fields.name),
        "displayName": fields.display_name,
        "nickName": fields.nick_name,
        "profileUrl": fields.profile_url,
        "title": fields.title,
        "userType": fields.user_type,
        "preferredLanguage": fields.preferred_language,
        "locale": fields.locale,
        "timezone": fields.timezone,
        "active": fields.active,
        "emails": [
            {
                k: v
                for k, v in (
                    ("value", e.value),
                    ("type", e.type),
                    ("primary", e.primary),
                    ("display", e.display),
                )
                if v is not None
            }
            for e in fields.emails
        ],
        "phoneNumbers": [dict(p) for p in fields.phone_numbers],
        "addresses": [dict(a) for a in fields.addresses],
        ENTERPRISE: {
            "employeeNumber": fields.enterprise.employee_number,
            "costCenter": fields.enterprise.cost_center,
            "organization": fields.enterprise.organization,
            "division": fields.enterprise.division,
            "department": fields.enterprise.department,
            "manager": fields.enterprise.manager_id,
        },
    }
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
