"""RFC 9865 cursors: a page's keyset position, signed with an HMAC and opaque to the client.

A cursor holds where the next (or previous) page starts, a fingerprint of the query it
belongs to (endpoint, account, filter, sort) and when it expires. Anything else handed
back, or one signed for another query, is `invalidCursor`; one past its time is
`expiredCursor`. It is made of RFC 3986 unreserved characters only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from typing import Any

from enlist.clock import now
from enlist.domain.errors import ExpiredCursor, InvalidCursor
from enlist.domain.query import Position, Seek

_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,2000}\.[A-Za-z0-9_-]{22}$")
_SIGNATURE_BYTES = 16
_INVALID = (
    "The cursor is not one this server issued for this query; send an empty cursor to "
    "start again, then the nextCursor or previousCursor of each answer."
)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fingerprint(*parts: Any) -> str:
    """What a cursor is bound to: the query, without its cursor and count."""
    canonical = json.dumps(parts, separators=(",", ":"), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:24]


class Cursors:
    """Seals seeks into cursors and opens them again, with one key shared by every worker."""

    def __init__(self, key: bytes, timeout_seconds: int) -> None:
        self.key = key
        self.timeout = timeout_seconds

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self.key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]

    def seal(self, seek: Seek, query: str) -> str:
        expires = int(now().timestamp()) + self.timeout
        content = {
            "q": query,
            "x": expires,
            "i": seek.part,
            "v": seek.position.value,
            "p": seek.position.pk,
            "b": 1 if seek.backward else 0,
        }
        payload = json.dumps(content, separators=(",", ":")).encode("utf-8")
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def open(self, cursor: Any, query: str) -> Seek:
        """The seek a cursor holds, if this server signed it for this query and it is valid."""
        if not isinstance(cursor, str) or not _SHAPE.match(cursor):
            raise InvalidCursor(_INVALID)
        encoded, signature = cursor.split(".")
        try:
            payload, given = _unb64(encoded), _unb64(signature)
        except (binascii.Error, ValueError):
            raise InvalidCursor(_INVALID) from None
        if not hmac.compare_digest(self._sign(payload), given):
            raise InvalidCursor(_INVALID)
        try:
            content = json.loads(payload)
            seek = Seek(
                part=int(content["i"]),
                position=Position(content["v"], int(content["p"])),
                backward=bool(content["b"]),
            )
            expires, bound_to = int(content["x"]), content["q"]
        except (ValueError, KeyError, TypeError):
            raise InvalidCursor(_INVALID) from None
        if bound_to != query:
            raise InvalidCursor(
                "The cursor belongs to another query (its filter, sortBy or sortOrder differ); "
                "send an empty cursor to start this one."
            )
        if now().timestamp() > expires:
            raise ExpiredCursor(
                f"The cursor has expired: cursors are valid for {self.timeout} seconds "
                "(cursorTimeout). Send an empty cursor to start again."
            )
        return seek
