"""Consultation types with their price, and the course plan of each condition."""

from __future__ import annotations

from sqlalchemy import DDL, CheckConstraint, ForeignKey, String, Text, event, select
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from booking.domain.estimates import (
    Estimate,
    Package,
    Prices,
    SessionRange,
    course_estimate,
    package_text,
)
from booking.domain.money import amount
from booking.models.base import Base, one_of
from booking.models.clinic import ClinicSettings

CONDITIONS = {"neck": "Neck pain", "back": "Back pain"}
INITIAL, FOLLOW_UP = "initial", "follow-up"
KINDS = {INITIAL: "First consultation", FOLLOW_UP: "Follow-up session"}
# Minutes a session and the clean-up after it may last; percent off a package.
# What an owner edits about a service, apart from its price and course plan.
DETAILS = (
    "name",
    "condition",
    "kind",
    "description",
    "duration_minutes",
    "buffer_minutes",
    "service_code",
)
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
    )

    __audit_name__ = "service"
    # In words an owner reads; the price has its own action and history.
    __audited__ = (
        "slug",
        *DETAILS,
        ("price", "price_amount"),
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
    # The CPT or HCPCS code a Good Faith Estimate lists it under (acupuncture: 97810-97814).
    service_code: Mapped[str] = mapped_column(String(5), default="")
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    @property
    def plan(self) -> CoursePlan:
        """The course plan of this service's condition (one per condition)."""
        return object_session(self).scalar(
            select(CoursePlan).where(CoursePlan.condition == self.condition)
        )

    @property
    def course_plan(self) -> SessionRange:
        return self.plan.sessions

    def estimate(self, currency: str, sessions: int | None = None) -> Estimate:
        """The course estimate of this service's condition, the same for either service."""
        return self.plan.estimate(currency, sessions, fallback=self)

    @property
    def price_amount(self) -> str:
        return amount(self.price_cents)

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


# The usual course lengths (fewest, typical, most): a new clinic starts from these.
DEFAULT_SESSIONS = {"neck": (5, 8, 12), "back": (8, 10, 12)}


class CoursePlan(Base):
    """A condition's course: its first consultation, its follow-up, how many sessions.

    One row per condition, made with the table, so every service of a condition shows
    the same estimate. A package is a number of follow-up sessions paid in advance, for a
    fixed price or at a percentage off.
    """

    __tablename__ = "course_plan"
    __table_args__ = (
        CheckConstraint(one_of("condition", CONDITIONS), name="condition"),
        CheckConstraint(
            "min_sessions >= 1 AND min_sessions <= typical_sessions "
            "AND typical_sessions <= max_sessions",
            name="session_order",
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

    __audit_name__ = "course_plan"
    __audited__ = (
        ("first_consultation", "first_service_name"),
        ("follow_up", "follow_up_service_name"),
        ("sessions", "sessions_text"),
        ("package", "package_text"),
        "diagnosis_codes",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    condition: Mapped[str] = mapped_column(String(10), unique=True)
    first_service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    follow_up_service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    min_sessions: Mapped[int]
    typical_sessions: Mapped[int]
    max_sessions: Mapped[int]
    package_sessions: Mapped[int | None]
    package_price_cents: Mapped[int | None]
    package_discount_percent: Mapped[int | None]
    # ICD-10-CM codes a Good Faith Estimate may list for the condition, comma separated.
    diagnosis_codes: Mapped[str] = mapped_column(String(60), default="", server_default="")

    first_service: Mapped[Service | None] = relationship(foreign_keys=[first_service_id])
    follow_up_service: Mapped[Service | None] = relationship(foreign_keys=[follow_up_service_id])

    @property
    def sessions(self) -> SessionRange:
        return SessionRange(self.min_sessions, self.typical_sessions, self.max_sessions)

    @property
    def package(self) -> Package | None:
        if not self.package_sessions:
            return None
        return Package(
            self.package_sessions, self.package_price_cents, self.package_discount_percent
        )

    def prices(self, fallback: Service | None = None) -> Prices:
        """Today's prices; a plan missing a service uses the other's price (or `fallback`'s)."""
        first = self.first_service or self.follow_up_service or fallback
        follow_up = self.follow_up_service or first
        if first is None:
            return Prices(0, 0)
        return Prices(first.price_cents, follow_up.price_cents)

    def estimate(
        self, currency: str, sessions: int | None = None, fallback: Service | None = None
    ) -> Estimate:
        return course_estimate(
            self.prices(fallback), currency, self.sessions, sessions, self.package
        )

    @property
    def condition_label(self) -> str:
        return CONDITIONS[self.condition]

    @property
    def first_service_name(self) -> str | None:
        return self.first_service.name if self.first_service else None

    @property
    def follow_up_service_name(self) -> str | None:
        return self.follow_up_service.name if self.follow_up_service else None

    @property
    def sessions_text(self) -> str:
        return f"{self.min_sessions}/{self.typical_sessions}/{self.max_sessions}"

    @property
    def package_text(self) -> str | None:
        currency = object_session(self).scalar(select(ClinicSettings.currency).limit(1))
        return package_text(self, currency or "USD")


# Both rows exist from the moment the table does: a plan is edited, never missing.
event.listen(
    CoursePlan.__table__,
    "after_create",
    DDL(
        "INSERT INTO course_plan (id, condition, min_sessions, typical_sessions, max_sessions) "
        "VALUES "
        + ", ".join(
            f"({i}, '{condition}', {low}, {typical}, {high})"
            for i, (condition, (low, typical, high)) in enumerate(DEFAULT_SESSIONS.items(), 1)
        )
    ),
)
