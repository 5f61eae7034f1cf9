"""Times as a person reads them: in their provisioned time zone, formatted for their locale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime

FALLBACK_LOCALE = "en_US"
FALLBACK_ZONE = "UTC"


def _locale(text: str | None) -> Locale | None:
    if not text:
        return None
    try:
        return Locale.parse(text.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def _zone(text: str | None) -> ZoneInfo | None:
    if not text or len(text) > 100:
        return None
    try:
        return ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True)
class Clockface:
    """How to show a person times: the locale and zone used, and whether each was theirs."""

    locale: Locale
    zone: ZoneInfo
    own_locale: bool
    own_zone: bool

    @classmethod
    def of(cls, locale: str | None, zone: str | None) -> Clockface:
        found_locale, found_zone = _locale(locale), _zone(zone)
        return cls(
            found_locale or Locale.parse(FALLBACK_LOCALE),
            found_zone or ZoneInfo(FALLBACK_ZONE),
            found_locale is not None,
            found_zone is not None,
        )

    def when(self, moment: datetime | None) -> str:
        """e.g. "4. Dezember 2026 um 14:05:00 MEZ" for de-DE in Europe/Berlin."""
        if moment is None:
            return ""
        return format_datetime(moment, "long", tzinfo=self.zone, locale=self.locale)
