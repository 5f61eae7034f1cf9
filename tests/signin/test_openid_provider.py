"""The test OpenID Provider is real and its controls work, seen by a minimal relying party
(Authlib for the code flow, joserfc for the ID token) over real HTTP on loopback."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

# Authlib ships no type information.
from authlib.integrations.base_client import OAuthError  # type: ignore[import-untyped]
from authlib.integrations.httpx_client import OAuth2Client  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import KeySet

from tests.e2e.test_admin_browser import CHROMIUM, CHROMIUM_ARGS
from tests.openid_provider import (
    ENLIST_CLIENT,
    JANE,
    OTHER_CLIENT_ID,
    SAM,
    Account,
    OpenIdProvider,
    RegisteredClient,
    Tampering,
    sign_in_at_provider,
)

SKEW_SECONDS = 60


@dataclass
class Authorization:
    """One authorization request of the relying party and what it must remember."""

    url: str
    state: str
    nonce: str
    code_verifier: str
    rp: OAuth2Client


def authorize(provider: OpenIdProvider, client: RegisteredClient = ENLIST_CLIENT) -> Authorization:
    rp = OAuth2Client(
        client.client_id,
        client.client_secret,
        scope="openid email profile",
        redirect_uri=client.redirect_uris[0],
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    nonce, code_verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    url, state = rp.create_authorization_url(
        provider.discovery()["authorization_endpoint"], nonce=nonce, code_verifier=code_verifier
    )
    return Authorization(url, state, nonce, code_verifier, rp)


def redeem(provider: OpenIdProvider, request: Authorization, callback_url: str) -> dict[str, Any]:
    """The token endpoint's answer for the callback's code (Authlib checks `state`)."""
    token: dict[str, Any] = request.rp.fetch_token(
        provider.discovery()["token_endpoint"],
        authorization_response=callback_url,
        state=request.state,
        code_verifier=request.code_verifier,
    )
    return token


def refusal(provider: OpenIdProvider, request: Authorization, callback_url: str) -> str:
    """The OAuth error code the token endpoint refuses the callback's code with."""
    with pytest.raises(OAuthError) as refused:
        redeem(provider, request, callback_url)
    return str(refused.value.error)


def key_set(provider: OpenIdProvider) -> KeySet:
    """The provider's published keys, as a relying party fetches them from `jwks_uri`."""
    return KeySet.import_key_set({"keys": provider.jwks()["keys"]})


def validate_id_token(
    provider: OpenIdProvider, id_token: str, nonce: str, client_id: str = ENLIST_CLIENT.client_id
) -> dict[str, Any]:
    """What a correct relying party checks (OpenID Connect Core 3.1.3.7); raises JoseError."""
    token = jwt.decode(id_token, key_set(provider), algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        leeway=SKEW_SECONDS,
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    ).validate(token.claims)
    audiences = token.claims["aud"] if isinstance(token.claims["aud"], list) else []
    if (len(audiences) > 1 or "azp" in token.claims) and token.claims.get("azp") != client_id:
        raise InvalidClaimError("azp")
    return token.claims


def sign_in(provider: OpenIdProvider, account: Account = JANE) -> tuple[Authorization, str]:
    request = authorize(provider)
    return request, sign_in_at_provider(request.url, account.sub)


def id_token_of(provider: OpenIdProvider, account: Account = JANE) -> tuple[str, str]:
    """A whole sign-in: the ID token issued and the nonce it must carry."""
    request, callback_url = sign_in(provider, account)
    return redeem(provider, request, callback_url)["id_token"], request.nonce


def test_discovery_advertises_the_code_flow_enlist_uses(openid_provider: OpenIdProvider) -> None:
    discovery = openid_provider.discovery()

    assert discovery["issuer"] == openid_provider.issuer
    assert openid_provider.issuer.startswith("http://127.0.0.1:")
    assert discovery["response_types_supported"] == ["code"]
    assert discovery["grant_types_supported"] == ["authorization_code"]
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert discovery["token_endpoint_auth_methods_supported"] == ["client_secret_basic"]
    assert {"openid", "email", "profile"} <= set(discovery["scopes_supported"])
    assert {"sub", "email", "email_verified", "name", "locale", "zoneinfo"} <= set(
        discovery["claims_supported"]
    )
    assert discovery["authorization_response_iss_parameter_supported"] is True
    assert [key["kty"] for key in openid_provider.jwks()["keys"]] == ["RSA"]


def test_jane_signs_in_through_the_login_page_and_the_id_token_carries_her_claims(
    openid_provider: OpenIdProvider,
) -> None:
    request, callback_url = sign_in(openid_provider, JANE)

    callback = urlsplit(callback_url)
    params = {name: values[0] for name, values in parse_qs(callback.query).items()}
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == ENLIST_CLIENT.redirect_uris[0]
    assert params["state"] == request.state
    assert params["iss"] == openid_provider.issuer  # RFC 9207
    assert params["code"]
    token = redeem(openid_provider, request, callback_url)
    claims = validate_id_token(openid_provider, token["id_token"], request.nonce)
    assert {name: claims[name] for name in JANE.claims()} == JANE.claims()
    assert claims["sub"] == "00u-jane"
    assert claims["aud"] == ENLIST_CLIENT.client_id


def test_each_person_gets_their_own_sub_and_claims(openid_provider: OpenIdProvider) -> None:
    jane_token, jane_nonce = id_token_of(openid_provider, JANE)
    sam_token, sam_nonce = id_token_of(openid_provider, SAM)

    jane = validate_id_token(openid_provider, jane_token, jane_nonce)
    sam = validate_id_token(openid_provider, sam_token, sam_nonce)
    assert (jane["sub"], jane["email"], jane["zoneinfo"]) == (
        JANE.sub,
        "jane@example.com",
        "Europe/Berlin",
    )
    assert (sam["sub"], sam["email"], sam["locale"]) == (SAM.sub, "sam@example.com", "en-US")


def test_a_sub_whose_email_changed_signs_in_with_the_new_email(
    openid_provider: OpenIdProvider,
) -> None:
    openid_provider.set_account(Account(JANE.sub, "jane.doe@example.com", "Jane Doe"))

    id_token, nonce = id_token_of(openid_provider, JANE)

    claims = validate_id_token(openid_provider, id_token, nonce)
    assert (claims["sub"], claims["email"]) == (JANE.sub, "jane.doe@example.com")
    assert "locale" not in claims


def test_an_added_account_signs_in_and_a_removed_one_is_refused_at_the_login_page(
    openid_provider: OpenIdProvider,
) -> None:
    kim = Account("00u-kim", "kim@example.com", "Kim Park", email_verified=False)
    openid_provider.set_account(kim)
    id_token, nonce = id_token_of(openid_provider, kim)
    assert validate_id_token(openid_provider, id_token, nonce)["email_verified"] is False

    openid_provider.remove_account(kim.sub)

    with pytest.raises(AssertionError, match="refused to sign in '00u-kim'"):
        sign_in(openid_provider, kim)
    with pytest.raises(AssertionError, match="refused to sign in 'nobody'"):
        sign_in_at_provider(authorize(openid_provider).url, "nobody")


def test_reset_restores_the_accounts_given_at_start(openid_provider: OpenIdProvider) -> None:
    openid_provider.remove_account(JANE.sub)
    openid_provider.set_account(Account(SAM.sub, "sam.lee@example.com"))

    openid_provider.reset()

    jane_token, jane_nonce = id_token_of(openid_provider, JANE)
    sam_token, sam_nonce = id_token_of(openid_provider, SAM)
    assert validate_id_token(openid_provider, jane_token, jane_nonce)["email"] == JANE.email
    assert validate_id_token(openid_provider, sam_token, sam_nonce)["email"] == SAM.email


def test_a_browser_with_a_provider_session_is_not_asked_again(
    openid_provider: OpenIdProvider,
) -> None:
    with httpx.Client() as browser:
        sign_in_at_provider(authorize(openid_provider).url, JANE.sub, browser=browser)
        request = authorize(openid_provider)

        callback_url = sign_in_at_provider(request.url, None, browser=browser)

        with pytest.raises(AssertionError, match="did not ask who signs in"):
            sign_in_at_provider(authorize(openid_provider).url, SAM.sub, browser=browser)
    token = redeem(openid_provider, request, callback_url)
    assert validate_id_token(openid_provider, token["id_token"], request.nonce)["sub"] == JANE.sub


@contextmanager
def relying_party_on_loopback() -> Iterator[tuple[str, list[str]]]:
    """A redirect URI served on loopback, and the callback URLs that arrive at it."""
    arrived: list[str] = []

    class Callback(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/oidc/authenticate?"):  # not the browser's /favicon.ico
                arrived.append(f"http://127.0.0.1:{server.server_port}{self.path}")
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"signed in")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/oidc/authenticate", arrived
    finally:
        server.shutdown()
        server.server_close()


def test_a_person_signs_in_at_the_provider_in_chromium_and_stays_signed_in_there(
    openid_provider: OpenIdProvider,
) -> None:
    from playwright.sync_api import sync_playwright

    with relying_party_on_loopback() as (redirect_uri, arrived), sync_playwright() as playwright:
        client = RegisteredClient("enlist-live", "live-secret", (redirect_uri,))
        openid_provider.set_client(client)
        first, second = authorize(openid_provider, client), authorize(openid_provider, client)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(first.url)
            page.fill("input[name=login]", JANE.sub)
            page.fill("input[name=password]", "any password")
            page.click("button[type=submit]")
            page.wait_for_url(f"{redirect_uri}?**")
            page.goto(second.url)  # the provider's session cookie: no login page this time
            page.wait_for_url(f"{redirect_uri}?**")
        finally:
            browser.close()

    assert len(arrived) == 2
    for request, callback_url in zip((first, second), arrived, strict=True):
        token = redeem(openid_provider, request, callback_url)
        claims = validate_id_token(openid_provider, token["id_token"], request.nonce, "enlist-live")
        assert claims["sub"] == JANE.sub


def test_a_code_cannot_be_redeemed_twice(openid_provider: OpenIdProvider) -> None:
    request, callback_url = sign_in(openid_provider)
    redeem(openid_provider, request, callback_url)

    assert refusal(openid_provider, request, callback_url) == "invalid_grant"


def test_a_code_is_refused_with_another_pkce_verifier(openid_provider: OpenIdProvider) -> None:
    request, callback_url = sign_in(openid_provider)
    request.code_verifier = secrets.token_urlsafe(48)

    assert refusal(openid_provider, request, callback_url) == "invalid_grant"


def test_the_token_endpoint_takes_client_secret_basic_only(
    openid_provider: OpenIdProvider,
) -> None:
    request, callback_url = sign_in(openid_provider)
    request.rp.token_endpoint_auth_method = "client_secret_post"

    assert refusal(openid_provider, request, callback_url) == "invalid_client"


def test_a_client_registered_at_runtime_signs_in_until_reset(
    openid_provider: OpenIdProvider,
) -> None:
    live = RegisteredClient(
        "enlist-live", "another-secret", ("http://127.0.0.1:9/oidc/authenticate",)
    )
    openid_provider.set_client(live)
    request = authorize(openid_provider, live)
    token = redeem(openid_provider, request, sign_in_at_provider(request.url, SAM.sub))
    assert validate_id_token(openid_provider, token["id_token"], request.nonce, live.client_id)

    openid_provider.reset()

    with pytest.raises(AssertionError, match=r"answered 400 .*invalid_client"):
        sign_in_at_provider(authorize(openid_provider, live).url, SAM.sub)


REFUSALS: dict[Tampering, tuple[type[JoseError], str | None]] = {
    Tampering.AUDIENCE: (InvalidClaimError, "aud"),
    Tampering.ISSUER: (InvalidClaimError, "iss"),
    Tampering.EXPIRED: (ExpiredTokenError, "exp"),
    Tampering.ISSUED_IN_FUTURE: (InvalidClaimError, "iat"),
    Tampering.NONCE: (InvalidClaimError, "nonce"),
    Tampering.AUTHORIZED_PARTY: (InvalidClaimError, "azp"),
    Tampering.UNPUBLISHED_KEY: (BadSignatureError, None),
    Tampering.UNKNOWN_KID: (InvalidKeyIdError, None),
    Tampering.ALG_NONE: (UnsupportedAlgorithmError, None),
}


@pytest.mark.parametrize("tampering", list(Tampering))
def test_a_tampered_id_token_is_refused_for_its_reason_and_only_once(
    openid_provider: OpenIdProvider, tampering: Tampering
) -> None:
    error, claim = REFUSALS[tampering]
    openid_provider.tamper_next_id_token(tampering)

    tampered, nonce = id_token_of(openid_provider)

    with pytest.raises(error) as refused:
        validate_id_token(openid_provider, tampered, nonce)
    if claim is not None:
        assert getattr(refused.value, "claim", None) == claim
    genuine, nonce = id_token_of(openid_provider)
    assert validate_id_token(openid_provider, genuine, nonce)["sub"] == JANE.sub


def test_tampering_changes_only_what_it_names(openid_provider: OpenIdProvider) -> None:
    openid_provider.tamper_next_id_token(Tampering.AUTHORIZED_PARTY)

    tampered, nonce = id_token_of(openid_provider)

    claims = jwt.decode(tampered, key_set(openid_provider)).claims
    assert claims["aud"] == [ENLIST_CLIENT.client_id, OTHER_CLIENT_ID]
    assert claims["azp"] == OTHER_CLIENT_ID
    assert (claims["iss"], claims["sub"], claims["nonce"]) == (
        openid_provider.issuer,
        JANE.sub,
        nonce,
    )


def test_an_unknown_tampering_is_refused(openid_provider: OpenIdProvider) -> None:
    with pytest.raises(RuntimeError, match="unknown tampering"):
        openid_provider.tamper_next_id_token(cast(Tampering, "sideways"))


def test_rotation_publishes_a_new_kid_and_signs_with_it(openid_provider: OpenIdProvider) -> None:
    before, nonce = id_token_of(openid_provider)
    old_kid = jwt.decode(before, key_set(openid_provider)).header["kid"]

    new_kid = openid_provider.rotate_keys(keep_previous=True)

    kids = [key["kid"] for key in openid_provider.jwks()["keys"]]
    assert new_kid != old_kid
    assert set(kids) == {old_kid, new_kid}
    after, after_nonce = id_token_of(openid_provider)
    assert jwt.decode(after, key_set(openid_provider)).header["kid"] == new_kid
    assert validate_id_token(openid_provider, after, after_nonce)["sub"] == JANE.sub
    assert validate_id_token(openid_provider, before, nonce)["sub"] == JANE.sub
    assert openid_provider.sign({"sub": JANE.sub}).split(".")[0] != before.split(".")[0]


def test_rotation_can_retire_the_old_key_at_once(openid_provider: OpenIdProvider) -> None:
    before, nonce = id_token_of(openid_provider)

    new_kid = openid_provider.rotate_keys(keep_previous=False)

    assert [key["kid"] for key in openid_provider.jwks()["keys"]] == [new_kid]
    with pytest.raises(InvalidKeyIdError):
        validate_id_token(openid_provider, before, nonce)
    after, after_nonce = id_token_of(openid_provider)
    assert validate_id_token(openid_provider, after, after_nonce)["sub"] == JANE.sub


def test_signed_claims_verify_against_the_jwks_as_okta_universal_logout_needs(
    openid_provider: OpenIdProvider,
) -> None:
    now = int(time.time())
    claims = {
        "iss": openid_provider.issuer,
        "aud": "http://enlist.test/oauth2/global-token-revocation",
        "jti": secrets.token_hex(8),
        "iat": now,
        "exp": now + 300,
        "sub_id": {"format": "email", "email": JANE.email},
    }

    signed = openid_provider.sign(claims, {"typ": "global-token-revocation+jwt"})

    token = jwt.decode(signed, key_set(openid_provider), algorithms=["RS256"])
    assert token.claims == claims
    assert token.header["typ"] == "global-token-revocation+jwt"
    current_kid = jwt.decode(id_token_of(openid_provider)[0], key_set(openid_provider)).header[
        "kid"
    ]
    assert token.header["kid"] == current_kid
