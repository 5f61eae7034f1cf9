"""Every refusal under /scim/v2 as the RFC 7644 error envelope, mapped in one place."""

from __future__ import annotations

import json
import logging

from starlette.responses import Response

from enlist.domain import errors

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_JSON = "application/scim+json"
log = logging.getLogger("enlist.scim")

STATUS: list[tuple[type[errors.EnlistError], int]] = [
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.Unauthorized, 401),
    (errors.Forbidden, 403),
    (errors.Sensitive, 403),
    (errors.PreconditionFailed, 412),
    (errors.TooMany, 400),
]


class PayloadTooLarge(errors.EnlistError):
    """The body is over the advertised limit (checked before it is parsed)."""


class MethodNotAllowed(errors.EnlistError):
    """The endpoint exists but not for this HTTP method."""


STATUS += [(PayloadTooLarge, 413), (MethodNotAllowed, 405)]


def status_of(error: errors.EnlistError) -> int:
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 400


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
    if isinstance(error, errors.RateLimited):
        return error_response(429, error.detail, None, {"Retry-After": str(error.retry_after)})
    return error_response(status_of(error), error.detail, error.scim_type)


def internal_error(exc: BaseException) -> Response:
    log.error("unexpected error while serving a SCIM request", exc_info=exc)
    return error_response(
        500, "Enlist could not complete the request; it has been logged. Retry later."
    )
