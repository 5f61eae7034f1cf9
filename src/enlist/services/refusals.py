"""SCIM requests refused (401) for a revoked or expired secret, told to the secret's account:
in its activity log at most once a minute per secret, with how many, and on the domain page
(so an admin whose identity provider says "401" finds why)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from enlist.clock import now
from enlist.domain.activity import Entry
from enlist.services.tenancy import SECRET_PREFIX, digest
from enlist.store.activity import ActivityStore
from enlist.store.db import Database
from enlist.store.refusals import Refusals, RefusalStore, RefusedSecret

LOG_EVERY = timedelta(minutes=1)

log = logging.getLogger("enlist.refusals")


def _refused(secret: RefusedSecret, moment: datetime) -> str | None:
    """ "revoked" or "expired", or None for a secret that is still accepted."""
    if secret.revoked_at is not None:
        return "revoked"
    if secret.expires_at is not None and secret.expires_at <= moment:
        return "expired"
    return None


def record_refused_secret(
    db: Database,
    token: str,
    secret_key: str,
    *,
    user_agent: str | None = None,
    request_id: str | None = None,
) -> None:
    """Count a refused request whose bearer token is one of our revoked or expired secrets,
    and log it when the secret's last entry is a minute old. Tokens that were never a
    secret are nobody's to tell. Never fails the 401 it accompanies."""
    token = token.strip()
    if not token.startswith(SECRET_PREFIX) or len(token) > 200:
        return
    try:
        wanted = digest(db, token, secret_key)
        moment = now()
        with db.read() as conn:
            secret = RefusalStore(conn).secret(wanted)
        how = _refused(secret, moment) if secret is not None else None
        if secret is None or how is None:
            return
        with db.write() as conn:
            store = RefusalStore(conn)
            counts = store.tried(secret, moment)
            if counts.logged_at is not None and moment - counts.logged_at < LOG_EVERY:
                return
            store.logged(secret.id, moment)
            requests = f"{counts.unlogged} SCIM request{'s' if counts.unlogged != 1 else ''}"
            ActivityStore(conn).append(
                Entry(
                    account_id=secret.account_id,
                    at=moment,
                    actor_type="scim",
                    actor=secret.id,
                    action="secret.refused",
                    outcome="refused",
                    detail=(
                        f"Refused {requests} with the {how} secret {secret.hint} of "
                        f"{secret.domain} (401 Unauthorized): your identity provider still "
                        "uses it. Paste an active secret into it."
                    ),
                    resource_type="Secret",
                    resource_id=secret.id,
                    resource_name=secret.domain,
                    status=401,
                    user_agent=user_agent,
                    request_id=request_id,
                )
            )
    except Exception:  # counting must never turn a 401 into a 500
        log.exception("could not record a refused SCIM secret")


def refused_secrets(db: Database, account_id: str) -> dict[str, Refusals]:
    """The account's revoked or expired secrets that were tried, by secret id."""
    with db.read() as conn:
        return RefusalStore(conn).of_account(account_id)
