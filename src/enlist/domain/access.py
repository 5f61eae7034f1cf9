"""The calendar service's nine permission levels, their order, and what a grant gives."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """A permission level on a calendar; the names are the API's and the CLI's."""

    administrator = "administrator"
    modify = "modify"
    modify_own = "modify_own"
    modify_own_no_details = "modify_own_no_details"
    add_only = "add_only"
    add_only_no_details = "add_only_no_details"
    read_only = "read_only"
    read_only_no_details = "read_only_no_details"
    no_access = "no_access"


# The one place the order is written: most permissive first, with the pages' plain label.
# A level's rank is its position here, so "most permissive" is the smallest rank (the
# store keeps ranks, which lets a query take MIN over every grant that reaches a person).
ORDER: tuple[tuple[Level, str], ...] = (
    (Level.administrator, "Administrator"),
    (Level.modify, "Modify"),
    (Level.modify_own, "Modify my events"),
    (Level.modify_own_no_details, "Modify my events, see others' free/busy only"),
    (Level.add_only, "Add events only"),
    (Level.add_only_no_details, "Add events only, see free/busy only"),
    (Level.read_only, "Read only"),
    (Level.read_only_no_details, "Read free/busy only"),
    (Level.no_access, "No access"),
)

_RANK = {level: rank for rank, (level, _) in enumerate(ORDER)}
_LABEL = dict(ORDER)
NO_ACCESS_RANK = _RANK[Level.no_access]


def rank(level: Level) -> int:
    """The level's position in the order: 0 is the most permissive."""
    return _RANK[level]


def level_of(rank: int | None) -> Level:
    """The level at a rank; no rank (no grant reaches the person) is no access."""
    if rank is None:
        return Level.no_access
    return ORDER[rank][0]


def label(level: Level) -> str:
    """The level as the pages say it."""
    return _LABEL[level]


def parse_level(text: str) -> Level | None:
    """The level named `text` (as the API and CLI write it), None when there is none."""
    try:
        return Level(text.strip().lower())
    except ValueError:
        return None


def most_permissive(levels: Iterable[Level]) -> Level:
    """The first of `levels` in the order; no access when there are none."""
    return min(levels, key=rank, default=Level.no_access)


class SubjectType(StrEnum):
    """Who a grant is to: a group of the account, or one provisioned user."""

    group = "group"
    user = "user"


@dataclass(frozen=True)
class Subject:
    type: SubjectType
    id: str

    def document(self) -> dict[str, str]:
        return {"type": self.type.value, "id": self.id}


@dataclass(frozen=True)
class Via:
    """A grant that gives a person their effective level: direct, or through a group."""

    group_id: str | None = None  # None: a grant to the person themself
    group_name: str | None = None

    def document(self) -> dict[str, str]:
        if self.group_id is None:
            return {"type": SubjectType.user.value}
        return {"type": SubjectType.group.value, "id": self.group_id, "name": self.group_name or ""}

    def words(self) -> str:
        return "directly" if self.group_id is None else f"via group {self.group_name}"


def describe(level: Level, via: Iterable[Via]) -> str:
    """What a person has and why, as the pages say it: "Modify, via group Sales"."""
    reasons = [v.words() for v in via]
    if level is Level.no_access or not reasons:
        return label(level)
    return f"{label(level)}, {' and '.join(reasons)}"
