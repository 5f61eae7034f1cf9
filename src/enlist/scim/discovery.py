"""The discovery documents: ServiceProviderConfig, ResourceTypes and Schemas, as supported."""

from __future__ import annotations

from functools import cache
from typing import Any

from scim2_models import EnterpriseUser, Group, User

from enlist.config import Settings
from enlist.scim.documents import ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

# What the User schema of scim2-models describes that Enlist does not store.
UNSUPPORTED_USER_ATTRIBUTES = {
    "password",
    "ims",
    "photos",
    "entitlements",
    "roles",
    "x509Certificates",
}


def service_provider_config(settings: Settings, base: str) -> dict[str, Any]:
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://github.com/enlist/enlist#readme",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": settings.max_results},
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "etag": {"supported": True},
        # RFC 9865: startIndex (the default, what Okta and Entra send) or cursors.
        "pagination": {
            "cursor": True,
            "index": True,
            "defaultPaginationMethod": "index",
            "defaultPageSize": min(settings.default_page_size, settings.max_results),
            "maxPageSize": settings.max_results,
            "cursorTimeout": settings.cursor_timeout,
        },
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "The SCIM secret generated for a trusted domain, sent as "
                "'Authorization: Bearer <secret>'.",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/ServiceProviderConfig",
        },
    }


def resource_types(base: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "People provisioned by the identity provider",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": False}],
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/User"},
        },
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Groups of the organization linked to the trusted domain",
            "schema": GROUP_SCHEMA,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/Group"},
        },
    ]


@cache
def _schema_bodies() -> tuple[dict[str, Any], ...]:
    user = User.to_schema().model_dump(mode="json", exclude_none=True)
    user["attributes"] = [
        a for a in user["attributes"] if a["name"] not in UNSUPPORTED_USER_ATTRIBUTES
    ]
    for attribute in user["attributes"]:
        if attribute["name"] == "groups":
            attribute["mutability"] = "readOnly"
        if attribute["name"] == "active":
            # Every user has a status (true unless told otherwise): it can be set to
            # false, never removed, so a PATCH remove of it is refused.
            attribute["required"] = True
    group = Group.to_schema().model_dump(mode="json", exclude_none=True)
    for attribute in group["attributes"]:
        if attribute["name"] == "displayName":
            attribute["uniqueness"] = "server"
        if attribute["name"] == "members":
            for sub in attribute.get("subAttributes", []):
                if sub["name"] == "display":
                    sub["mutability"] = "readOnly"  # the member's displayName or userName, computed
    enterprise = EnterpriseUser.to_schema().model_dump(mode="json", exclude_none=True)
    for attribute in enterprise["attributes"]:
        if attribute["name"] == "manager":
            for sub in attribute.get("subAttributes", []):
                if sub["name"] == "$ref":
                    # computed from value, and only when value is the id of a user of the
                    # account (any other manager.value is kept as sent: scim/reading.py)
                    sub["required"] = False
    return user, group, enterprise


def schemas(base: str) -> list[dict[str, Any]]:
    out = []
    for body in _schema_bodies():
        doc = dict(body)
        doc["schemas"] = [SCHEMA_SCHEMA]
        doc["meta"] = {"resourceType": "Schema", "location": f"{base}/Schemas/{doc['id']}"}
        out.append(doc)
    return out
