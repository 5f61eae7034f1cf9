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
    # Requests per second allowed to one SCIM secret, with bursts up to rate_limit_burst;
    # 0 turns the limit off. Shared across workers through Redis when redis_url is set.
    rate_limit_per_second: float = 100.0
    rate_limit_burst: int = 1000
    redis_url: str = ""
    log_level: str = "info"
