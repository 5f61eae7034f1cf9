"""An identity provider still sending a revoked or expired secret: the admin finds it, in the
activity log (at most one entry per secret per minute, with a count) and on the domain page."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from enlist.clock import now
from enlist.services import activity, tenancy
from enlist.store.tables import scim_secrets, secret_refusals
from tests.admin.test_directory_pages import _signed_in_as


def _said(page: Any) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page.text)))


def _refused_entries(db: Any, account_id: str) -> list[Any]:
    return [e for _, e in activity.newest(db, account_id) if e.action == "secret.refused"]


def _domain_id(db: Any, tenant: Any) -> str:
    (domain,) = tenancy.domains(db, tenant.account_id)
    return domain.id


def _hint(tenant: Any) -> str:
    return tenant.token[:8] + "…"


def test_a_revoked_secret_still_in_use_is_logged_once_a_minute_with_a_count(
    client: Any, db: Any, tenant: Any
) -> None:
    tenancy.revoke_secret(db, tenant.secret_id, tenant.account_id)
    for _ in range(3):
        assert client.get("/scim/v2/Users", headers=tenant.headers).status_code == 401
    (entry,) = _refused_entries(db, tenant.account_id)
    assert entry.outcome == "refused" and entry.status == 401
    assert entry.detail.startswith(
        f"Refused 1 SCIM request with the revoked secret {_hint(tenant)} of example.com "
        "(401 Unauthorized)"
    )
    with db.write() as conn:  # a minute passes
        conn.execute(update(secret_refusals).values(logged_at=now() - timedelta(seconds=61)))
    assert client.get("/scim/v2/Users", headers=tenant.headers).status_code == 401
    newest, _ = _refused_entries(db, tenant.account_id)
    assert newest.detail.startswith("Refused 3 SCIM requests with the revoked secret")


def test_the_domain_page_says_the_identity_provider_still_uses_the_revoked_secret(
    admin_app: Any, client: Any, db: Any, tenant: Any
) -> None:
    tenancy.revoke_secret(db, tenant.secret_id, tenant.account_id)
    client.get("/scim/v2/Users", headers=tenant.headers)
    admin = _signed_in_as(admin_app, db, tenant)
    page = _said(admin.get(f"/domains/{_domain_id(db, tenant)}"))
    assert f"Okta is still using the revoked secret {_hint(tenant)}; last tried just now." in page
    with db.write() as conn:
        conn.execute(update(secret_refusals).values(last_tried=now() - timedelta(minutes=2)))
    page = _said(admin.get(f"/domains/{_domain_id(db, tenant)}"))
    assert f"still using the revoked secret {_hint(tenant)}; last tried 2 min ago." in page
    activity_page = _said(admin.get("/activity"))
    assert f"Refused 1 SCIM request with the revoked secret {_hint(tenant)}" in activity_page


def test_an_expired_secret_is_told_the_same_way(
    admin_app: Any, client: Any, db: Any, tenant: Any
) -> None:
    with db.write() as conn:
        conn.execute(
            update(scim_secrets)
            .where(scim_secrets.c.id == tenant.secret_id)
            .values(expires_at=now() - timedelta(days=1))
        )
    assert client.get("/scim/v2/Users", headers=tenant.headers).status_code == 401
    (entry,) = _refused_entries(db, tenant.account_id)
    assert f"with the expired secret {_hint(tenant)}" in entry.detail
    admin = _signed_in_as(admin_app, db, tenant)
    page = _said(admin.get(f"/domains/{_domain_id(db, tenant)}"))
    assert f"Okta is still using the expired secret {_hint(tenant)}" in page


def test_a_token_that_was_never_a_secret_is_nobodys_to_tell(
    client: Any, db: Any, tenant: Any, make_tenant: Any
) -> None:
    other = make_tenant("globex.com")
    for token in ("enl_" + "x" * 43, "nonsense", tenant.token[:-2] + "zz"):
        answer = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401
    assert client.get("/scim/v2/Users", headers=tenant.headers).status_code == 200
    assert _refused_entries(db, tenant.account_id) == []
    assert _refused_entries(db, other.account_id) == []


def test_another_accounts_revoked_secret_shows_only_on_its_own_page(
    admin_app: Any, client: Any, db: Any, tenant: Any, make_tenant: Any
) -> None:
    other = make_tenant("globex.com")
    tenancy.revoke_secret(db, other.secret_id, other.account_id)
    client.get("/scim/v2/Users", headers=other.headers)
    admin = _signed_in_as(admin_app, db, tenant)
    assert "still using" not in admin.get(f"/domains/{_domain_id(db, tenant)}").text
    assert "revoked secret" not in admin.get("/activity").text
    assert _refused_entries(db, tenant.account_id) == []
    assert len(_refused_entries(db, other.account_id)) == 1
