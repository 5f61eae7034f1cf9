"""The relying party's cache of each issuer's discovery document and keys, against the real
test provider: a made-up `kid` refetches the keys at most once every few seconds."""

from __future__ import annotations

import httpx

from enlist.signin.oidc import REFETCH_SECONDS, Issuers
from tests.openid_provider import OpenIdProvider


def test_unknown_kids_refetch_the_keys_at_most_once_every_few_seconds(
    openid_provider: OpenIdProvider,
) -> None:
    fetched: list[str] = []
    moment = [1000.0]
    http = httpx.Client(event_hooks={"request": [lambda r: fetched.append(str(r.url))]})
    issuers = Issuers(http=http, clock=lambda: moment[0])
    issuer, jwks = openid_provider.issuer, openid_provider.discovery()["jwks_uri"]
    try:
        issuers.keys_for(issuer, None)
        issuers.keys_for(issuer, "made-up-1")
        issuers.keys_for(issuer, "made-up-2")
        assert fetched.count(jwks) == 2  # the first fetch, then one refetch

        moment[0] += REFETCH_SECONDS + 1
        new_kid = openid_provider.rotate_keys(keep_previous=True)
        keys = issuers.keys_for(issuer, new_kid)

        assert fetched.count(jwks) == 3
        assert new_kid in {key.kid for key in keys.keys}
        issuers.keys_for(issuer, new_kid)
        assert fetched.count(jwks) == 3  # known now: no fetch
        assert fetched.count(openid_provider.discovery_url) == 1
    finally:
        issuers.close()
