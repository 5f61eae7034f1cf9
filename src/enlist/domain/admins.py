"""The people who run an account: owners and admins, and the rules about who may do what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from enlist.domain.errors import Conflict, Forbidden, InvalidValue

LINK_LIFETIME = timedelta(days=7)  # an invitation or a password-reset link
MIN_PASSWORD = 12


class Role(StrEnum):
    """An owner manages the account and its admins; an admin manages everything else."""

    owner = "owner"
    admin = "admin"


@dataclass(frozen=True)
class AccountAdmin:
    """One admin of an account, as it may be shown (never the password or the link)."""

    id: str
    account_id: str
    email: str
    role: str  # a Role value
    created: datetime
    pending: bool  # invited, no password chosen yet
    invited_by: str | None = None
    link_expires: datetime | None = None

    @property
    def is_owner(self) -> bool:
        return self.role == Role.owner.value


def role_of(name: str) -> Role:
    try:
        return Role(name.strip().lower())
    except ValueError:
        raise InvalidValue(f"{name!r} is not a role; choose owner or admin.") from None


def check_email(email: str) -> str:
    email = email.strip()
    local, _, domain = email.rpartition("@")
    if not local or "." not in domain or " " in email or len(email) > 320:
        raise InvalidValue(f"{email!r} is not an email address.")
    return email


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidValue(f"A password needs at least {MIN_PASSWORD} characters.")
    if len(password) > 1000:
        raise InvalidValue("A password may have at most 1000 characters.")


def may_manage_admins(acting: AccountAdmin | None) -> None:
    """Only owners invite and remove admins (None: the operator, who may)."""
    if acting is not None and not acting.is_owner:
        raise Forbidden("Only an owner of the account can invite or remove admins.")


def check_role_change(admins: list[AccountAdmin], target: AccountAdmin, role: Role) -> None:
    """An account keeps at least one owner: the last one cannot become an admin."""
    if role is Role.admin:
        check_removal(admins, target, "made an admin")


def check_removal(admins: list[AccountAdmin], target: AccountAdmin, what: str = "removed") -> None:
    """An account keeps at least one owner who can sign in."""
    owners = [a for a in admins if a.is_owner and not a.pending]
    if target.is_owner and not target.pending and len(owners) <= 1:
        raise Conflict(
            f"{target.email} is the account's last owner and cannot be {what}; "
            "make another admin an owner first."
        )
