"""Practitioners, the services they give, their weekly hours and time off."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.domain.availability import WeeklyHours
from booking.models.base import Base, UTCDateTime
from booking.models.service import Service

practitioner_service = Table(
    "practitioner_service",
    Base.metadata,
    Column("practitioner_id", ForeignKey("practitioner.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
)


class Practitioner(Base):
    __tablename__ = "practitioner"
    __audit_name__ = "practitioner"
    # Hours and time off are audited apart, as changes of their own.
    __audited__ = ("name", "title", "bio", "services", "active")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(120), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    # SHA-256 of the secret in the practitioner's calendar feed URL; None = no feed.
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    services: Mapped[list[Service]] = relationship(
        secondary=practitioner_service, order_by=Service.position
    )
    hours: Mapped[list[WorkingHours]] = relationship(
        back_populates="practitioner",
        cascade="all, delete-orphan",
        order_by="WorkingHours.weekday",
    )
    time_off: Mapped[list[TimeOff]] = relationship(
        back_populates="practitioner",
        cascade="all, delete-orphan",
        order_by="TimeOff.start_at",
    )

    @property
    def weekly_hours(self) -> tuple[WeeklyHours, ...]:
        """The weekly hours as the pure availability engine takes them."""
        return tuple(
            WeeklyHours(h.weekday, h.start_time, h.end_time, h.break_start, h.break_end)
            for h in self.hours
        )


class WorkingHours(Base):
    """Weekly hours in clinic wall-clock time, one row per weekday, with an optional break."""

    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("start_time < end_time", name="start_before_end"),
        CheckConstraint(
            "(break_start IS NULL AND break_end IS NULL) OR "
            "(start_time < break_start AND break_start < break_end AND break_end < end_time)",
            name="break_inside_hours",
        ),
        UniqueConstraint("practitioner_id", "weekday"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"))
    weekday: Mapped[int]
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    break_start: Mapped[time | None] = mapped_column(Time)
    break_end: Mapped[time | None] = mapped_column(Time)

    practitioner: Mapped[Practitioner] = relationship(back_populates="hours")


class TimeOff(Base):
    """A span, in UTC, when a practitioner takes no appointments."""

    __tablename__ = "time_off"
    __audited__ = (("start", "start_at"), ("end", "end_at"), "reason")
    __table_args__ = (CheckConstraint("start_at < end_at", name="start_before_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), index=True
    )
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")

    practitioner: Mapped[Practitioner] = relationship(back_populates="time_off")


# Who gives a service, read-only: the owner's catalogue edits the link table itself.
Service.practitioners = relationship(
    Practitioner, secondary=practitioner_service, viewonly=True, order_by=Practitioner.name
)
