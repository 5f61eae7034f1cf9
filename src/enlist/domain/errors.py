"""The small, named hierarchy of errors the services raise; scim/errors.py maps them to SCIM."""

from __future__ import annotations


class EnlistError(Exception):
    """A refusal with a plain-language reason, meant to be shown to the person or client."""

    scim_type: str | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(EnlistError):
    """The resource does not exist for this account (or belongs to another one)."""


class Conflict(EnlistError):
    """A uniqueness rule would be broken."""

    scim_type = "uniqueness"


class InvalidValue(EnlistError):
    """A value breaks a rule of the account or of the schema."""

    scim_type = "invalidValue"


class InvalidSyntax(EnlistError):
    """The request could not be read at all."""

    scim_type = "invalidSyntax"


class InvalidFilter(EnlistError):
    """A filter names an unknown attribute or does not parse."""

    scim_type = "invalidFilter"


class InvalidPath(EnlistError):
    """A PATCH path does not name a writable attribute."""

    scim_type = "invalidPath"


class NoTarget(EnlistError):
    """A PATCH path with a filter matched nothing where something was needed."""

    scim_type = "noTarget"


class Mutability(EnlistError):
    """An attempt to change a read-only or immutable attribute."""

    scim_type = "mutability"


class Sensitive(EnlistError):
    """A request touches an attribute that can never be read or filtered (password)."""

    scim_type = "sensitive"


class Unauthorized(EnlistError):
    """No valid, unrevoked secret was presented."""


class Forbidden(EnlistError):
    """The account may not use this feature (e.g. no Enterprise calendar)."""


class PreconditionFailed(EnlistError):
    """If-Match named a version the resource no longer has."""


class TooMany(EnlistError):
    """The request asks for more than the advertised limits allow."""

    scim_type = "tooMany"


class InvalidCursor(EnlistError):
    """A pagination cursor this server did not issue, or issued for another query (RFC 9865)."""

    scim_type = "invalidCursor"


class ExpiredCursor(EnlistError):
    """A pagination cursor older than the advertised cursorTimeout (RFC 9865)."""

    scim_type = "expiredCursor"


class RateLimited(EnlistError):
    """Too many requests with one secret; retry after the given number of seconds."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
