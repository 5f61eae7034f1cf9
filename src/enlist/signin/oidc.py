"""The OpenID Connect relying party: discovery and keys per issuer, the code flow, token checks.

Authlib builds the authorization request (PKCE S256, state, nonce) and redeems the code
(`client_secret_basic`); joserfc verifies JWTs and their claims. Discovery documents and key
sets are cached per issuer in this process for an hour; a token naming a `kid` the cached set
lacks refetches the set once (key rotation), at most every few seconds per issuer, so a flood
of made-up kids cannot make us hammer the provider.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

# Authlib ships no type information.
from authlib.integrations.base_client import OAuthError  # type: ignore[import-untyped]
from authlib.integrations.httpx_client import OAuth2Client  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from enlist.domain.signin import SsoClient, plain
from enlist.encoding import from_json

SCOPES = "openid email profile"
SKEW_SECONDS = 60
CACHE_SECONDS = 3600.0
REFETCH_SECONDS = 5.0
MAX_DOCUMENT_BYTES = 512 * 1024
TIMEOUT_SECONDS = 10.0
# What an ID token may be signed with: public-key algorithms only (never `none`, never an
# HMAC keyed with the client secret).
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")


class ProviderError(Exception):
    """The identity provider could not be used; the message says why in plain words."""


class TokenRefused(Exception):
    """A token (or the code behind it) failed a check; the message names which."""


@dataclass(frozen=True)
class ProviderMetadata:
    """What Enlist uses of an issuer's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]
    iss_parameter: bool  # RFC 9207: the provider sends `iss` with every authorization response


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def _fetch_json(http: httpx.Client, url: str, what: str) -> dict[str, Any]:
    try:
        with http.stream("GET", url, headers={"Accept": "application/json"}) as response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise ProviderError(f"The {what} at {url} is larger than expected.")
    except httpx.HTTPError as error:
        raise ProviderError(f"Could not reach {url} ({error.__class__.__name__}).") from None
    if response.status_code != 200:
        raise ProviderError(
            f"{url} answered HTTP {response.status_code} instead of the {what}; check the issuer."
        )
    try:
        document = from_json(body)
    except ValueError:
        raise ProviderError(f"{url} did not answer a JSON {what}.") from None
    if not isinstance(document, dict):
        raise ProviderError(f"{url} did not answer a JSON {what}.")
    return document


def read_metadata(issuer: str, document: dict[str, Any]) -> ProviderMetadata:
    """The parts Enlist needs of a discovery document, or ProviderError saying what is wrong."""
    named = document.get("issuer")
    if named != issuer:
        raise ProviderError(
            f"The discovery document names the issuer {named!r}, not {issuer!r}; "
            "enter the issuer exactly as the provider names it."
        )
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise ProviderError(f"The discovery document has no {name}.")
        endpoints[name] = value
    if "code" not in (document.get("response_types_supported") or []):
        raise ProviderError(
            "The provider does not offer the authorization code flow "
            '(response_types_supported has no "code").'
        )
    grants = document.get("grant_types_supported", ["authorization_code"])
    if "authorization_code" not in grants:
        raise ProviderError(
            "The provider does not offer the authorization_code grant (grant_types_supported)."
        )
    methods = document.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
    if "client_secret_basic" not in methods:
        raise ProviderError(
            "The provider does not accept client_secret_basic at its token endpoint "
            "(token_endpoint_auth_methods_supported)."
        )
    pkce = document.get("code_challenge_methods_supported")
    if pkce is not None and "S256" not in pkce:
        raise ProviderError("The provider does not offer PKCE with S256.")
    offered = document.get("id_token_signing_alg_values_supported", ["RS256"])
    algorithms = tuple(a for a in SIGNING_ALGORITHMS if a in offered)
    if not algorithms:
        raise ProviderError(
            "The provider signs ID tokens only with algorithms Enlist does not accept "
            f"({', '.join(map(str, offered))})."
        )
    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=endpoints["authorization_endpoint"],
        token_endpoint=endpoints["token_endpoint"],
        jwks_uri=endpoints["jwks_uri"],
        algorithms=algorithms,
        iss_parameter=document.get("authorization_response_iss_parameter_supported") is True,
    )


def read_keys(document: dict[str, Any]) -> KeySet:
    keys = [k for k in document.get("keys") or [] if isinstance(k, dict) and k.get("use") != "enc"]
    try:
        key_set = KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError, KeyError):
        raise ProviderError("The provider's key set (jwks_uri) cannot be read.") from None
    if not key_set.keys:
        raise ProviderError("The provider's key set (jwks_uri) has no signing keys.")
    return key_set


@dataclass
class _Cached:
    metadata: ProviderMetadata
    keys: KeySet
    fetched: float
    refetched: float = 0.0


@dataclass
class Issuers:
    """Per-process cache of each issuer's discovery document and keys (thread-safe)."""

    http: httpx.Client = field(
        default_factory=lambda: httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
    )
    clock: Callable[[], float] = time.monotonic
    _cache: dict[str, _Cached] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, issuer: str) -> ProviderMetadata:
        """Fetch the issuer's discovery document and keys now (the admin's Check), and keep
        them; ProviderError says plainly what is wrong."""
        return self._fetch(issuer).metadata

    def _fetch(self, issuer: str) -> _Cached:
        metadata = read_metadata(
            issuer, _fetch_json(self.http, discovery_url(issuer), "discovery document")
        )
        keys = read_keys(_fetch_json(self.http, metadata.jwks_uri, "key set"))
        cached = _Cached(metadata, keys, self.clock())
        with self._lock:
            self._cache[issuer] = cached
        return cached

    def _cached(self, issuer: str) -> _Cached:
        with self._lock:
            cached = self._cache.get(issuer)
        if cached is None or self.clock() - cached.fetched > CACHE_SECONDS:
            cached = self._fetch(issuer)
        return cached

    def metadata(self, issuer: str) -> ProviderMetadata:
        return self._cached(issuer).metadata

    def keys_for(self, issuer: str, kid: str | None) -> KeySet:
        """The issuer's keys, refetched once when they lack `kid` (and were not refetched
        in the last few seconds)."""
        cached = self._cached(issuer)
        if kid is None or any(key.kid == kid for key in cached.keys.keys):
            return cached.keys
        moment = self.clock()
        with self._lock:
            if moment - cached.refetched < REFETCH_SECONDS:
                return cached.keys
            cached.refetched = moment
        fresh = read_keys(_fetch_json(self.http, cached.metadata.jwks_uri, "key set"))
        with self._lock:
            cached.keys = fresh
        return fresh

    def close(self) -> None:
        self.http.close()


# the code flow ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """An authorization request in flight: kept in a signed cookie of the person's browser
    until the provider sends them back (the state binds the answer to that browser)."""

    state: str
    nonce: str
    code_verifier: str
    domain_id: str
    issuer: str
    target: str | None

    def document(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "nonce": self.nonce,
            "verifier": self.code_verifier,
            "domain": self.domain_id,
            "issuer": self.issuer,
            "target": self.target,
        }

    @classmethod
    def of(cls, document: Any) -> Pending | None:
        if not isinstance(document, dict):
            return None
        names = ("state", "nonce", "verifier", "domain", "issuer")
        if not all(isinstance(document.get(n), str) for n in names):
            return None
        target = document.get("target")
        return cls(
            document["state"],
            document["nonce"],
            document["verifier"],
            document["domain"],
            document["issuer"],
            target if isinstance(target, str) else None,
        )


def _client(client: SsoClient, redirect_uri: str) -> Any:
    return OAuth2Client(
        client.client_id,
        client.client_secret,
        token_endpoint_auth_method="client_secret_basic",
        scope=SCOPES,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=TIMEOUT_SECONDS,
        follow_redirects=False,
    )


def authorization_request(
    issuers: Issuers,
    client: SsoClient,
    redirect_uri: str,
    *,
    login_hint: str | None = None,
    target: str | None = None,
) -> tuple[str, Pending]:
    """The provider's URL to send the person to, and what to remember until they return."""
    metadata = issuers.metadata(client.issuer)
    pending = Pending(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        code_verifier=secrets.token_urlsafe(48),
        domain_id=client.domain_id,
        issuer=client.issuer,
        target=target,
    )
    extra = {"login_hint": login_hint} if login_hint else {}
    with _client(client, redirect_uri) as rp:
        url, _ = rp.create_authorization_url(
            metadata.authorization_endpoint,
            state=pending.state,
            nonce=pending.nonce,
            code_verifier=pending.code_verifier,
            **extra,
        )
    return str(url), pending


@dataclass(frozen=True)
class VerifiedIdToken:
    subject: str
    email: str | None
    claims: dict[str, Any]


def redeem(
    issuers: Issuers,
    client: SsoClient,
    pending: Pending,
    redirect_uri: str,
    code: str,
) -> VerifiedIdToken:
    """Exchange the code for tokens and verify the ID token; TokenRefused says what failed."""
    metadata = issuers.metadata(client.issuer)
    try:
        with _client(client, redirect_uri) as rp:
            token = rp.fetch_token(
                metadata.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=pending.code_verifier,
            )
    except OAuthError as error:
        raise TokenRefused(f"the token endpoint refused the code ({error.error})") from None
    except httpx.HTTPError as error:
        raise ProviderError(
            f"Could not reach the token endpoint ({error.__class__.__name__})."
        ) from None
    id_token = token.get("id_token") if isinstance(token, dict) else None
    if not isinstance(id_token, str):
        raise TokenRefused("the token endpoint sent no ID token")
    return verify_id_token(issuers, client, id_token, pending.nonce)


def _verified(issuers: Issuers, issuer: str, token: str) -> jwt.Token:
    """The JWT's signature checked against the issuer's keys."""
    algorithms = issuers.metadata(issuer).algorithms
    try:
        header = extract_compact(token.encode("ascii")).protected
    except (JoseError, ValueError, UnicodeError):
        raise TokenRefused("the token is not a JWT") from None
    kid = header.get("kid")
    if header.get("alg") not in algorithms:
        raise TokenRefused(f"the token is signed with {header.get('alg')!r}")
    keys = issuers.keys_for(issuer, kid if isinstance(kid, str) else None)
    try:
        return jwt.decode(token, keys, algorithms=list(algorithms))
    except JoseError as error:
        raise TokenRefused(f"the token's signature does not verify ({error.error})") from None


def _check_claims(claims: dict[str, Any], **wanted: Any) -> None:
    try:
        jwt.JWTClaimsRegistry(leeway=SKEW_SECONDS, **wanted).validate(claims)
    except JoseError as error:
        claim = getattr(error, "claim", None)
        raise TokenRefused(
            f"the token's {claim or 'claims'} did not check out ({error.error})"
        ) from None


def verify_id_token(
    issuers: Issuers, client: SsoClient, id_token: str, nonce: str
) -> VerifiedIdToken:
    """OpenID Connect Core 3.1.3.7: signature, iss, aud, azp, exp/iat (small skew), nonce.
    `email_verified` is not consulted: the email only finds the provisioned user."""
    claims = dict(_verified(issuers, client.issuer, id_token).claims)
    _check_claims(
        claims,
        iss={"essential": True, "value": client.issuer},
        aud={"essential": True, "value": client.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client.client_id:
        raise TokenRefused("the token's azp names another client")
    subject, email = claims["sub"], claims.get("email")
    if not isinstance(subject, str) or not subject or not plain(subject, 255):
        raise TokenRefused("the token's sub is not a short string")
    if not isinstance(email, str) or not plain(email, 320):
        email = None
    return VerifiedIdToken(subject, email, claims)


def unverified_issuer(token: str) -> str | None:
    """The `iss` a JWT claims, before anything is verified (to know whose keys to check)."""
    try:
        payload = from_json(extract_compact(token.encode("ascii")).payload)
    except (JoseError, ValueError, UnicodeError):
        return None
    issuer = payload.get("iss") if isinstance(payload, dict) else None
    return issuer if isinstance(issuer, str) else None


def verify_logout_token(issuers: Issuers, issuer: str, token: str, audience: str) -> dict[str, Any]:
    """An Okta Universal Logout (Global Token Revocation) request's JWT: signed by `issuer`,
    for this endpoint (`aud`), not expired."""
    claims = dict(_verified(issuers, issuer, token).claims)
    _check_claims(
        claims,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": audience},
        exp={"essential": True},
    )
    return claims
