"""API keys of the calendar application: create one (its value shown once), list, revoke."""

from __future__ import annotations

from functools import partial

from starlette.responses import Response

from enlist.admin.visit import PageRoute, Visit
from enlist.domain.errors import EnlistError
from enlist.domain.tenancy import ApiKey
from enlist.services import apikeys
from enlist.services.sealing import seal, unseal

# Carries the new key, sealed, from the POST to the page it redirects to: a reload of that
# page shows it no more and creates nothing (post/redirect/get).
KEY_COOKIE = "enlist_new_api_key"
_KEY_PURPOSE = "api key on its way to the admin"
_KEY_SECONDS = 120


def api_keys_page(visit: Visit, status: int = 200, error: str | None = None) -> Response:
    keys = apikeys.api_keys(visit.db, visit.account_id)
    response = visit.render(
        "api_keys.html",
        status_code=status,
        keys=keys,
        new_key=_new_key(visit, keys),
        error=error,
        name=visit.field("name"),
    )
    if KEY_COOKIE in visit.request.cookies:
        response.delete_cookie(KEY_COOKIE, path="/")  # shown once, even on a reload
    return response


def create_api_key(visit: Visit) -> Response:
    name = visit.field("name") or "Calendar application"
    try:
        created = apikeys.create_api_key(
            visit.db,
            visit.account_id,
            name,
            secret_key=visit.settings.secret_key,
            actor=visit.actor,
        )
    except EnlistError as refused:
        return visit.refuse(
            refused,
            "apikey.create",
            f"Refused to create the API key {name!r}",
            partial(api_keys_page, visit),
            resource_type="ApiKey",
            resource_name=name[:200] or None,
        )
    response = visit.redirect("/api-keys")
    sealed = seal(visit.db, visit.settings.secret_key, _KEY_PURPOSE, created.key)
    carried = visit.site.signer.sign(
        "api-key", {"id": created.id, "name": created.name, "sealed": sealed}
    )
    visit.site.set_cookie(visit.request, response, KEY_COOKIE, carried, _KEY_SECONDS)
    return response


def revoke_api_key(visit: Visit) -> Response:
    key = apikeys.revoke_api_key(
        visit.db, visit.request.path_params["id"], visit.account_id, actor=visit.actor
    )
    return visit.redirect(
        "/api-keys", f"Revoked the API key {key.name} ({key.hint}): calls with it now get 401."
    )


def _new_key(visit: Visit, keys: list[ApiKey]) -> dict[str, str] | None:
    """The key Save just created, if the cookie carries one of this account's live keys."""
    carried = visit.site.signer.unsign(
        "api-key", visit.request.cookies.get(KEY_COOKIE), _KEY_SECONDS
    )
    if not isinstance(carried, dict) or not isinstance(carried.get("sealed"), str):
        return None
    live = {k.id for k in keys if k.revoked_at is None}
    if carried.get("id") not in live:  # another account's, or revoked since
        return None
    key = unseal(visit.db, visit.settings.secret_key, _KEY_PURPOSE, carried["sealed"])
    if key is None:
        return None
    return {"name": str(carried.get("name", "")), "key": key}


ROUTES: list[PageRoute] = [
    ("/api-keys", ["GET"], api_keys_page, False),
    ("/api-keys", ["POST"], create_api_key, False),
    ("/api-keys/{id}/revoke", ["POST"], revoke_api_key, False),
]
