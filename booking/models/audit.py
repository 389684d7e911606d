"""Who changed what, when (before and after); and who opened which patient's record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.models.base import Base, UTCDateTime, one_of, utcnow
from booking.models.user import User

# Who made a change: a staff member (user_id), the patient online, or the server itself
# (a command run on it, a scheduled job).
STAFF, PATIENT, SYSTEM = "staff", "patient", "system"
ACTOR_KINDS = (STAFF, PATIENT, SYSTEM)


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_subject", "subject_type", "subject_id"),
        CheckConstraint(one_of("actor_kind", ACTOR_KINDS), name="actor_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    actor_kind: Mapped[str] = mapped_column(String(10), default=STAFF)
    action: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)

    user: Mapped[User | None] = relationship()


# What a staff member opened.
OPENED_RECORD, OPENED_BOOKING, EXPORTED = "record", "booking", "export"
OPENED = (OPENED_RECORD, OPENED_BOOKING, EXPORTED)


class RecordAccess(Base):
    """One look at a patient's details by staff: their record, a booking, an export.

    Kept apart from the audit log, which says what changed: this says who has seen what.
    """

    __tablename__ = "record_access"
    __table_args__ = (
        Index("ix_record_access_patient_at", "patient_id", "at"),
        CheckConstraint(one_of("what", OPENED), name="what"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    what: Mapped[str] = mapped_column(String(10))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship()
