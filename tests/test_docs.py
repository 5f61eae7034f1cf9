"""The docs stay true: cli.md is what the commands say, http.md names every route, README links."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from starlette.routing import Mount

from enlist.app import create_app
from enlist.config import Settings
from enlist.store.db import Database
from tests.helpers import cli_docs


def test_cli_reference_is_what_scripts_docs_writes_from_the_commands(repo_root: Path) -> None:
    written = (repo_root / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == cli_docs()["render"](), "docs/cli.md is out of date: run ./scripts/docs"


def _paths(routes: list[Any], prefix: str = "") -> Iterator[str]:
    for route in routes:
        if not isinstance(route, Mount):
            yield prefix + route.path
            continue
        inner = route.app
        while not hasattr(inner, "routes") and hasattr(inner, "app"):
            inner = inner.app  # through middleware such as the SCIM API's trailing slashes
        if hasattr(inner, "routes"):
            yield from _paths(inner.routes, prefix + route.path)
        else:
            yield prefix + route.path + "/..."  # static files


def test_http_reference_names_every_route_the_app_serves(repo_root: Path) -> None:
    reference = (repo_root / "docs" / "http.md").read_text(encoding="utf-8")
    # routes are only listed, never served: the database is never opened
    app = create_app(Settings(database_url="sqlite://"), Database.open("sqlite://", migrate=False))
    paths = set(_paths(app.routes))
    assert {"/healthz", "/scim/v2/Users/{id}", "/domains/{id}/verify"} <= paths
    missing = sorted(p for p in paths if f" {p.removeprefix('/scim/v2')}" not in reference)
    assert not missing, f"docs/http.md does not name {missing}"


def test_the_readme_links_the_docs_and_nothing_outside_the_project(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    assert "../shared" not in readme
    for doc in ("docs/cli.md", "docs/http.md"):
        assert f"]({doc})" in readme and (repo_root / doc).is_file()
