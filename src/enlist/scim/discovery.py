"""The discovery documents: ServiceProviderConfig, ResourceTypes and Schemas, as supported."""

from __future__ import annotations

from functools import cache
from typing import Any

from scim2_models import EnterpriseUser, Group, User

from enlist.config import Settings
from enlist.domain.schema import (
    ENTERPRISE_SCHEMA,
    ENTERPRISE_USER,
    GROUP_SCHEMA,
    USER,
    USER_SCHEMA,
    Attribute,
    Schema,
)

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"


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


def _as_kept(body: dict[str, Any], schema: Schema) -> dict[str, Any]:
    """scim2-models' description of a schema, cut to the attributes Enlist keeps (it has
    password, ims, photos, entitlements, roles, x509Certificates too) and saying of each
    what the registry says: whether it is required, its mutability, when it is returned."""
    kept = []
    for described in body["attributes"]:
        attribute = schema.attribute(described["name"])
        if attribute is None:
            continue
        _describe(described, attribute)
        for described_sub in described.get("subAttributes", []):
            sub = attribute.sub(described_sub["name"])
            if sub is not None:
                _describe(described_sub, sub)
        kept.append(described)
    return {**body, "attributes": kept}


def _describe(described: dict[str, Any], attribute: Attribute) -> None:
    described["required"] = attribute.required
    described["mutability"] = attribute.mutability.value
    described["returned"] = attribute.returned


@cache
def _schema_bodies() -> tuple[dict[str, Any], ...]:
    user = _as_kept(User.to_schema().model_dump(mode="json", exclude_none=True), USER)
    group = Group.to_schema().model_dump(mode="json", exclude_none=True)
    for attribute in group["attributes"]:
        if attribute["name"] == "displayName":
            attribute["uniqueness"] = "server"
        if attribute["name"] == "members":
            for sub in attribute.get("subAttributes", []):
                if sub["name"] == "display":
                    sub["mutability"] = "readOnly"  # the member's displayName or userName, computed
    enterprise = EnterpriseUser.to_schema().model_dump(mode="json", exclude_none=True)
    return user, group, _as_kept(enterprise, ENTERPRISE_USER)


def schemas(base: str) -> list[dict[str, Any]]:
    out = []
    for body in _schema_bodies():
        doc = dict(body)
        doc["schemas"] = [SCHEMA_SCHEMA]
        doc["meta"] = {"resourceType": "Schema", "location": f"{base}/Schemas/{doc['id']}"}
        out.append(doc)
    return out
