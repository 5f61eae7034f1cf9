"""Every refusal under /scim/v2 as the RFC 7644 error envelope, mapped in one place."""

from __future__ import annotations

import json
import logging

from starlette.responses import Response

from enlist.domain import errors

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_JSON = "application/scim+json"
log = logging.getLogger("enlist.scim")


class PayloadTooLarge(errors.EnlistError):
    """The body is over the advertised limit (checked before it is parsed)."""


class MethodNotAllowed(errors.EnlistError):
    """The endpoint exists but not for this HTTP method."""


# Each refusal's HTTP status and RFC 7644 §3.12 scimType (None: the status says it all).
# The first class the error is an instance of answers (list a subclass before its parent).
ANSWERS: dict[type[errors.EnlistError], tuple[int, str | None]] = {
    errors.NotFound: (404, None),
    errors.Conflict: (409, "uniqueness"),
    errors.InvalidValue: (400, "invalidValue"),
    errors.InvalidSyntax: (400, "invalidSyntax"),
    errors.InvalidFilter: (400, "invalidFilter"),
    errors.InvalidPath: (400, "invalidPath"),
    errors.NoTarget: (400, "noTarget"),
    errors.Mutability: (400, "mutability"),
    errors.Sensitive: (403, "sensitive"),
    errors.Unauthorized: (401, None),
    errors.Forbidden: (403, None),
    errors.PreconditionFailed: (412, None),
    errors.TooMany: (400, "tooMany"),
    errors.InvalidCursor: (400, "invalidCursor"),
    errors.ExpiredCursor: (400, "expiredCursor"),
    errors.RateLimited: (429, None),
    PayloadTooLarge: (413, None),
    MethodNotAllowed: (405, None),
}


def answer_of(error: errors.EnlistError) -> tuple[int, str | None]:
    """The status and scimType of a refusal (400 without a scimType when it is not listed)."""
    return next(
        (answer for kind, answer in ANSWERS.items() if isinstance(error, kind)), (400, None)
    )


def error_response(
    status: int, detail: str, scim_type: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, object] = {"schemas": [ERROR_URN], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    extra = dict(headers or {})
    if status == 401:
        extra.setdefault("WWW-Authenticate", 'Bearer realm="enlist"')
    return Response(json.dumps(body), status_code=status, media_type=SCIM_JSON, headers=extra)


def from_error(error: errors.EnlistError) -> Response:
    status, scim_type = answer_of(error)
    headers = None
    if isinstance(error, errors.RateLimited):
        headers = {"Retry-After": str(error.retry_after)}
    return error_response(status, error.detail, scim_type, headers)


def internal_error(exc: BaseException) -> Response:
    log.error("unexpected error while serving a SCIM request", exc_info=exc)
    return error_response(
        500, "Enlist could not complete the request; it has been logged. Retry later."
    )
