"""Settings from the environment (ENLIST_*), with the embedded SQLite default."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ENLIST_", extra="ignore")

    database_url: str = "sqlite:///enlist.db"
    # Public base URL used in `meta.location` and setup instructions; derived from
    # the request when empty.
    public_url: str = ""
    # DNS server for TXT checks ("host" or "host:port"); the system resolver when empty.
    dns_server: str = ""
    max_results: int = 1000
    max_body_bytes: int = 1_048_576
    max_operations: int = 1000
    max_members_per_request: int = 10_000
    max_filter_length: int = 4096
    log_level: str = "info"
