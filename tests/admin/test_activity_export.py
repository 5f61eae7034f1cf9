"""Activity export for audits: the filtered log as CSV or JSON Lines, every entry, streamed."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

from enlist.clock import now
from enlist.domain.activity import Entry
from enlist.services import tenancy
from enlist.services.unit import Actor
from enlist.store.activity import ActivityStore
from enlist.store.db import Database
from tests.admin.conftest import AdminAccount, Browser


def _rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="enlist-')
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_export_has_the_filtered_entries_and_names_the_admin(
    signed_in: Browser, admin: AdminAccount, db: Database, make_admin: Any
) -> None:
    me = Actor("admin", admin.email)
    tenancy.create_organization(db, admin.account_id, "Sales", actor=me)
    tenancy.create_organization(db, admin.account_id, '=HYPERLINK("http://evil")', actor=me)
    tenancy.create_calendar(db, admin.account_id, "Sales calendar", "basic", actor=me)
    other = make_admin("Globex")
    tenancy.create_organization(
        db, other.account_id, "Sales at Globex", actor=Actor("admin", other.email)
    )

    everything = _rows(signed_in.get("/activity/export?format=csv"))
    assert {r["action"] for r in everything} >= {"organization.create", "calendar.create"}
    assert all("Globex" not in r["resource_name"] for r in everything)
    assert all(r["actor_name"] == admin.email for r in everything if r["actor_type"] == "admin")

    filtered = _rows(signed_in.get("/activity/export?format=csv&type=Organization&q=sales"))
    assert [r["resource_name"] for r in filtered] == ["Sales"]
    assert filtered[0]["actor"] == admin.email and filtered[0]["outcome"] == "success"

    formula = _rows(signed_in.get("/activity/export?format=csv&q=hyperlink"))
    assert formula[0]["resource_name"].startswith("'=HYPERLINK"), "never a live formula"


def test_json_lines_export_streams_every_entry_past_one_batch(
    signed_in: Browser, admin: AdminAccount, db: Database
) -> None:
    start = now() - timedelta(hours=1)
    with db.write() as conn:
        store = ActivityStore(conn)
        for n in range(1203):
            store.append(
                Entry(
                    account_id=admin.account_id,
                    at=start + timedelta(seconds=n),
                    actor_type="scim",
                    actor="a-secret-id",
                    action="user.create",
                    outcome="success",
                    detail=f"Created user person{n}@acme.test.",
                    resource_type="User",
                    resource_name=f"person{n}@acme.test",
                    changes={"added": n},
                )
            )
    response = signed_in.get("/activity/export?format=jsonl&type=User")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jsonl; charset=utf-8"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert len(lines) == 1203
    assert lines[0]["resource_name"] == "person1202@acme.test", "newest first"
    assert lines[-1]["changes"] == {"added": 0}
    assert lines[0]["actor_name"] == "SCIM (a deleted secret)"


def test_an_unknown_format_is_refused_in_words(signed_in: Browser) -> None:
    response = signed_in.get("/activity/export?format=xlsx")
    assert response.status_code == 400 and "choose csv or jsonl" in response.text


def test_the_activity_page_links_the_export_of_its_filter(signed_in: Browser) -> None:
    page = signed_in.get("/activity?type=Admin&q=kim")
    assert "/activity/export?format=csv&amp;outcome=&amp;type=Admin&amp;q=kim" in page.text


def test_export_needs_a_sign_in(browser: Browser) -> None:
    response = browser.get("/activity/export?format=csv", follow_redirects=False)
    assert response.status_code == 303
