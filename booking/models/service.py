"""Consultation types with their price and course plan."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, object_session

from booking.domain.estimates import CoursePlan, Estimate, Package, course_estimate, package_text
from booking.domain.money import amount
from booking.models.base import Base, one_of
from booking.models.clinic import ClinicSettings

CONDITIONS = {"neck": "Neck pain", "back": "Back pain"}
KINDS = {"initial": "First consultation", "follow-up": "Follow-up session"}
# Minutes a session and the clean-up after it may last; percent off a package.
# What an owner edits about a service, apart from its price and course plan.
DETAILS = ("name", "condition", "kind", "description", "duration_minutes", "buffer_minutes")
DURATION_RANGE = (1, 480)
BUFFER_RANGE = (0, 120)
DISCOUNT_RANGE = (1, 90)


def between(column: str, bounds: tuple[int, int]) -> str:
    return f"{column} BETWEEN {bounds[0]} AND {bounds[1]}"


class Service(Base):
    __tablename__ = "service"
    __table_args__ = (
        CheckConstraint(one_of("condition", CONDITIONS), name="condition"),
        CheckConstraint(one_of("kind", KINDS), name="kind"),
        CheckConstraint(between("duration_minutes", DURATION_RANGE), name="duration_range"),
        CheckConstraint(between("buffer_minutes", BUFFER_RANGE), name="buffer_range"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint(
            "course_min >= 1 AND course_min <= course_typical AND course_typical <= course_max",
            name="course_plan_order",
        ),
        CheckConstraint(
            "package_sessions IS NULL OR (package_sessions >= 2 AND "
            "((package_price_cents IS NOT NULL AND package_price_cents > 0 "
            "AND package_discount_percent IS NULL) OR "
            f"({between('package_discount_percent', DISCOUNT_RANGE)} "
            "AND package_price_cents IS NULL)))",
            name="package_shape",
        ),
    )

    __audit_name__ = "service"
    # In words an owner reads; the price has its own action and history.
    __audited__ = (
        "slug",
        *DETAILS,
        ("price", "price_amount"),
        ("course_plan", "course_plan_text"),
        ("package", "package_text"),
        ("practitioners", "practitioner_names"),
        "active",
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
    def price_amount(self) -> str:
        return amount(self.price_cents)

    @property
    def course_plan_text(self) -> str:
        return f"{self.course_min}/{self.course_typical}/{self.course_max}"

    @property
    def package_text(self) -> str | None:
        currency = object_session(self).scalar(select(ClinicSettings.currency).limit(1))
        return package_text(self, currency or "USD")

    @property
    def practitioner_names(self) -> str:
        """Who gives it, those who left included, by name."""
        return ", ".join(sorted(p.name for p in self.practitioners))

    @property
    def condition_label(self) -> str:
        return CONDITIONS[self.condition]

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]
