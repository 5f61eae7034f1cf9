"""The SQLAlchemy Core tables; every tenant-owned row carries account_id, in every unique
index too. The users columns come from the attribute registry (domain/schema.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)

from enlist.domain.schema import ENTERPRISE_USER, USER, Kind, Schema

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = DateTime(timezone=True)


def _columns(schema: Schema) -> list[Column[Any]]:
    """The users columns of a schema's stored attributes, in the schema's order (the order
    the migrations created them in): one per text, boolean or JSON list, and a lower-cased
    copy beside the texts looked up and sorted case-insensitively through an index."""
    columns: list[Column[Any]] = []
    for attribute in schema.attributes:
        kept = [attribute] if attribute.column else [s for s in attribute.subs if s.column]
        for part in kept:
            name, nullable = str(part.column), not (part is attribute and attribute.required)
            if part.kind is Kind.BOOL:
                columns.append(Column(name, Boolean, nullable=nullable, default=part.default))
            elif part.kind is Kind.MULTI:
                # none_as_null: an absent list is SQL NULL, read back without decoding "null"
                columns.append(Column(name, JSON(none_as_null=True)))
            else:
                columns.append(Column(name, String(part.length), nullable=nullable))
                if part.lowered:
                    columns.append(Column(f"{name}_lower", String(part.length), nullable=nullable))
    return columns


def _email_length(name: str) -> int | None:
    sub = USER["emails"].sub(name)
    return sub.length if sub is not None else None


accounts = Table(
    "accounts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("email_lower", String(320), nullable=False, unique=True),
    Column("password_hash", Text),  # unused since 0014: each admin's is in `admins`
    Column("provider", String(20), nullable=False, server_default="okta"),
    Column("created", TS, nullable=False),
    # Whether a group may grant `administrator` on a calendar (migration 0011): off, so that
    # an edit of a group at the identity provider cannot silently make calendar admins.
    Column("allow_group_administrators", Boolean, nullable=False, server_default=false()),
)

calendars = Table(
    "calendars",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("plan", String(20), nullable=False),
    Column("created", TS, nullable=False),
    Index("ix_calendars_account_plan", "account_id", "plan"),
)

organizations = Table(
    "organizations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created", TS, nullable=False),
    Index("ix_organizations_account", "account_id"),
)
# names are unique per account whatever their case (services/tenancy.py says so in words)
Index(
    "uq_organizations_account_name",
    organizations.c.account_id,
    func.lower(organizations.c.name),
    unique=True,
)

trusted_domains = Table(
    "trusted_domains",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(253), nullable=False),
    Column("verified", Boolean, nullable=False, default=False),
    Column("verified_at", TS),
    Column("txt_token", String(100), nullable=False),
    Column(
        "organization_id",
        String(32),
        ForeignKey("organizations.id", ondelete="SET NULL"),
    ),
    Column("created", TS, nullable=False),
    UniqueConstraint("account_id", "name"),
    Index("ix_trusted_domains_name", "name"),
)

scim_secrets = Table(
    "scim_secrets",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column(
        "domain_id",
        String(32),
        ForeignKey("trusted_domains.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("digest", String(64), nullable=False, unique=True),
    Column("hint", String(12), nullable=False),
    Column("created", TS, nullable=False),
    Column("last_used", TS),
    Column("revoked_at", TS),
    Column("expires_at", TS),  # optional; refused from then on, warned about before
    Column("label", String(100)),  # the admin's name for it, e.g. "Okta production"
    Column("created_by", String(320)),  # the admin's email; None when the operator made it
)

users = Table(
    "users",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    *_columns(USER),  # userName ... addresses (domain/schema.py)
    # "scim" when an identity provider created the user, "admin" when a person did
    Column("source", String(10), nullable=False, server_default="scim"),
    Column("created", TS, nullable=False),
    Column("last_modified", TS, nullable=False),
    Column("version", Integer, nullable=False, default=1),
    *_columns(ENTERPRISE_USER),  # employeeNumber ... manager.value
    # Set when the identity provider DELETEs the user: the row (and the calendar data that
    # refers to it) stays, but the user leaves the SCIM view and its userName is free again.
    Column("deleted_at", TS),
    # userName is unique among the account's users that are not deleted
    Index(
        "uq_users_account_live_user_name",
        "account_id",
        "user_name_lower",
        unique=True,
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    ),
    Index("ix_users_account_pk", "account_id", "pk"),
    # The live users in creation order, covered: a deep page (startIndex) walks to its first
    # row in this index alone (migration 0016); deleted_at is in it so that SQLite sees it
    # covers the query.
    Index(
        "ix_users_account_live_pk",
        "account_id",
        "pk",
        "deleted_at",
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    ),
    Index("ix_users_account_external_id", "account_id", "external_id"),
    Index("ix_users_account_display_name", "account_id", "display_name_lower"),
    Index("ix_users_account_manager", "account_id", "manager_id"),
    # sortBy=meta.created / meta.lastModified, and the cursor pages that seek in them
    # (migration 0006); pk is the tie-break that makes the order total
    Index("ix_users_account_created", "account_id", "created", "pk"),
    Index("ix_users_account_last_modified", "account_id", "last_modified", "pk"),
)

user_emails = Table(
    "user_emails",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(32), nullable=False),
    Column("position", Integer, nullable=False),
    Column("value", String(_email_length("value")), nullable=False),
    Column("value_lower", String(_email_length("value")), nullable=False),
    Column("type", String(_email_length("type"))),
    Column("primary", Boolean, nullable=False, default=False),
    Column("display", String(_email_length("display"))),
    Index("ix_user_emails_user", "user_pk"),
    Index("ix_user_emails_account_value", "account_id", "value_lower"),
)

groups = Table(
    "groups",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column(
        "organization_id",
        String(32),
        ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("display_name", String(300), nullable=False),
    Column("display_name_lower", String(300), nullable=False),
    Column("external_id", String(255)),
    Column("created", TS, nullable=False),
    Column("last_modified", TS, nullable=False),
    Column("version", Integer, nullable=False, default=1),
    UniqueConstraint("account_id", "display_name_lower"),
    Index("ix_groups_account_pk", "account_id", "pk"),
    Index("ix_groups_account_external_id", "account_id", "external_id"),
    Index("ix_groups_account_created", "account_id", "created", "pk"),
    Index("ix_groups_account_last_modified", "account_id", "last_modified", "pk"),
)

# Each account's number of users, kept exact by triggers (migration 0004), so that an
# unfiltered list answers totalResults without counting the whole directory on every page.
user_counts = Table(
    "user_counts",
    metadata,
    Column(
        "account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("users", Integer, nullable=False),
)

group_members = Table(
    "group_members",
    metadata,
    Column("group_pk", Integer, ForeignKey("groups.pk", ondelete="CASCADE"), primary_key=True),
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), primary_key=True),
    Column("account_id", String(32), nullable=False),
    Column("added", TS, nullable=False),
    Index("ix_group_members_user", "user_pk"),
)

activity = Table(
    "activity",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE")),
    Column("at", TS, nullable=False),
    Column("actor_type", String(10), nullable=False),  # scim, admin, operator
    Column("actor", String(320), nullable=False),  # secret id, admin email, "cli"
    Column("action", String(40), nullable=False),  # user.create, group.update, domain.verify, ...
    Column("resource_type", String(20)),
    Column("resource_id", String(64)),
    Column("resource_name", String(320)),
    Column("outcome", String(10), nullable=False),  # success, refused, error
    Column("status", Integer),
    Column("detail", Text, nullable=False),
    Column("user_agent", String(300)),
    Column("request_id", String(64)),
    # what changed (attribute before/after, members added/removed), for the pages (0008)
    Column("changes", JSON(none_as_null=True)),
    Index("ix_activity_account_pk", "account_id", "pk"),
)

# The admin pages: what every worker process must share lives here, not in memory.

# One row, bumped by triggers (migration 0015) in the transaction of every change to what a
# SCIM secret acts for: a secret revoked or its expiry changed, a domain verified, unverified,
# linked, unlinked or removed, a calendar's plan. Each server process keeps the tenants of
# the secrets it saw while this number holds (services/tenancy.py `authenticate`).
tenancy_generation = Table(
    "tenancy_generation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", BigInteger, nullable=False),
)

server_keys = Table(
    "server_keys",
    metadata,
    Column("name", String(40), primary_key=True),  # e.g. "session": signs the admin cookie
    Column("value", String(200), nullable=False),
    Column("created", TS, nullable=False),
)

# The people who run an account (migration 0014): an owner or an admin each. Emails are
# unique across accounts, since signing in names no account. A pending admin has no password
# yet, only a one-time link (invitation or reset), kept as its SHA-256 digest.
admins = Table(
    "admins",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(320), nullable=False),
    Column("email_lower", String(320), nullable=False, unique=True),
    Column("role", String(10), nullable=False),  # owner, admin
    Column("password_hash", Text),  # argon2; None until the invitation is accepted
    Column("link_digest", String(64), unique=True),
    Column("link_expires", TS),
    Column("invited_by", String(320)),
    Column("created", TS, nullable=False),
    Index("ix_admins_account", "account_id"),
)

admin_sessions = Table(
    "admin_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie's token, never the token
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("admin_id", String(32), ForeignKey("admins.id", ondelete="CASCADE"), nullable=False),
    Column("created", TS, nullable=False),
    Column("expires", TS, nullable=False),
    Index("ix_admin_sessions_account", "account_id"),
    Index("ix_admin_sessions_admin", "admin_id"),
)

sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("key", String(400), nullable=False),  # "email:<lower-cased email>" or "ip:<address>"
    Column("at", TS, nullable=False),
    Index("ix_sign_in_attempts_key_at", "key", "at"),
)

# The outbox: every committed change's events, numbered per account (migration 0008).
# A change and its events are written in one transaction, so an event exists exactly when
# its change committed; the feed and the webhook deliveries read from here.
events = Table(
    "events",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("type", String(40), nullable=False),
    Column("at", TS, nullable=False),
    Column("actor", JSON, nullable=False),
    Column("data", JSON, nullable=False),
    UniqueConstraint("account_id", "sequence"),
    Index("ix_events_at", "at"),
)

# The last sequence number given to each account's events. Taking the next numbers is an
# UPDATE of this row at the end of the write transaction: writers of one account queue there
# for the moment before their commit, so numbers follow commit order with no gaps.
event_sequences = Table(
    "event_sequences",
    metadata,
    Column(
        "account_id",
        String(32),
        ForeignKey("accounts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("last", Integer, nullable=False),
)

# Keys the calendar application uses for the access API and the event feed (migration 0009).
# Like SCIM secrets: only an HMAC digest is kept, with a hint to recognise the key by.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("hint", String(16), nullable=False),
    Column("created", TS, nullable=False),
    Column("created_by", String(320), nullable=False),
    Column("last_used", TS),
    Column("revoked_at", TS),
    Index("ix_api_keys_account", "account_id"),
)

# Single sign-on (migration 0010). A verified trusted domain's OpenID Provider: the client
# secret is stored encrypted (services/keys.py), never in the clear and never shown again.
domain_sso = Table(
    "domain_sso",
    metadata,
    Column(
        "domain_id",
        String(32),
        ForeignKey("trusted_domains.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("issuer", String(500), nullable=False),
    Column("client_id", String(255), nullable=False),
    Column("client_secret", Text, nullable=False),  # a Fernet token
    Column("created", TS, nullable=False),
    Column("updated", TS, nullable=False),
    Index("ix_domain_sso_issuer", "issuer"),
    Index("ix_domain_sso_account", "account_id"),
)

# Who a person is at their identity provider: (issuer, sub) -> the provisioned user, linked
# at their first sign-in by email and by (issuer, sub) from then on.
person_identities = Table(
    "person_identities",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("issuer", String(500), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), nullable=False),
    Column("created", TS, nullable=False),
    Column("last_sign_in", TS, nullable=False),
    UniqueConstraint("account_id", "issuer", "subject"),
    Index("ix_person_identities_user", "user_pk"),
)

# Signed-in people: one row per session, so that deactivation deletes it in the same
# transaction and the person's next request is signed out.
person_sessions = Table(
    "person_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie's token, never the token
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), nullable=False),
    Column(
        "domain_id",
        String(32),
        ForeignKey("trusted_domains.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("created", TS, nullable=False),
    Column("expires", TS, nullable=False),
    Column("last_seen", TS, nullable=False),
    Index("ix_person_sessions_user", "user_pk"),
    Index("ix_person_sessions_domain", "domain_id"),
    Index("ix_person_sessions_expires", "expires"),
)

# Calendar access (migration 0011): one level per (calendar, subject), the subject a group
# or a user of the account (its SCIM id, and its row for the joins). The level is kept as
# its rank in domain/access.py's order, so a person's effective level is a MIN by query:
# nothing is copied per member, and a SCIM membership change is the access change.
access_grants = Table(
    "access_grants",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column(
        "calendar_id", String(32), ForeignKey("calendars.id", ondelete="CASCADE"), nullable=False
    ),
    Column("subject_type", String(10), nullable=False),  # group, user
    Column("subject_id", String(32), nullable=False),
    Column("group_pk", Integer, ForeignKey("groups.pk", ondelete="CASCADE")),
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE")),
    Column("level_rank", Integer, nullable=False),  # 0 administrator ... 8 no_access
    Column("created", TS, nullable=False),
    Column("updated", TS, nullable=False),
    UniqueConstraint("account_id", "calendar_id", "subject_type", "subject_id"),
    # who has access to a calendar: its grants, then each group's members by group_members' key
    Index("ix_access_grants_calendar", "calendar_id", "level_rank"),
    # check(person, calendar) and a person's calendars: the person's groups' grants, direct ones
    Index("ix_access_grants_group", "group_pk", "calendar_id"),
    Index("ix_access_grants_user", "user_pk", "calendar_id"),
)


# Webhook endpoints of an account (migration 0013). The signing secret is kept sealed
# (services/sealing.py): deliveries need it in the clear to sign. `cursor` is the last event
# sequence already queued into webhook_deliveries; a worker holds an endpoint while
# `claimed_until` is in the future, so one endpoint's deliveries go out one at a time, in order.
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("event_types", JSON),  # None: every type
    Column("secret_sealed", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("failing_since", TS),
    Column("disabled_reason", Text),
    Column("created", TS, nullable=False),
    Column("created_by", String(320), nullable=False),
    Column("cursor", Integer, nullable=False),
    Column("retry_at", TS),  # the head delivery waits for its next attempt until then
    Column("claimed_by", String(32)),
    Column("claimed_until", TS),
    Index("ix_webhooks_account", "account_id"),
)

# One event to send to one endpoint (or a test event, with no event_id), and how its last
# attempt went: the delivery log of the admin page.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("webhook_id", String(32), ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", String(32), ForeignKey("events.id", ondelete="CASCADE")),
    Column("sequence", Integer, nullable=False),
    Column("type", String(40), nullable=False),
    Column("status", String(16), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False),
    Column("created", TS, nullable=False),
    Column("next_attempt_at", TS, nullable=False),
    Column("last_attempt_at", TS),
    Column("status_code", Integer),
    Column("latency_ms", Integer),
    Column("excerpt", Text),
    Index("ix_webhook_deliveries_queue", "webhook_id", "status", "sequence"),
    Index("ix_webhook_deliveries_event", "event_id"),
)

# Requests refused (401) because their SCIM secret was revoked or expired (migration 0012):
# per secret, when it was last tried and how many tries the activity log has not told yet
# (it tells at most once a minute per secret).
secret_refusals = Table(
    "secret_refusals",
    metadata,
    Column(
        "secret_id",
        String(32),
        ForeignKey("scim_secrets.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("last_tried", TS, nullable=False),
    Column("total", Integer, nullable=False),
    Column("unlogged", Integer, nullable=False),
    Column("logged_at", TS),
    Index("ix_secret_refusals_account", "account_id"),
)
