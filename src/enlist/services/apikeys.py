"""API keys of the calendar application: create (shown once), list, revoke, authenticate."""

from __future__ import annotations

import hmac
import secrets as random_secrets
from dataclasses import dataclass
from datetime import timedelta

from enlist.clock import now
from enlist.domain.errors import InvalidValue, NotFound, Unauthorized
from enlist.domain.tenancy import ApiKey
from enlist.services.tenancy import digest, require_account
from enlist.services.unit import OPERATOR, Actor, writing
from enlist.store.apikeys import ApiKeyStore
from enlist.store.db import Database

KEY_PREFIX = "enl_api_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewApiKey:
    id: str
    key: str  # the only time the value exists outside the caller's hands
    name: str


@dataclass(frozen=True)
class ApiCaller:
    """Who calls the API: the account a valid key belongs to."""

    account_id: str
    key_id: str


def create_api_key(
    db: Database,
    account_id: str,
    name: str = "Calendar application",
    *,
    secret_key: str,
    actor: Actor = OPERATOR,
) -> NewApiKey:
    """A fresh key for the account, digested under `secret_key` like SCIM secrets."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidValue("An API key needs a name of at most 200 characters.")
    key = KEY_PREFIX + random_secrets.token_urlsafe(32)  # 256 bits
    hashed = digest(db, key, secret_key)  # before the write: the key may need a write of its own
    hint = key[: len(KEY_PREFIX) + 4] + "…"
    with writing(db, account_id, actor) as change:
        require_account(change.conn, account_id)
        key_id = ApiKeyStore(change.conn).add(account_id, name, hashed, hint, actor.id)
        change.log(
            "apikey.create",
            f"Created the API key {name} ({hint}).",
            resource_type="ApiKey",
            resource_id=key_id,
            resource_name=name,
        )
    return NewApiKey(id=key_id, key=key, name=name)


def revoke_api_key(
    db: Database, key_id: str, account_id: str | None = None, *, actor: Actor = OPERATOR
) -> ApiKey:
    """Revoke a key (another account's id is NotFound, like no id); calls with it get 401."""
    with db.read() as conn:
        found = ApiKeyStore(conn).get(key_id)
    if found is None or (account_id is not None and found.account_id != account_id):
        raise NotFound(f"There is no API key {key_id}.")
    with writing(db, found.account_id, actor) as change:
        if ApiKeyStore(change.conn).revoke(key_id):
            change.log(
                "apikey.revoke",
                f"Revoked the API key {found.name} ({found.hint}); calls with it now get 401.",
                resource_type="ApiKey",
                resource_id=key_id,
                resource_name=found.name,
            )
    return found


def api_keys(db: Database, account_id: str) -> list[ApiKey]:
    """The account's keys, newest first (revoked ones too, with when)."""
    with db.read() as conn:
        require_account(conn, account_id)
        return ApiKeyStore(conn).of_account(account_id)


def authenticate_api_key(db: Database, token: str, secret_key: str) -> ApiCaller:
    """The account a bearer API key acts for; Unauthorized for anything else."""
    token = token.strip()
    if not token.startswith(KEY_PREFIX) or len(token) > 200:
        raise Unauthorized("Send an Enlist API key as 'Authorization: Bearer enl_api_…'.")
    wanted = digest(db, token, secret_key)
    with db.read() as conn:
        found = ApiKeyStore(conn).live_by_digest(wanted)
    if found is None or not hmac.compare_digest(found[2], wanted):
        raise Unauthorized("The API key is unknown or has been revoked.")
    key_id, account_id, _, last_used = found
    moment = now()
    if last_used is None or moment - last_used > LAST_USED_RESOLUTION:
        with db.write() as conn:
            ApiKeyStore(conn).touch(key_id, moment, LAST_USED_RESOLUTION)
    return ApiCaller(account_id=account_id, key_id=key_id)
