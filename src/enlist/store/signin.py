"""Repository for single sign-on: domains' providers, people's identities and their sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, exists, func, insert, or_, select, update

from enlist.domain.model import Plan
from enlist.domain.signin import Person, SsoSettings
from enlist.store.accounts import as_utc
from enlist.store.tables import (
    calendars,
    domain_sso,
    person_identities,
    person_sessions,
    trusted_domains,
    user_emails,
    users,
)

# Built once: every deactivation of a user runs it.
_END_SESSIONS_OF = delete(person_sessions).where(
    person_sessions.c.account_id == bindparam("account_id"),
    person_sessions.c.user_pk == bindparam("user_pk"),
)
_ENTERPRISE = (
    exists()
    .where(
        calendars.c.account_id == trusted_domains.c.account_id,
        calendars.c.plan == Plan.enterprise.value,
    )
    .label("enterprise")
)

_SSO_COLUMNS = (
    domain_sso.c.domain_id,
    trusted_domains.c.name.label("domain_name"),
    domain_sso.c.account_id,
    domain_sso.c.issuer,
    domain_sso.c.client_id,
    domain_sso.c.client_secret,
    domain_sso.c.updated,
    trusted_domains.c.verified,
    _ENTERPRISE,
)

# A session is good while its row exists and has not expired, its person is active and not
# deleted, its domain is verified and keeps single sign-on, and the account has an Enterprise
# calendar: one query on primary keys, run on each of the person's requests.
_PERSON = (
    select(
        person_sessions.c.account_id,
        person_sessions.c.user_pk,
        person_sessions.c.domain_id,
        person_sessions.c.created,
        person_sessions.c.expires,
        person_sessions.c.last_seen,
        users.c.id.label("user_id"),
        users.c.user_name,
    )
    .join(users, users.c.pk == person_sessions.c.user_pk)
    .join(trusted_domains, trusted_domains.c.id == person_sessions.c.domain_id)
    .join(domain_sso, domain_sso.c.domain_id == person_sessions.c.domain_id)
    .where(
        users.c.account_id == person_sessions.c.account_id,
        users.c.active.is_(True),
        users.c.deleted_at.is_(None),
        trusted_domains.c.verified.is_(True),
        exists().where(
            calendars.c.account_id == person_sessions.c.account_id,
            calendars.c.plan == Plan.enterprise.value,
        ),
    )
)


@dataclass(frozen=True)
class StoredSso:
    """A domain's single sign-on row with what sign-in checks around it."""

    settings: SsoSettings
    sealed_secret: str
    verified: bool
    enterprise: bool


@dataclass(frozen=True)
class Candidate:
    """A user a sign-in may be for."""

    pk: int
    id: str
    user_name: str
    active: bool
    deleted: bool


def _sso(row: Any) -> StoredSso:
    settings = SsoSettings(
        domain_id=row.domain_id,
        domain_name=row.domain_name,
        account_id=row.account_id,
        issuer=row.issuer,
        client_id=row.client_id,
        updated=as_utc(row.updated) or row.updated,
    )
    return StoredSso(settings, row.client_secret, bool(row.verified), bool(row.enterprise))


class SignInStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # the domains' providers -------------------------------------------------------------
    def _sso_query(self) -> Any:
        return select(*_SSO_COLUMNS).join(
            trusted_domains, trusted_domains.c.id == domain_sso.c.domain_id
        )

    def sso(self, domain_id: str) -> StoredSso | None:
        row = self.conn.execute(
            self._sso_query().where(domain_sso.c.domain_id == domain_id)
        ).first()
        return _sso(row) if row else None

    def sso_of_domain_named(self, name: str) -> StoredSso | None:
        """The single sign-on of the verified domain called `name` (one account verified it)."""
        row = self.conn.execute(
            self._sso_query().where(
                trusted_domains.c.name == name, trusted_domains.c.verified.is_(True)
            )
        ).first()
        return _sso(row) if row else None

    def sso_of_issuer(self, issuer: str) -> list[StoredSso]:
        """Every verified domain that signs people in through `issuer`, by name."""
        rows = self.conn.execute(
            self._sso_query()
            .where(domain_sso.c.issuer == issuer, trusted_domains.c.verified.is_(True))
            .order_by(trusted_domains.c.name)
        )
        return [_sso(row) for row in rows]

    def set_sso(
        self,
        domain_id: str,
        account_id: str,
        issuer: str,
        client_id: str,
        sealed_secret: str | None,
        moment: datetime,
    ) -> None:
        """Create or change a domain's single sign-on; a None secret keeps the stored one."""
        values: dict[str, Any] = {"issuer": issuer, "client_id": client_id, "updated": moment}
        if sealed_secret is not None:
            values["client_secret"] = sealed_secret
        changed = self.conn.execute(
            update(domain_sso).where(domain_sso.c.domain_id == domain_id).values(**values)
        )
        if not changed.rowcount:
            assert sealed_secret is not None
            self.conn.execute(
                insert(domain_sso).values(
                    domain_id=domain_id, account_id=account_id, created=moment, **values
                )
            )

    def remove_sso(self, domain_id: str) -> bool:
        gone = self.conn.execute(delete(domain_sso).where(domain_sso.c.domain_id == domain_id))
        return bool(gone.rowcount)

    # who a person is --------------------------------------------------------------------
    def identity(self, account_id: str, issuer: str, subject: str) -> int | None:
        """The user an (issuer, sub) was linked to in this account."""
        found = self.conn.scalar(
            select(person_identities.c.user_pk).where(
                person_identities.c.account_id == account_id,
                person_identities.c.issuer == issuer,
                person_identities.c.subject == subject,
            )
        )
        return int(found) if found is not None else None

    def subject_of(self, user_pk: int, issuer: str) -> str | None:
        """The sub a user is linked to at `issuer`, if any."""
        found = self.conn.scalar(
            select(person_identities.c.subject).where(
                person_identities.c.user_pk == user_pk, person_identities.c.issuer == issuer
            )
        )
        return str(found) if found is not None else None

    def link(
        self, account_id: str, issuer: str, subject: str, user_pk: int, moment: datetime
    ) -> None:
        self.conn.execute(
            insert(person_identities).values(
                account_id=account_id,
                issuer=issuer,
                subject=subject,
                user_pk=user_pk,
                created=moment,
                last_sign_in=moment,
            )
        )

    def signed_in(self, account_id: str, issuer: str, subject: str, moment: datetime) -> None:
        self.conn.execute(
            update(person_identities)
            .where(
                person_identities.c.account_id == account_id,
                person_identities.c.issuer == issuer,
                person_identities.c.subject == subject,
            )
            .values(last_sign_in=moment)
        )

    def _candidates(self, account_id: str, condition: Any) -> list[Candidate]:
        rows = self.conn.execute(
            select(users.c.pk, users.c.id, users.c.user_name, users.c.active, users.c.deleted_at)
            .where(users.c.account_id == account_id, condition)
            .order_by(users.c.pk)
        )
        return [
            Candidate(r.pk, r.id, r.user_name, bool(r.active), r.deleted_at is not None)
            for r in rows
        ]

    def users_with_email(self, account_id: str, email: str) -> list[Candidate]:
        """The account's users whose userName or one of whose emails is `email` (any case)."""
        lowered = email.strip().lower()
        return self._candidates(
            account_id,
            or_(
                users.c.user_name_lower == lowered,
                users.c.pk.in_(
                    select(user_emails.c.user_pk).where(
                        user_emails.c.account_id == account_id,
                        user_emails.c.value_lower == lowered,
                    )
                ),
            ),
        )

    def user(self, account_id: str, user_pk: int) -> Candidate | None:
        found = self._candidates(account_id, users.c.pk == user_pk)
        return found[0] if found else None

    def users_by_pk(self, account_id: str, user_pks: list[int]) -> list[Candidate]:
        return self._candidates(account_id, users.c.pk.in_(user_pks)) if user_pks else []

    # sessions ---------------------------------------------------------------------------
    def add_session(
        self,
        digest: str,
        account_id: str,
        user_pk: int,
        domain_id: str,
        created: datetime,
        expires: datetime,
    ) -> None:
        self.conn.execute(
            insert(person_sessions).values(
                id=digest,
                account_id=account_id,
                user_pk=user_pk,
                domain_id=domain_id,
                created=created,
                expires=expires,
                last_seen=created,
            )
        )

    def person(self, digest: str, moment: datetime) -> tuple[Person, datetime] | None:
        """Who a live session belongs to, and when it was last seen."""
        row = self.conn.execute(
            _PERSON.where(person_sessions.c.id == digest, person_sessions.c.expires > moment)
        ).first()
        if row is None:
            return None
        person = Person(
            user_id=row.user_id,
            user_pk=row.user_pk,
            account_id=row.account_id,
            domain_id=row.domain_id,
            user_name=row.user_name,
            session_created=as_utc(row.created) or moment,
            session_expires=as_utc(row.expires) or moment,
        )
        return person, as_utc(row.last_seen) or moment

    def touch_session(self, digest: str, moment: datetime, older_than: timedelta) -> None:
        """Record the session's use, at most once per `older_than` (reads stay reads)."""
        self.conn.execute(
            update(person_sessions)
            .where(
                person_sessions.c.id == digest, person_sessions.c.last_seen < moment - older_than
            )
            .values(last_seen=moment)
        )

    def session_owner(self, digest: str) -> tuple[str, int] | None:
        """(account id, user pk) of a session row, expired or not."""
        row = self.conn.execute(
            select(person_sessions.c.account_id, person_sessions.c.user_pk).where(
                person_sessions.c.id == digest
            )
        ).first()
        return (row.account_id, row.user_pk) if row else None

    def end_session(self, digest: str) -> int:
        return int(
            self.conn.execute(
                delete(person_sessions).where(person_sessions.c.id == digest)
            ).rowcount
        )

    def end_sessions_of(self, account_id: str, user_pk: int) -> int:
        """Delete every session of a person; how many there were."""
        params = {"account_id": account_id, "user_pk": user_pk}
        return int(self.conn.execute(_END_SESSIONS_OF, params).rowcount)

    def session_counts_of_domain(self, account_id: str, domain_id: str) -> dict[int, int]:
        """Per person (user pk), how many sessions they opened through the domain."""
        rows = self.conn.execute(
            select(person_sessions.c.user_pk, func.count())
            .where(
                person_sessions.c.account_id == account_id,
                person_sessions.c.domain_id == domain_id,
            )
            .group_by(person_sessions.c.user_pk)
        )
        return {int(row[0]): int(row[1]) for row in rows}

    def end_sessions_of_domain(self, account_id: str, domain_id: str) -> int:
        return int(
            self.conn.execute(
                delete(person_sessions).where(
                    person_sessions.c.account_id == account_id,
                    person_sessions.c.domain_id == domain_id,
                )
            ).rowcount
        )

    def end_expired_sessions(self, moment: datetime) -> None:
        self.conn.execute(delete(person_sessions).where(person_sessions.c.expires <= moment))
