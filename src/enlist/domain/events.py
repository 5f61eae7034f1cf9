"""The changes Enlist announces to the calendar application, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    """Every kind of change the feed and the webhooks carry (their names are a contract)."""

    person_provisioned = "person.provisioned"
    person_updated = "person.updated"
    person_deactivated = "person.deactivated"
    person_reactivated = "person.reactivated"
    person_deleted = "person.deleted"
    group_created = "group.created"
    group_renamed = "group.renamed"
    group_deleted = "group.deleted"
    group_members_added = "group.members_added"
    group_members_removed = "group.members_removed"
    access_changed = "access.changed"
    sessions_ended = "sessions.ended"
    domain_verified = "domain.verified"
    secret_created = "secret.created"
    secret_revoked = "secret.revoked"


@dataclass(frozen=True)
class Event:
    """One committed change: unique id, its place in the account's sequence, what and who."""

    id: str
    sequence: int
    type: str
    at: datetime
    account_id: str
    actor: dict[str, Any]
    data: dict[str, Any]

    def document(self) -> dict[str, Any]:
        """The event as it travels (the feed's items and each webhook delivery's body)."""
        return {
            "id": self.id,
            "sequence": self.sequence,
            "type": self.type,
            "time": rfc3339(self.at),
            "account": self.account_id,
            "actor": self.actor,
            "data": self.data,
        }


def rfc3339(moment: datetime) -> str:
    """UTC to the millisecond with a Z, as SCIM's meta timestamps are written."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
