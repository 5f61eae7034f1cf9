"""The one clock and the one id generator Enlist uses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def now() -> datetime:
    """The current time in UTC, to the millisecond (what SCIM meta timestamps show)."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def new_id() -> str:
    """An opaque, unguessable resource id."""
    return uuid.uuid4().hex
