"""The small, named hierarchy of errors the services raise; scim/errors.py maps them to SCIM."""

from __future__ import annotations


class EnlistError(Exception):
    """A refusal with a plain-language reason, meant to be shown to the person or client."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(EnlistError):
    """The resource does not exist for this account (or belongs to another one)."""


class Conflict(EnlistError):
    """A uniqueness rule would be broken."""


class InvalidValue(EnlistError):
    """A value breaks a rule of the account or of the schema."""


class InvalidSyntax(EnlistError):
    """The request could not be read at all."""


class InvalidFilter(EnlistError):
    """A filter names an unknown attribute or does not parse."""


class InvalidPath(EnlistError):
    """A PATCH path does not name a writable attribute."""


class NoTarget(EnlistError):
    """A PATCH path with a filter matched nothing where something was needed."""


class Mutability(EnlistError):
    """An attempt to change a read-only or immutable attribute."""


class Sensitive(EnlistError):
    """A request touches an attribute that can never be read or filtered (password)."""


class Unauthorized(EnlistError):
    """No valid, unrevoked secret was presented."""


class Forbidden(EnlistError):
    """The account may not use this feature (e.g. no Enterprise calendar)."""


class PreconditionFailed(EnlistError):
    """If-Match named a version the resource no longer has."""


class TooMany(EnlistError):
    """The request asks for more than the advertised limits allow."""


class InvalidCursor(EnlistError):
    """A pagination cursor this server did not issue, or issued for another query (RFC 9865)."""


class ExpiredCursor(EnlistError):
    """A pagination cursor older than the advertised cursorTimeout (RFC 9865)."""


class RateLimited(EnlistError):
    """Too many requests with one secret; retry after the given number of seconds."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
