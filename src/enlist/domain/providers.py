"""The identity providers an account can name, so that the pages speak its words.

The name only changes instructions and wording: every provider gets the same, strict
RFC 7644 answers, and every dialect is accepted from whichever one sends it.
"""

from __future__ import annotations

from enum import StrEnum


class Provider(StrEnum):
    okta = "okta"
    entra = "entra"
    onelogin = "onelogin"
    jumpcloud = "jumpcloud"
    google = "google"
    generic = "generic"


LABELS: dict[Provider, str] = {
    Provider.okta: "Okta",
    Provider.entra: "Microsoft Entra ID",
    Provider.onelogin: "OneLogin",
    Provider.jumpcloud: "JumpCloud",
    Provider.google: "Google Workspace",
    Provider.generic: "Another SCIM 2.0 client",
}
