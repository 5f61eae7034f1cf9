"""The scim2-tester conformance suite against a live `enlist serve` process.

The tenant is set up through the `enlist` command (with --json), exactly as an operator
would, then scim2-tester discovers the server from /ServiceProviderConfig, /ResourceTypes
and /Schemas and runs every check it has: discovery, CRUD, attributes projection, and
PATCH add/replace/remove on every advertised attribute of Users and Groups.

Why the tester's data is configured: scim2-tester fills attributes with random values
(uuid userNames, emails on random `<uuid>.com` domains, uuid strings for timezone, locale
and preferredLanguage). Enlist refuses, by design (see ../shared/INTERFACE.md), any user
whose userName or email is not on a verified trusted domain of the account, and any
timezone that is not an IANA zone name. Those rules are the product, not a conformance
bug, so rather than weakening them the test wraps scim2-tester's value generator: userName
and emails.value become `<uuid hex>@example.com` (the tenant's verified domain), timezone
a real IANA zone, locale and preferredLanguage real language tags. Everything else stays
random.

One more value is predicted rather than random: a group member's `display`. Enlist
advertises it as readOnly (it is the member's displayName or userName, computed, never
taken from the request), but scim2-tester compares the members it PATCHed with those
returned, read-only sub-attributes included. The enterprise extension's
`manager.displayName` is predicted for the same reason (readOnly in RFC 7643 §4.3).

And one is adjusted to what scim2-models reads back: an enterprise extension object made
by scim2-models carries its own `schemas` list, but one parsed from a response has `[]`,
since no server writes `schemas` inside an extension object (RFC 7643 §3 puts it at the
top of the resource, where Enlist lists the extension). scim2-tester compares the two
dumps whole, so the object it PATCHes is given the empty list it will read back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2  # scim2-client's network engine (the test extra scim2-client[httpx2])
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server, filling
from scim2_tester.checkers import patch_add, patch_replace

from tests.e2e.live import enlist_env, serving, setup_tenant

pytestmark = pytest.mark.live

DOMAIN = "example.com"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@dataclass
class LiveServer:
    base_url: str  # the SCIM base URL, .../scim/v2
    token: str


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A tenant set up through the CLI, and `enlist serve` on a free port of 127.0.0.1."""
    database = tmp_path_factory.mktemp("conformance") / "enlist.db"
    env = enlist_env(f"sqlite:///{database}")
    env.pop("ENLIST_PUBLIC_URL", None)  # meta.location must be the address the tester uses
    tenant = setup_tenant(env, DOMAIN)
    with serving(env) as base:
        yield LiveServer(base_url=f"{base}/scim/v2", token=tenant.token)


# --- the tester's data, configured for the tenant's rules ------------------------------

_original_generate = filling.generate_random_value


def _attribute(path: Any) -> tuple[str, str | None]:
    """The last attribute name of a path and the name of the model holding it."""
    binding = path.resolve()
    field = binding.target_field_name if binding else None
    model = binding.target_model if binding else None
    name = str(path).rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    return (field or name), (model.__name__ if model else None)


def _account_value(context: Any, path: Any, mutability: Any = None, required: Any = None) -> Any:
    """scim2-tester's random value, except where Enlist's account rules need a real one."""
    value = _original_generate(context, path, mutability, required)
    if value is None:
        return None
    text = str(path)
    field, model = _attribute(path)
    is_email = text.lower().endswith("emails.value") or (
        field == "value" and model is not None and "email" in model.lower()
    )
    if text.lower().endswith("username") or is_email:
        return f"{uuid.uuid4().hex}@{DOMAIN}"  # must be on the tenant's verified domain
    if field.lower() == "timezone":
        return "Europe/Paris"  # must be an IANA zone name
    if field.lower() in ("locale", "preferredlanguage"):
        return "en-US"  # a language tag, not a uuid
    _predict_member_display(context, value)
    _predict_manager_display(context, value)
    if _is_enterprise_extension(value):
        value.schemas = []  # what a parsed extension object holds (see the docstring)
    return value


def _is_enterprise_extension(value: Any) -> bool:
    # the tester builds its models from /Schemas: compare by URN, not by class
    return list(getattr(value, "schemas", None) or []) == [ENTERPRISE] and hasattr(value, "manager")


def _predict_member_display(context: Any, value: Any) -> None:
    """Fill members[].display the way Enlist computes it: the member's displayName or userName.

    Enlist advertises members.display as readOnly (it is derived from the user, never
    stored from the request), but the PATCH checks compare the whole member objects they
    sent with those returned, read-only sub-attributes included; so the test predicts it.
    """
    for item in value if isinstance(value, list) else [value]:
        ref = getattr(item, "ref", None)
        if not ref or not hasattr(item, "display"):
            continue
        for resource in context.resource_manager.resources:
            if resource.meta is not None and resource.meta.location == ref:
                item.display = getattr(resource, "display_name", None) or getattr(
                    resource, "user_name", None
                )


def _predict_manager_display(context: Any, value: Any) -> None:
    """Fill manager.displayName as Enlist computes it: the manager's displayName or userName."""
    manager = getattr(value, "manager", None) if _is_enterprise_extension(value) else value
    if not getattr(manager, "ref", None) or not hasattr(manager, "display_name"):
        return
    for resource in context.resource_manager.resources:
        if resource.meta is not None and resource.meta.location == manager.ref:
            manager.display_name = getattr(resource, "display_name", None) or getattr(
                resource, "user_name", None
            )


@pytest.fixture
def account_values(monkeypatch: pytest.MonkeyPatch) -> None:
    # The checkers import the generator by name, so each importing module is patched.
    for module in (filling, patch_add, patch_replace):
        monkeypatch.setattr(module, "generate_random_value", _account_value)


# --- the suite ---------------------------------------------------------------------------


def test_scim2_tester_conformance(live_server: LiveServer, account_values: None) -> None:
    http = httpx2.Client(
        base_url=live_server.base_url,
        headers={"Authorization": f"Bearer {live_server.token}"},
        timeout=30.0,
    )
    with http:
        client = SyncSCIMClient(http)
        results = check_server(client)

    failures = [r for r in results if r.status != Status.SUCCESS]
    report = "\n".join(
        f"- [{r.status.name}] {r.resource_type or '-'} {r.title}: {r.reason}" for r in failures
    )
    assert not failures, (
        f"{len(failures)} of {len(results)} scim2-tester checks did not succeed:\n{report}"
    )
    assert len(results) > 30, f"only {len(results)} scim2-tester checks ran"
    print(f"scim2-tester: {len(results)} checks, every one SUCCESS")
