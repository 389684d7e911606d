"""Consultation types with their price and course plan."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from booking.domain.estimates import CoursePlan, Estimate, Package, course_estimate
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
        CheckConstraint(
            "package_sessions IS NULL OR (package_sessions >= 2 AND "
            "((package_price_cents IS NOT NULL AND package_price_cents > 0 "
            "AND package_discount_percent IS NULL) OR "
            "(package_discount_percent BETWEEN 1 AND 90 AND package_price_cents IS NULL)))",
            name="package_shape",
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
    # An optional prepaid course: N sessions for a fixed price, or N sessions at a
    # percentage off the per-session price. None means no package is offered.
    package_sessions: Mapped[int | None]
    package_price_cents: Mapped[int | None]
    package_discount_percent: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    @property
    def course_plan(self) -> CoursePlan:
        return CoursePlan(self.course_min, self.course_typical, self.course_max)

    @property
    def package(self) -> Package | None:
        if not self.package_sessions:
            return None
        return Package(
            self.package_sessions, self.package_price_cents, self.package_discount_percent
        )

    def estimate(self, currency: str, sessions: int | None = None) -> Estimate:
        """The course estimate at today's price, with the package if one is offered."""
        return course_estimate(self.price_cents, currency, self.course_plan, sessions, self.package)

    @property
    def condition_label(self) -> str:
        return CONDITIONS[self.condition]

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]
