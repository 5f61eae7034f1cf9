"""A new SCIM secret is shown once, on a page a reload does not recreate (post/redirect/get)."""

from __future__ import annotations

from typing import Any

from enlist.services import tenancy
from tests.admin.conftest import Browser
from tests.admin.test_domains import _SECRET, _add_secret, _organization, _verified_domain


def _active(db: Any, account_id: str, domain_id: str) -> list[Any]:
    return [s for s in tenancy.domain_secrets(db, account_id, domain_id) if s.revoked_at is None]


def test_reloading_the_new_secret_page_mints_no_second_secret(
    signed_in: Browser, published: Any, admin: Any, db: Any
) -> None:
    domain_id = _verified_domain(signed_in, published)
    secret, page = _add_secret(signed_in, domain_id, _organization(db, admin.account_id))
    assert str(page.url).endswith(f"/domains/{domain_id}/new-secret")
    assert page.history and page.history[0].status_code == 303  # Save answered with a redirect
    reloaded = signed_in.get(f"/domains/{domain_id}/new-secret")
    assert secret not in reloaded.text and not _SECRET.search(reloaded.text)
    assert "shown only once" in reloaded.text
    assert str(reloaded.url).endswith(f"/domains/{domain_id}")
    assert len(_active(db, admin.account_id, domain_id)) == 1


def test_the_new_secret_has_the_focus_so_copy_is_one_tab_away(
    signed_in: Browser, published: Any
) -> None:
    domain_id = _verified_domain(signed_in, published)
    _, page = _add_secret(signed_in, domain_id)
    assert 'id="scim-secret" class="mono" type="text"' in page.text
    assert "readonly autofocus" in page.text


def test_the_secret_cookie_is_sealed_and_useless_on_another_domain(
    signed_in: Browser, published: Any, admin: Any, db: Any
) -> None:
    first = _verified_domain(signed_in, published, "acme.com")
    second = _verified_domain(signed_in, published, "acme.org")
    token = signed_in.submit(f"/domains/{first}", f"/domains/{first}", {"add_secret": "1"})
    # the redirect was followed and the secret shown; a stolen copy of the cookie says nothing
    secret = _SECRET.search(token.text).group(1)  # type: ignore[union-attr]
    assert secret not in str(token.history[0].headers.get("set-cookie"))
    other = signed_in.get(f"/domains/{second}/new-secret")
    assert not _SECRET.search(other.text)


def test_a_secret_revoked_before_it_is_shown_is_not_shown(
    signed_in: Browser, published: Any, admin: Any, db: Any
) -> None:
    domain_id = _verified_domain(signed_in, published)
    token = signed_in.submit(
        f"/domains/{domain_id}",
        f"/domains/{domain_id}",
        {"add_secret": "1"},
        follow_redirects=False,
    )
    assert token.status_code == 303
    (created,) = _active(db, admin.account_id, domain_id)
    tenancy.revoke_secret(db, created.id, admin.account_id)
    page = signed_in.get(f"/domains/{domain_id}/new-secret")
    assert not _SECRET.search(page.text) and "shown only once" in page.text


def test_another_accounts_domain_has_no_new_secret_page(
    signed_in: Browser, make_admin: Any, db: Any
) -> None:
    other = make_admin("Globex")
    domain = tenancy.add_domain(db, other.account_id, "globex.com", verified=True)
    assert signed_in.get(f"/domains/{domain.id}/new-secret").status_code == 404
