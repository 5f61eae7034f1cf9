"""Assertions the test files share."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def assert_scim_error(response: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    """The response is an RFC 7644 error with this status (and scimType, when given), in the
    SCIM media type, with a detail in words and no traceback; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json"), response.headers
    assert "Traceback" not in response.text
    body = dict(response.json())
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert isinstance(body["detail"], str) and body["detail"].strip()
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body
