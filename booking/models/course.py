"""A patient's course for one condition: opened with their first consultation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
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
