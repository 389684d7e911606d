"""Staff accounts: reception and owners."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from booking.models.base import Base, UTCDateTime, one_of, utcnow

RECEPTION, OWNER = "reception", "owner"
ROLES = (RECEPTION, OWNER)


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, Base):
    __tablename__ = "staff_user"
    __table_args__ = (CheckConstraint(one_of("role", ROLES), name="role"),)

    __audit_name__ = "account"
    # Never the password, its hash or the session.
    __audited__ = ("email", "name", "role", "active")

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default=RECEPTION)
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the login session's id: changing it signs the user out everywhere.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Two-step sign-in. The TOTP secret (base32) is set at the start of enrolment and
    # counts once enabled_at is; it is never audited or logged.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    two_factor_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The time-step of the last code accepted: that code, and any older, is refused.
    two_factor_last_step: Mapped[int | None] = mapped_column(BigInteger)

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_owner(self) -> bool:
        return self.role == OWNER

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def two_factor_enabled(self) -> bool:
        return self.two_factor_enabled_at is not None


class StaffSession(Base):
    """One signed-in browser: signing out ends it here, so a copied cookie stops working.

    The cookie holds a random token; only its SHA-256 is kept.
    """

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(Base):
    """A one-time code that signs in without the authenticator app; only its SHA-256 is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
