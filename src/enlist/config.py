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
    max_filter_depth: int = 20
    # RFC 9865 cursor pagination: page size when a request gives no count, and how long a
    # cursor stays valid (both advertised in ServiceProviderConfig.pagination).
    default_page_size: int = 100
    cursor_timeout: int = 3600
    # Requests per second allowed to one SCIM secret, with bursts up to rate_limit_burst;
    # 0 turns the limit off. Shared across workers through Redis when redis_url is set.
    rate_limit_per_second: float = 100.0
    rate_limit_burst: int = 1000
    redis_url: str = ""
    # Signs the admin session cookie; every worker must share it. When empty, a key is
    # generated once and stored in the database (table server_keys).
    session_key: str = ""
    # Failed admin sign-ins allowed per email (4x per client address) within the window.
    sign_in_max_failures: int = 5
    sign_in_window_seconds: int = 900
    # Key for the HMAC digests of SCIM secrets. Set it in production to keep it out of the
    # database; when empty, one is generated and stored in the database on first use.
    # Changing it invalidates every existing secret.
    secret_key: str = ""
    # Activity (audit) entries older than this many days are deleted by the server.
    activity_retention_days: int = 365
    # Webhooks may go to loopback, private, link-local ... addresses (events/addresses.py);
    # for tests and for receivers inside the operator's own network.
    webhook_allow_private: bool = False
    # Events older than this many days are deleted once every enabled webhook has them.
    event_retention_days: int = 30
    # Delivery inside `enlist serve` (each server process takes part); off when the operator
    # runs `enlist worker` separately.
    webhook_delivery: bool = True
    # Delivery threads per process, and how long a worker's hold on an endpoint lasts if it
    # dies (another worker takes over after this many seconds; below 30, attempts time out
    # sooner than the usual 10 s, at a third of it).
    webhook_threads: int = 2
    webhook_claim_seconds: int = 60
    log_level: str = "info"
    # One log line per HTTP request from uvicorn; off by default (it costs ~10% of a small
    # request's time, and the proxy in front usually logs requests anyway).
    access_log: bool = False
