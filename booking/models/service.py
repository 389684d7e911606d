"""Consultation types with their price and course plan."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from booking.domain.estimates import CoursePlan
from booking.models.base import Base

CONDITIONS = {"neck": "Neck pain", "back": "Back pain"}
KINDS = {"initial": "First consultation", "follow-up": "Follow-up session"}


class Service(Base):
    __tablename__ = "service"
    __table_args__ = (
        CheckConstraint("condition IN ('neck', 'back')", name="condition"),
        CheckConstraint("kind IN ('initial', 'follow-up')", name="kind"),
        CheckConstraint("duration_minutes > 0 AND duration_minutes <= 480", name="duration_range"),
        CheckConstraint("buffer_minutes >= 0 AND buffer_minutes <= 120", name="buffer_range"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint(
            "course_min >= 1 AND course_min <= course_typical AND course_typical <= course_max",
            name="course_plan_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    condition: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int]
    buffer_minutes: Mapped[int] = mapped_column(default=0)
    price_cents: Mapped[int]
    course_min: Mapped[int]
    course_typical: Mapped[int]
    course_max: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    @property
    def course_plan(self) -> CoursePlan:
        return CoursePlan(self.course_min, self.course_typical, self.course_max)

    @property
    def condition_label(self) -> str:
        return CONDITIONS[self.condition]

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]
