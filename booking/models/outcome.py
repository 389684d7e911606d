"""How a course is going: the answers before each visit, a doctor's clearance after a red
flag, and the practitioner's decisions when progress is reviewed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.domain.outcomes import (
    DECISIONS,
    DISABILITY_MEASURES,
    DISABILITY_RANGE,
    PEG_KEYS,
    REFERRALS,
    REFERRED,
    SCALE,
)
from booking.models.base import Base, UTCDateTime, one_of, utcnow
from booking.models.user import User

_LOW, _HIGH = SCALE


def _on_scale(column: str) -> str:
    return f"{column} IS NULL OR {column} BETWEEN {_LOW} AND {_HIGH}"


class CheckIn(Base):
    """The answers for one visit: the pain score, the PEG where it is due, and whether any
    red-flag symptom is new since the last visit. Given by the patient from their link, or
    recorded or corrected by staff at the visit; the audit keeps every earlier value."""

    __tablename__ = "check_in"
    __table_args__ = (
        CheckConstraint(_on_scale("pain"), name="pain_scale"),
        *(CheckConstraint(_on_scale(key), name=f"{key}_scale") for key in PEG_KEYS),
        CheckConstraint(
            "(peg_pain IS NULL AND peg_enjoyment IS NULL AND peg_activity IS NULL) OR "
            "(peg_pain IS NOT NULL AND peg_enjoyment IS NOT NULL AND peg_activity IS NOT NULL)",
            name="peg_whole",
        ),
        CheckConstraint(
            "disability IS NULL OR disability BETWEEN "
            f"{DISABILITY_RANGE[0]} AND {DISABILITY_RANGE[1]}",
            name="disability_range",
        ),
        CheckConstraint(
            f"disability_measure IS NULL OR {one_of('disability_measure', DISABILITY_MEASURES)}",
            name="disability_measure",
        ),
    )

    __audit_name__ = "check_in"
    __audited__ = (
        "booking_id",
        "pain",
        "peg_pain",
        "peg_enjoyment",
        "peg_activity",
        "disability",
        "disability_measure",
        "new_red_flags",
        "entered_by_id",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), unique=True)
    pain: Mapped[int | None]
    peg_pain: Mapped[int | None]
    peg_enjoyment: Mapped[int | None]
    peg_activity: Mapped[int | None]
    disability: Mapped[int | None]
    disability_measure: Mapped[str | None] = mapped_column(String(3))
    # The keys of the red-flag questions answered "new since the last visit"; [] when
    # none is, None when not asked yet.
    new_red_flags: Mapped[list | None] = mapped_column(JSON)
    # None: the patient, from their link.
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entered_by: Mapped[User | None] = relationship()

    @property
    def peg_total(self) -> int | None:
        if self.peg_pain is None:
            return None
        return self.peg_pain + self.peg_enjoyment + self.peg_activity

    @property
    def flagged(self) -> bool:
        return bool(self.new_red_flags)


class DoctorClearance(Base):
    """A doctor has seen the patient about the red flags reported: recorded by reception
    (who cleared them, when, a note), it lets the clinic book them."""

    __tablename__ = "doctor_clearance"

    __audit_name__ = "doctor_clearance"
    __audited__ = (
        "patient_id",
        "booking_id",
        "red_flags",
        "cleared_by",
        ("cleared_on", "cleared_on"),
        "note",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    # The booking made under it, or the booking whose check-in reported the flags.
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"), index=True)
    red_flags: Mapped[list] = mapped_column(JSON)
    cleared_by: Mapped[str] = mapped_column(String(200))
    cleared_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    recorded_by: Mapped[User | None] = relationship()


class CourseDecision(Base):
    """What the practitioner decided when reviewing a course: continue (why, and the new
    plan), refer out (to whom, with a letter), or discharge as improved."""

    __tablename__ = "course_decision"
    __table_args__ = (
        CheckConstraint(one_of("kind", DECISIONS), name="kind"),
        CheckConstraint(
            f"(kind = '{REFERRED}' AND {one_of('refer_to', REFERRALS)}) OR "
            f"(kind <> '{REFERRED}' AND refer_to IS NULL)",
            name="refer_to",
        ),
        CheckConstraint("at_session >= 0", name="at_session"),
        CheckConstraint(
            "planned_sessions IS NULL OR planned_sessions BETWEEN 1 AND 60",
            name="planned_range",
        ),
    )

    __audit_name__ = "course_decision"
    __audited__ = ("course_id", "kind", "refer_to", "reason", "planned_sessions", "at_session")

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    refer_to: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    planned_sessions: Mapped[int | None]
    at_session: Mapped[int]
    # What the practitioner was prompted to do when deciding (review, refer), if anything.
    prompted: Mapped[str | None] = mapped_column(String(10))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    decided_by: Mapped[User | None] = relationship()

    @property
    def referral(self) -> str | None:
        return REFERRALS.get(self.refer_to) if self.refer_to else None

    @property
    def label(self) -> str:
        if self.kind == REFERRED:
            return f"Referred out: {REFERRALS[self.refer_to]}"
        return DECISIONS[self.kind]
