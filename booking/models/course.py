"""A patient's course for one condition: opened with their first consultation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.models.base import Base, UTCDateTime, one_of, utcnow
from booking.models.patient import Patient
from booking.models.service import CONDITIONS


class Course(Base):
    """One patient's course of treatment for neck or back pain.

    Its bookings point at it (`Booking.course_id`). Until the practitioner sets how many
    sessions they plan (after the first visit), the condition's typical count stands.
    """

    __tablename__ = "course"
    __table_args__ = (
        CheckConstraint(one_of("condition", CONDITIONS), name="condition"),
        CheckConstraint(
            "planned_sessions IS NULL OR planned_sessions BETWEEN 1 AND 60",
            name="planned_range",
        ),
        Index("ix_course_patient_condition", "patient_id", "condition"),
    )

    __audit_name__ = "course"
    __audited__ = ("condition", "planned_sessions", "patient_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    condition: Mapped[str] = mapped_column(String(10))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    planned_sessions: Mapped[int | None]

    patient: Mapped[Patient] = relationship()

    @property
    def condition_label(self) -> str:
        return CONDITIONS[self.condition]


PAYMENT_METHODS = {
    "card": "Card at the desk",
    "cash": "Cash",
    "check": "Check",
    "transfer": "Bank transfer",
}


class PackagePurchase(Base):
    """A package of sessions the patient paid for at the desk (no card is processed here)."""

    __tablename__ = "package_purchase"
    __table_args__ = (
        CheckConstraint("sessions BETWEEN 1 AND 60", name="sessions_range"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(one_of("method", PAYMENT_METHODS), name="method"),
    )

    __audit_name__ = "package_purchase"
    __audited__ = (
        "course_id",
        "sessions",
        "amount_cents",
        "currency",
        "method",
        ("paid_at", "paid_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    sessions: Mapped[int]
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(10))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def method_label(self) -> str:
        return PAYMENT_METHODS[self.method]


ISSUE_REASONS = {
    "booked": "Issued when the course was booked",
    "plan_changed": "Issued again: the course plan changed",
    "sessions_booked": "Issued again: more sessions were booked",
    "merged": "Issued again: two patient records were merged",
    "reception": "Issued by reception",
    "patient": "Issued when the patient asked for it",
}


class GoodFaithEstimate(Base):
    """A Good Faith Estimate of a course, frozen as issued: a new plan is a new version.

    `content` holds everything the estimate says (patient, provider, items, codes,
    amounts, the statements' text), worked out by `domain.good_faith.build`, so it reads
    the same however prices or wording change later.
    """

    __tablename__ = "good_faith_estimate"
    __table_args__ = (
        UniqueConstraint("course_id", "version"),
        CheckConstraint(one_of("reason", ISSUE_REASONS), name="reason"),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
    )

    __audit_name__ = "good_faith_estimate"
    __audited__ = ("course_id", "version", "reason", "total_cents", "currency")

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    version: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reason: Mapped[str] = mapped_column(String(16))
    total_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    content: Mapped[dict] = mapped_column(JSON)

    course: Mapped[Course] = relationship()

    @property
    def reason_label(self) -> str:
        return ISSUE_REASONS[self.reason]
