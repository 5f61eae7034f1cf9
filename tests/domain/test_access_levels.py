"""The order of the calendar's levels, written once, checked against a table."""

from __future__ import annotations

import pytest

from enlist.domain.access import (
    ORDER,
    Level,
    Via,
    describe,
    label,
    level_of,
    most_permissive,
    parse_level,
    rank,
)

# The calendar service's order, most permissive first, as the issue lists it.
EXPECTED = [
    "administrator",
    "modify",
    "modify_own",
    "modify_own_no_details",
    "add_only",
    "add_only_no_details",
    "read_only",
    "read_only_no_details",
    "no_access",
]


def test_the_nine_levels_in_the_calendar_services_order() -> None:
    assert [level.value for level, _ in ORDER] == EXPECTED
    assert [rank(Level(name)) for name in EXPECTED] == list(range(9))
    assert [level_of(n).value for n in range(9)] == EXPECTED


@pytest.mark.parametrize(
    ("grants", "effective"),
    [
        ([], "no_access"),
        (["no_access"], "no_access"),
        (["read_only"], "read_only"),
        (["read_only", "modify"], "modify"),
        (["modify", "read_only"], "modify"),
        (["add_only_no_details", "add_only"], "add_only"),
        (["modify_own_no_details", "add_only"], "modify_own_no_details"),
        (["read_only_no_details", "read_only"], "read_only"),
        (["no_access", "read_only_no_details"], "read_only_no_details"),
        (["modify_own", "administrator", "modify"], "administrator"),
        (["modify_own", "modify_own"], "modify_own"),
    ],
)
def test_the_most_permissive_grant_wins(grants: list[str], effective: str) -> None:
    assert most_permissive(Level(g) for g in grants) is Level(effective)


def test_no_grant_is_no_access() -> None:
    assert level_of(None) is Level.no_access


@pytest.mark.parametrize(
    ("text", "level"),
    [("modify", Level.modify), (" Read_Only ", Level.read_only), ("owner", None), ("", None)],
)
def test_levels_are_read_by_their_api_names(text: str, level: Level | None) -> None:
    assert parse_level(text) is level


def test_pages_say_levels_and_their_source_in_plain_words() -> None:
    assert label(Level.modify_own) == "Modify my events"
    assert describe(Level.modify, [Via("g1", "Sales")]) == "Modify, via group Sales"
    assert describe(Level.read_only, [Via()]) == "Read only, directly"
    both = describe(Level.modify, [Via(), Via("g1", "Sales")])
    assert both == "Modify, directly and via group Sales"
    assert describe(Level.no_access, []) == "No access"
    assert Via("g1", "Sales").document() == {"type": "group", "id": "g1", "name": "Sales"}
    assert Via().document() == {"type": "user"}
