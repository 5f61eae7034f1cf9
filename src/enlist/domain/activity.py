"""One entry of the activity log: who did what to which resource, and how it ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Entry:
    account_id: str | None
    at: datetime
    actor_type: str  # "scim" (a secret), "admin" (a signed-in person), "operator" (the CLI)
    actor: str
    action: str  # e.g. "user.create", "group.update", "domain.verify", "secret.revoke"
    outcome: str  # "success", "refused" or "error"
    detail: str  # plain language, never a secret or password
    resource_type: str | None = None
    resource_id: str | None = None
    resource_name: str | None = None
    status: int | None = None
    user_agent: str | None = None
    request_id: str | None = None
    # what changed, for the pages: {"attribute": [before, after], ...} or
    # {"added": [{"id", "name"}...], "removed": [...], "more_added": n, ...}
    changes: dict[str, Any] | None = None
