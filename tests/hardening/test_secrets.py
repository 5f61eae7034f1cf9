"""SCIM secrets: 256 random bits, shown once, kept only as an HMAC digest under a server key."""

import hashlib

from sqlalchemy import select

from enlist.services import tenancy
from enlist.store.db import Database
from enlist.store.tables import scim_secrets


def _rows(db):
    with db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(select(scim_secrets))]


def test_the_database_never_holds_the_secret_or_its_plain_hash(db, tenant):
    (row,) = _rows(db)
    stored = " ".join(str(v) for v in row.values())
    assert tenant.token not in stored
    assert hashlib.sha256(tenant.token.encode()).hexdigest() not in stored
    assert row["hint"] == tenant.token[:8] + "…"


def test_secrets_carry_256_bits_and_are_never_reused(db, tenant, settings):
    key = settings.secret_key
    more = {
        tenancy.create_secret(db, tenant.domain, tenant.account_id, secret_key=key).secret
        for _ in range(20)
    }
    assert len(more | {tenant.token}) == 21
    assert all(len(s) >= len("enl_") + 43 for s in more)  # 32 random bytes, base64url


def test_another_process_with_the_same_database_accepts_the_secret(
    db, tenant, database_url, settings
):
    other = Database.open(database_url)  # a second worker: it reads the same stored key
    try:
        found = tenancy.authenticate(other, tenant.token, settings.secret_key)
        assert found.account_id == tenant.account_id
    finally:
        other.dispose()


def test_several_secrets_work_at_once_for_rotation(client, db, tenant, settings):
    key = settings.secret_key
    newer = tenancy.create_secret(db, tenant.domain, tenant.account_id, secret_key=key).secret
    for token in (tenant.token, newer):
        assert (
            client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"}).status_code
            == 200
        )
    tenancy.revoke_secret(db, tenant.secret_id)
    assert (
        client.get(
            "/scim/v2/Users", headers={"Authorization": f"Bearer {tenant.token}"}
        ).status_code
        == 401
    )
    assert (
        client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {newer}"}).status_code
        == 200
    )


def test_an_expired_secret_is_refused_with_a_reason(client, db, tenant, settings):
    from sqlalchemy import update

    from enlist.clock import now

    expiring = tenancy.create_secret(
        db, tenant.domain, tenant.account_id, secret_key=settings.secret_key, expires_in_days=30
    )
    headers = {"Authorization": f"Bearer {expiring.secret}"}
    assert client.get("/scim/v2/Users", headers=headers).status_code == 200
    with db.write() as conn:  # thirty days later
        conn.execute(
            update(scim_secrets).where(scim_secrets.c.id == expiring.id).values(expires_at=now())
        )
    refused = client.get("/scim/v2/Users", headers=headers)
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]


def test_the_domain_page_warns_before_a_secret_expires(db, tenant):
    from datetime import timedelta

    from enlist.clock import now

    soon = now() + timedelta(days=3, hours=1)
    assert tenancy.expiry_warning(soon).startswith("Expires in 4 days")
    assert tenancy.expiry_warning(now() + timedelta(days=60)) is None
    assert tenancy.expiry_warning(None) is None
    assert tenancy.expiry_warning(now() - timedelta(seconds=1)).startswith("Expired on")
