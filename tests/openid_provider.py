"""A real OpenID Provider for tests: panva's oidc-provider (tests/oidc-provider) on loopback.

`OpenIdProvider` runs `node tests/oidc-provider/server.mjs` on a free port of 127.0.0.1 (issuer
`http://127.0.0.1:PORT`) with the clients and accounts it is given, and drives the provider's
test-only controls: change accounts and clients, rotate signing keys, tamper with the next ID
token, sign arbitrary claims. `sign_in_at_provider` is the person's browser at the provider:
it walks the provider's own login page and hands back the redirect to the relying party.

    client = RegisteredClient("enlist", "secret", ("http://enlist.test/oidc/authenticate",))
    with OpenIdProvider([client], [Account("00u-jane", "jane@example.com")]) as provider:
        ...  # the relying party sends the person to the provider with `authorization_url`
        callback_url = sign_in_at_provider(authorization_url, "00u-jane")
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from html.parser import HTMLParser
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from tests.e2e.live import free_port

SERVER_DIR = Path(__file__).resolve().parent / "oidc-provider"

# The client a tampered ID token names as its audience or authorized party.
OTHER_CLIENT_ID = "another-client"


@dataclass(frozen=True)
class Account:
    """A person known to the provider. `sub` is what they type in its login form."""

    sub: str
    email: str
    name: str | None = None
    email_verified: bool = True
    locale: str | None = None
    zoneinfo: str | None = None

    def claims(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


@dataclass(frozen=True)
class RegisteredClient:
    """A relying party registered at the provider: confidential, `client_secret_basic`, code
    flow with PKCE S256 (oidc-provider requires it), scopes `openid email profile`."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()

    def metadata(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": list(self.redirect_uris),
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
        }


class Tampering(StrEnum):
    """What the provider does to the next ID token its token endpoint issues. Each one re-signs
    the genuine token so that exactly one check of a correct validation fails."""

    AUDIENCE = "audience"  # `aud` is OTHER_CLIENT_ID
    ISSUER = "issuer"  # `iss` is https://impostor.example
    EXPIRED = "expired"  # `exp` an hour ago (`iat` two hours ago)
    ISSUED_IN_FUTURE = "issued_in_future"  # `iat` an hour from now
    NONCE = "nonce"  # another `nonce` than the authorization request's
    AUTHORIZED_PARTY = "authorized_party"  # `aud` [client, OTHER_CLIENT_ID], `azp` OTHER_CLIENT_ID
    UNPUBLISHED_KEY = "unpublished_key"  # signed by a key not in the JWKS, under the current kid
    UNKNOWN_KID = "unknown_kid"  # signed by a key not in the JWKS, under a kid of its own
    ALG_NONE = "alg_none"  # `alg: none`, no signature


# What the tests' shared provider (tests/conftest.py) starts with: Enlist as the relying party
# behind the test client's base URL, and two people of the default tenant's domain.
ENLIST_CLIENT = RegisteredClient(
    "enlist-calendar", "enlist-client-secret-7c1d", ("http://enlist.test/oidc/authenticate",)
)
JANE = Account("00u-jane", "jane@example.com", "Jane Doe", locale="de-DE", zoneinfo="Europe/Berlin")
SAM = Account("00u-sam", "sam@example.com", "Sam Lee", locale="en-US", zoneinfo="America/New_York")


class OpenIdProvider:
    """The provider process. A context manager: entering starts it (ready in about a second),
    leaving stops it. All controls act at once and answer only once they took effect."""

    def __init__(
        self,
        clients: Iterable[RegisteredClient] = (),
        accounts: Iterable[Account] = (),
        *,
        startup_seconds: float = 15.0,
    ) -> None:
        self.clients = tuple(clients)
        self.accounts = tuple(accounts)
        self.startup_seconds = startup_seconds
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._http = httpx.Client(timeout=10)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def __enter__(self) -> OpenIdProvider:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Write the configuration, start node on a free port, wait for the discovery document."""
        node = shutil.which("node")
        if node is None or not (SERVER_DIR / "node_modules" / "oidc-provider").is_dir():
            raise RuntimeError(
                "the test OpenID Provider needs node 20 and `npm ci` in tests/oidc-provider "
                "(./scripts/test does both)"
            )
        if self._http.is_closed:  # started again after a stop()
            self._http = httpx.Client(timeout=10)
        self._workdir = tempfile.TemporaryDirectory(prefix="openid-provider-")
        config = Path(self._workdir.name) / "config.json"
        config.write_text(
            json.dumps(
                {
                    "clients": [client.metadata() for client in self.clients],
                    "accounts": [account.claims() for account in self.accounts],
                }
            )
        )
        self.port = free_port()
        # A file, not a pipe: nobody reads the provider's log unless something fails.
        with (config.parent / "provider.log").open("wb") as log:
            self._process = subprocess.Popen(
                [node, SERVER_DIR / "server.mjs", "--port", str(self.port), "--config", config],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self.startup_seconds
        while not self._ready():
            if self._process.poll() is not None or time.monotonic() > deadline:
                printed = self.log()
                self.stop()
                raise RuntimeError(f"the test OpenID Provider did not start:\n{printed}")
            time.sleep(0.05)

    def _ready(self) -> bool:
        try:
            return self._http.get(self.discovery_url).status_code == 200
        except httpx.TransportError:
            return False

    def log(self) -> str:
        """What the provider printed (its warnings, and errors behind a 500)."""
        if self._workdir is None:
            return ""
        log = Path(self._workdir.name) / "provider.log"
        return log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
        self._http.close()

    def discovery(self) -> dict[str, Any]:
        """The provider's `/.well-known/openid-configuration`."""
        return self._get_json(self.discovery_url)

    def jwks(self) -> dict[str, Any]:
        """The provider's published JSON Web Key Set (public keys)."""
        return self._get_json(self.discovery()["jwks_uri"])

    def set_account(self, account: Account) -> None:
        """Add the account, or replace the one with its `sub` (e.g. the person's email changed);
        the next ID token for that `sub` carries the new claims."""
        self._control("PUT", "accounts", account.claims())

    def remove_account(self, sub: str) -> None:
        """The person can no longer sign in (the login page refuses the `sub`)."""
        self._control("DELETE", "accounts", {"sub": sub})

    def set_client(self, client: RegisteredClient) -> None:
        """Register the client, or replace the one with its `client_id`."""
        self._control("PUT", "clients", client.metadata())

    def rotate_keys(self, *, keep_previous: bool = True) -> str:
        """Sign with a new key from now on and return its `kid`. With `keep_previous` the keys
        used so far stay published (a real provider's overlap), else only the new one is."""
        answer = self._control("POST", "rotate", {"keep_previous": keep_previous})
        return str(answer["kid"])

    def tamper_next_id_token(self, tampering: Tampering) -> None:
        """Make the token endpoint's next successful answer carry a tampered ID token (once)."""
        self._control("PUT", "next-id-token", {"tampering": str(tampering)})

    def sign(self, claims: Mapping[str, Any], header: Mapping[str, Any] | None = None) -> str:
        """A JWT of exactly these claims, signed RS256 with the provider's current private key
        and `kid` (an Okta Universal Logout request is one); `header` adds or overrides header
        parameters, e.g. {"typ": "global-token-revocation+jwt"}."""
        answer = self._control(
            "POST", "sign", {"claims": dict(claims), "header": dict(header or {})}
        )
        return str(answer["jwt"])

    def reset(self) -> None:
        """Back to the clients and accounts given at start, no pending tampering. Keys stay as
        rotated: a real provider never brings a retired key back."""
        self._control("POST", "reset", {})

    def _control(self, method: str, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        response = self._http.request(method, f"{self.issuer}/__test/{name}", json=dict(body))
        if response.status_code != 200:
            raise RuntimeError(f"test control {name} refused: {response.text}")
        answer: dict[str, Any] = response.json()
        return answer

    def _get_json(self, url: str) -> dict[str, Any]:
        response = self._http.get(url)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document


def sign_in_at_provider(
    authorization_url: str,
    sub: str | None,
    *,
    browser: httpx.Client | None = None,
    max_steps: int = 20,
) -> str:
    """Walk the provider's pages as a person's browser, from the relying party's authorization
    URL to the redirect back to its `redirect_uri`, and return that URL (with `code`, `state`
    and `iss`, or `error`) without calling it.

    `sub` is the account to type in the login form (any password). With `sub=None` the
    provider must not ask: the `browser` (an httpx.Client keeping the provider's cookies)
    already has a session there. A fresh browser is used when none is given.
    """
    query = parse_qs(urlsplit(authorization_url).query)
    if "redirect_uri" not in query:
        raise ValueError("the authorization URL has no redirect_uri")
    redirect_uri = query["redirect_uri"][0]
    own_browser = browser is None
    browser = browser or httpx.Client(timeout=10)
    try:
        response = browser.get(authorization_url)
        filled = False
        for _ in range(max_steps):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if location.split("?", 1)[0] == redirect_uri:
                    if sub is not None and not filled:
                        raise AssertionError("the provider did not ask who signs in")
                    return location
                response = browser.get(location)
                continue
            form = _login_form(response.text)
            if response.status_code != 200 or form is None:
                raise AssertionError(
                    f"the provider answered {response.status_code} at {response.url}: "
                    f"{response.text[:500]}"
                )
            if sub is None:
                raise AssertionError("the provider asked who signs in, and no sub was given")
            if filled:
                raise AssertionError(f"the provider refused to sign in {sub!r}")
            action, fields = form
            fields.update(login=sub, password="any password")
            response = browser.post(urljoin(str(response.url), action), data=fields)
            filled = True
        raise AssertionError(f"no redirect to {redirect_uri} after {max_steps} steps")
    finally:
        if own_browser:
            browser.close()


def _login_form(html: str) -> tuple[str, dict[str, str]] | None:
    """The action and fields of the page's form with a `login` field, if it has one."""
    parser = _FormParser()
    parser.feed(html)
    for action, fields in parser.forms:
        if "login" in fields:
            return action, fields
    return None


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append((attributes.get("action", ""), {}))
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1][1][attributes["name"]] = attributes.get("value", "")
