"""Assertions the test files share: SCIM errors, the CLI's JSON against its docs."""

from __future__ import annotations

import runpy
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def assert_scim_error(response: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    """The response is an RFC 7644 error with this status (and scimType, when given), in the
    SCIM media type, with a detail in words and no traceback; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json"), response.headers
    assert "Traceback" not in response.text
    body = dict(response.json())
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert isinstance(body["detail"], str) and body["detail"].strip()
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body


@cache
def cli_docs() -> dict[str, Any]:
    """scripts/cli_docs.py, the generator of docs/cli.md, loaded as a module's namespace."""
    return runpy.run_path(str(ROOT / "scripts" / "cli_docs.py"))


def assert_prints_what_the_docs_say(args: tuple[str, ...], printed: dict[str, Any]) -> None:
    """What `enlist *args --json` printed has the keys docs/cli.md shows for that command
    (and, in lists both have an item of, the keys of that item)."""
    docs = cli_docs()
    documented = next(
        docs["documented_json"](command)
        for path, command in docs["commands"]()
        if list(args[: len(path)]) == path
    )
    _assert_same_keys(printed, documented, "enlist " + " ".join(args[:2]))


def _assert_same_keys(printed: Any, documented: Any, where: str) -> None:
    if isinstance(printed, dict) and isinstance(documented, dict):
        assert printed.keys() == documented.keys(), f"{where}: docs/cli.md shows other keys"
        for key in printed:
            _assert_same_keys(printed[key], documented[key], f"{where} {key}")
    elif isinstance(printed, list) and isinstance(documented, list) and printed and documented:
        _assert_same_keys(printed[0], documented[0], f"{where}[0]")
