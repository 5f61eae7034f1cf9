"""HMAC signatures for the admin cookies and the CSRF tokens bound to them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Signs small JSON values with a key every worker shares; refuses anything altered or old."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def _mac(self, purpose: str, payload: str) -> str:
        return _b64(hmac.new(self.key, f"{purpose}|{payload}".encode(), hashlib.sha256).digest())

    def sign(self, purpose: str, value: Any) -> str:
        payload = _b64(json.dumps([int(time.time()), value], separators=(",", ":")).encode())
        return f"{payload}.{self._mac(purpose, payload)}"

    def unsign(self, purpose: str, signed: str | None, max_age: float) -> Any:
        """The value, or None when the signature is wrong, the purpose differs or it is too old."""
        if not signed or "." not in signed or len(signed) > 4096:
            return None
        payload, _, mac = signed.rpartition(".")
        if not hmac.compare_digest(mac, self._mac(purpose, payload)):
            return None
        try:
            issued, value = json.loads(_unb64(payload))
        except (ValueError, TypeError):
            return None
        if not isinstance(issued, int) or time.time() - issued > max_age:
            return None
        return value

    def csrf_token(self, binding: str) -> str:
        """The token a form must carry: bound to the session (or pre-session) cookie's secret."""
        return self._mac("csrf", binding)

    def csrf_ok(self, binding: str | None, token: str | None) -> bool:
        if not binding or not token:
            return False
        return hmac.compare_digest(token, self.csrf_token(binding))
