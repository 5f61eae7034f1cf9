"""Setup instructions in each identity provider's own words (the account's provider preset).

Only wording changes with the preset: where to click, what the provider calls the SCIM
base URL and the secret. What Enlist answers never does.
"""

from __future__ import annotations

from dataclasses import dataclass

from enlist.domain.providers import LABELS, Provider


@dataclass(frozen=True)
class SetupGuide:
    provider: Provider
    label: str
    base_url_field: str  # what the provider calls the SCIM base URL
    secret_field: str  # where the provider takes the secret
    steps: tuple[str, ...]


GUIDES: dict[Provider, SetupGuide] = {
    Provider.okta: SetupGuide(
        Provider.okta,
        LABELS[Provider.okta],
        "SCIM connector base URL",
        "HTTP Header › Authorization (Bearer)",
        (
            "In Okta, open Applications › your app › Provisioning › Integration and choose Edit.",
            "SCIM connector base URL: paste the SCIM base URL.",
            "Unique identifier field for users: userName.",
            "Supported provisioning actions: Push New Users, Push Profile Updates and Push Groups.",
            "Authentication Mode: HTTP Header; paste the secret as the Bearer token.",
            "Press Test Connector Configuration, then Save.",
        ),
    ),
    Provider.entra: SetupGuide(
        Provider.entra,
        LABELS[Provider.entra],
        "Tenant URL",
        "Secret Token",
        (
            (
                "In the Microsoft Entra admin center, open Enterprise applications › your app › "
                "Provisioning."
            ),
            "Provisioning Mode: Automatic.",
            "Under Admin Credentials, Tenant URL: paste the SCIM base URL.",
            "Secret Token: paste the secret.",
            (
                "Press Test Connection, then Save. Under Mappings, userName comes from "
                "userPrincipalName (or mail): it must be an address on a verified trusted domain."
            ),
            "Set Provisioning Status to On. Entra pushes changes in cycles of about 40 minutes.",
        ),
    ),
    Provider.onelogin: SetupGuide(
        Provider.onelogin,
        LABELS[Provider.onelogin],
        "SCIM Base URL",
        "SCIM Bearer Token",
        (
            (
                "In OneLogin, open Applications › your app (the SCIM Provisioner with SAML, "
                "SCIM v2 Enterprise connector) › Configuration."
            ),
            "SCIM Base URL: paste the SCIM base URL.",
            "SCIM Bearer Token: paste the secret.",
            "Under API Status, press Enable.",
            "On the Provisioning tab, tick Enable provisioning, then Save.",
        ),
    ),
    Provider.jumpcloud: SetupGuide(
        Provider.jumpcloud,
        LABELS[Provider.jumpcloud],
        "Base URL",
        "Token Key",
        (
            (
                "In the JumpCloud Admin Portal, open SSO Applications › your app › "
                "Identity Management."
            ),
            "SCIM version: SCIM 2.0.",
            "Base URL: paste the SCIM base URL.",
            "Token Key: paste the secret (JumpCloud sends it as a Bearer token).",
            (
                "Press Test Connection, then Activate and Save. "
                "Bind user groups to the app to provision them."
            ),
        ),
    ),
    Provider.google: SetupGuide(
        Provider.google,
        LABELS[Provider.google],
        "SCIM endpoint URL",
        "Access token",
        (
            (
                "In the Google Admin console, open Apps › Web and mobile apps › your app › "
                "Auto-provisioning."
            ),
            "Where Google asks for the app's SCIM endpoint, paste the SCIM base URL.",
            "Where it asks for an access token, paste the secret.",
            "Map Username to the user's primary email address.",
            (
                "Choose the organizational units or groups to provision, "
                "then turn Auto-provisioning on."
            ),
        ),
    ),
    Provider.generic: SetupGuide(
        Provider.generic,
        LABELS[Provider.generic],
        "SCIM base URL",
        "Authorization: Bearer",
        (
            (
                "SCIM base URL: paste it; the client adds /Users, /Groups, "
                "/ServiceProviderConfig and so on."
            ),
            "Authentication: send the secret in the header Authorization: Bearer <secret>.",
            "userName: the person's work email, on a verified trusted domain.",
            (
                "Enlist speaks SCIM 2.0 (RFC 7643 and 7644, with RFC 9865 cursors); its "
                "/ServiceProviderConfig says what it supports."
            ),
        ),
    ),
}


def guide_for(provider: Provider) -> SetupGuide:
    return GUIDES[provider]


def choices() -> list[tuple[str, str]]:
    """(value, label) of every preset, for the form that changes it."""
    return [(p.value, LABELS[p]) for p in Provider]


@dataclass(frozen=True)
class SsoGuide:
    """Where each sign-in URL and credential goes in the provider's OpenID Connect app."""

    app: str  # what to create at the provider, and where
    issuer: str  # what the issuer looks like there
    redirect_field: str  # takes …/oidc/authenticate
    initiate_field: str | None  # takes …/login/sso?iss=… (None: the provider has none)
    logout_field: str | None  # takes …/login
    client_id_field: str
    client_secret_field: str
    # The provider adds `iss` to the initiate-login URI itself (OIDC third-party initiated
    # login, as Okta does); else the URI carries it.
    adds_iss: bool = False


SSO_GUIDES: dict[Provider, SsoGuide] = {
    Provider.okta: SsoGuide(
        "In Okta, Applications › Create App Integration › OIDC - OpenID Connect › Web Application.",
        "https://YOUR-ORG.okta.com (your Okta domain, no path)",
        "Sign-in redirect URIs",
        "Initiate login URI (Login initiated by: Either Okta or App)",
        "Sign-out redirect URIs",
        "Client ID",
        "Client secret",
        adds_iss=True,
    ),
    Provider.entra: SsoGuide(
        "In the Microsoft Entra admin center, App registrations › New registration (Web).",
        "https://login.microsoftonline.com/YOUR-TENANT-ID/v2.0",
        "Redirect URI (Web), under Authentication",
        "Home page URL, under Branding & properties",
        "Front-channel logout URL, under Authentication",
        "Application (client) ID",
        "Certificates & secrets › Client secrets › Value",
    ),
    Provider.onelogin: SsoGuide(
        "In OneLogin, Applications › Add App › OpenID Connect (OIDC).",
        "https://YOUR-SUBDOMAIN.onelogin.com/oidc/2",
        "Redirect URI's",
        "Login Url",
        "Post Logout Redirect URI",
        "Client ID (SSO tab)",
        "Client Secret (SSO tab, Token Endpoint: Basic)",
    ),
    Provider.jumpcloud: SsoGuide(
        "In the JumpCloud Admin Portal, SSO Applications › Add New Application › Custom OIDC App.",
        "https://oauth.id.jumpcloud.com/",
        "Redirect URIs",
        "Login URL",
        None,
        "Client ID",
        "Client Secret",
    ),
    Provider.google: SsoGuide(
        "In the Google Cloud console, APIs & Services › Credentials › Create credentials › "
        "OAuth client ID › Web application.",
        "https://accounts.google.com",
        "Authorized redirect URIs",
        None,
        None,
        "Client ID",
        "Client secret",
    ),
    Provider.generic: SsoGuide(
        "Register a confidential OpenID Connect client (authorization code flow with PKCE, "
        "client_secret_basic, scopes openid email profile).",
        "the provider's issuer, exactly as its discovery document names it",
        "Redirect URI",
        "Initiate login URI",
        "Post-logout redirect URI",
        "Client ID",
        "Client secret",
        adds_iss=True,
    ),
}


def sso_guide_for(provider: Provider) -> SsoGuide:
    return SSO_GUIDES[provider]
