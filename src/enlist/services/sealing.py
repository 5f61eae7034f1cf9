"""Secrets kept encrypted at rest (identity providers' client secrets), never in the clear.

Fernet (AES-128-CBC with an HMAC-SHA256) under a key derived by HKDF-SHA256 from the server
secret key: ENLIST_SECRET_KEY when set, else the key kept in the database (then a copy of
the database alone can decrypt them, which is why production sets ENLIST_SECRET_KEY).
Changing ENLIST_SECRET_KEY makes the stored client secrets unreadable: they must be entered
again, and sign-in through those domains says so until then.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from enlist.services.keys import server_key
from enlist.services.tenancy import SECRET_DIGEST_KEY
from enlist.store.db import Database


def _fernet(db: Database, secret_key: str, purpose: str) -> Fernet:
    # the same root key as the SCIM secrets' digests; HKDF's `info` keeps the uses apart
    root = server_key(db, SECRET_DIGEST_KEY, secret_key)
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"enlist {purpose}".encode()
    ).derive(root)
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(db: Database, secret_key: str, purpose: str, plain: str) -> str:
    """`plain` encrypted and authenticated for `purpose` (e.g. "sso client secret")."""
    return _fernet(db, secret_key, purpose).encrypt(plain.encode("utf-8")).decode("ascii")


def unseal(db: Database, secret_key: str, purpose: str, sealed: str) -> str | None:
    """The plain value, or None when it was sealed under another key (or altered)."""
    try:
        return _fernet(db, secret_key, purpose).decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None
