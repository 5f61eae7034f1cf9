"""The User resource and its enterprise extension as data: every attribute Enlist keeps, once.

Each layer derives what it needs from these two schemas instead of writing the attribute
list out again: the store its columns, row decoding, filter map and length check
(store/tables.py, store/directory.py), the SCIM API its canonical names, request reading,
documents and /Schemas (scim/reading.py, scim/documents.py, scim/discovery.py). Plain
Python: no SQL, no HTTP. Adding a simple attribute is an entry here, its typed field on
UserFields (or EnterpriseFields: the model stays typed for mypy) and a migration.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum, StrEnum

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# What clients send or echo that Enlist never stores: the common id and meta, the schemas
# list, and password (Okta always sends a random one: never stored, never echoed).
NOT_WRITTEN = ("id", "meta", "schemas", "password")
# Never filtered or sorted on, and never echoed in a refusal (403 sensitive).
SENSITIVE = frozenset({"password"})


class Kind(Enum):
    """What an attribute holds, and so how its values compare."""

    TEXT = "text"  # a string compared case-insensitively (caseExact false)
    EXACT = "exact"  # a string compared case-exactly (id, externalId, manager.value)
    BOOL = "bool"
    DATETIME = "datetime"
    COMPLEX = "complex"  # one value made of sub-attributes (name, manager)
    MULTI = "multi"  # a list of values made of sub-attributes (emails, addresses)


class Mutability(StrEnum):
    READ_WRITE = "readWrite"
    READ_ONLY = "readOnly"


@dataclass(frozen=True)
class Attribute:
    """One attribute (or sub-attribute): how SCIM names it, where Enlist keeps it."""

    name: str  # as SCIM documents spell it
    kind: Kind = Kind.TEXT
    field: str | None = None  # the UserFields / EnterpriseFields field holding it
    column: str | None = None  # the column of table users (None: kept elsewhere, or computed)
    length: int | None = None  # the longest text kept (the column's size)
    subs: tuple[Attribute, ...] = ()
    lowered: bool = False  # also kept lower-cased in `<column>_lower`, for lookups and sorts
    required: bool = False
    mutability: Mutability = Mutability.READ_WRITE
    returned: str = "default"
    default: bool | None = None  # a user's value when none was ever sent
    # A common attribute of every resource (RFC 7643 §3.1): documents show it right after id.
    common: bool = False
    _subs: dict[str, Attribute] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_subs", {sub.name.lower(): sub for sub in self.subs})

    def sub(self, name: str) -> Attribute | None:
        """The sub-attribute of this name, in any case."""
        return self._subs.get(name.lower())


@dataclass(frozen=True)
class Schema:
    """A schema's attributes, in the order documents show them and the table keeps them."""

    urn: str
    attributes: tuple[Attribute, ...]
    extension: bool = False  # its attributes sit under the URN in documents and paths
    _by_name: dict[str, Attribute] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {attribute.name.lower(): attribute for attribute in self.attributes}
        object.__setattr__(self, "_by_name", by_name)

    def attribute(self, name: str) -> Attribute | None:
        """The attribute of this name, in any case."""
        return self._by_name.get(name.lower())

    def __getitem__(self, name: str) -> Attribute:
        """The attribute of this name (any case), which the schema must have."""
        return self._by_name[name.lower()]

    def path(self, attribute: Attribute, sub: Attribute | None = None) -> str:
        """How messages and filters name it: `name.givenName`, `urn:...:User:department`."""
        path = attribute.name if sub is None else f"{attribute.name}.{sub.name}"
        return f"{self.urn}:{path}" if self.extension else path


def _text(
    name: str, column: str, length: int, *, lowered: bool = False, required: bool = False
) -> Attribute:
    """A string attribute in a column of its own, named like the model field that holds it."""
    return Attribute(name, Kind.TEXT, column, column, length, lowered=lowered, required=required)


_KINDS = ("value", "type", "primary", "display")


def _part(name: str) -> Attribute:
    """A sub-attribute of a multi-valued attribute kept as a JSON list."""
    return Attribute(name, Kind.BOOL if name == "primary" else Kind.TEXT)


USER = Schema(
    USER_SCHEMA,
    (
        _text("userName", "user_name", 320, lowered=True, required=True),
        Attribute("externalId", Kind.EXACT, "external_id", "external_id", 255, common=True),
        Attribute(
            "name",
            Kind.COMPLEX,
            "name",
            subs=(
                Attribute("formatted", column="name_formatted", length=500),
                Attribute("familyName", column="family_name", length=200),
                Attribute("givenName", column="given_name", length=200),
                Attribute("middleName", column="middle_name", length=200),
                Attribute("honorificPrefix", column="honorific_prefix", length=50),
                Attribute("honorificSuffix", column="honorific_suffix", length=50),
            ),
        ),
        _text("displayName", "display_name", 300, lowered=True),
        _text("nickName", "nick_name", 200),
        _text("profileUrl", "profile_url", 1000),
        _text("title", "title", 200),
        _text("userType", "user_type", 100),
        _text("preferredLanguage", "preferred_language", 50),
        _text("locale", "locale", 50),
        _text("timezone", "timezone", 64),
        # Every user has a status (true unless told otherwise): it can be set to false,
        # never removed, so /Schemas says required and a PATCH remove of it is refused.
        Attribute("active", Kind.BOOL, "active", "active", required=True, default=True),
        # Rows of their own (table user_emails), so that filters and lookups use an index.
        Attribute(
            "emails",
            Kind.MULTI,
            "emails",
            subs=(
                Attribute("value", length=320, lowered=True),
                Attribute("type", length=50),
                Attribute("primary", Kind.BOOL),
                Attribute("display", length=320),
            ),
        ),
        # Kept as JSON lists, returned as sent (their parts are not filtered on).
        Attribute(
            "phoneNumbers",
            Kind.MULTI,
            "phone_numbers",
            "phone_numbers",
            subs=tuple(_part(name) for name in _KINDS),
        ),
        Attribute(
            "addresses",
            Kind.MULTI,
            "addresses",
            "addresses",
            subs=tuple(
                _part(name)
                for name in (
                    "formatted",
                    "streetAddress",
                    "locality",
                    "region",
                    "postalCode",
                    "country",
                    "type",
                    "primary",
                )
            ),
        ),
        # The user's memberships, computed from the groups' member rows.
        Attribute(
            "groups",
            Kind.MULTI,
            mutability=Mutability.READ_ONLY,
            subs=tuple(
                Attribute(
                    name,
                    Kind.EXACT if name == "value" else Kind.TEXT,
                    mutability=Mutability.READ_ONLY,
                )
                for name in ("value", "$ref", "display", "type")
            ),
        ),
    ),
)

ENTERPRISE_USER = Schema(
    ENTERPRISE_SCHEMA,
    (
        _text("employeeNumber", "employee_number", 200),
        _text("costCenter", "cost_center", 200),
        _text("organization", "organization", 200),
        _text("division", "division", 200),
        _text("department", "department", 200),
        # manager.value is kept as sent, whatever it names (see scim/reading.py); $ref and
        # displayName are computed when it is the id of a user of the account, so $ref is
        # not required as scim2-models' schema would have it.
        Attribute(
            "manager",
            Kind.COMPLEX,
            subs=(
                Attribute("value", Kind.EXACT, "manager_id", "manager_id", 255, required=True),
                Attribute("$ref", Kind.EXACT),
                Attribute("displayName", mutability=Mutability.READ_ONLY),
            ),
        ),
    ),
    extension=True,
)

SCHEMAS = (USER, ENTERPRISE_USER)


def _stored_columns(schema: Schema) -> tuple[str, ...]:
    """The users columns that keep a schema's attributes (and sub-attributes), in its order."""
    return tuple(
        str(kept.column)
        for attribute in schema.attributes
        for kept in (attribute, *attribute.subs)
        if kept.column is not None
    )


# A user as one record of plain values, in this order: what a page of users reads per user,
# so that its SCIM document is written straight from it (store/directory.py fills it,
# scim/documents.py `record_document` writes it) without a User built for each row.
#   id, version; created and last_modified as documents show them (RFC 3339 text, UTC, to
#   the millisecond); every stored column of USER then ENTERPRISE_USER (active as 0/1 or a
#   bool, JSON lists as lists or NULL); emails as a JSON array of [position, value, type,
#   primary, display] arrays; groups as a JSON array of [key, id, displayName] arrays (None
#   when not read); the manager's displayName (or userName) when manager_id names a user
#   of the account. A JSON array may come as text or parsed, NULL when empty.
USER_RECORD: tuple[str, ...] = (
    "id",
    "version",
    "created",
    "last_modified",
    *_stored_columns(USER),
    *_stored_columns(ENTERPRISE_USER),
    "emails",
    "groups",
    "manager_name",
)
