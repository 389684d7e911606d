"""The clinic's settings, disclaimer and booking rules as the domain wants them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from booking.domain.availability import Rules
from booking.extensions import db
from booking.models import Booking, ClinicSettings, Disclaimer


def get_settings() -> ClinicSettings:
    settings = db.session.execute(db.select(ClinicSettings).limit(1)).scalar_one_or_none()
    if settings is None:
        raise LookupError("the clinic is not set up: run 'flask --app booking seed-demo'")
    return settings


def current_disclaimer() -> Disclaimer:
    disclaimer = db.session.execute(
        db.select(Disclaimer).order_by(Disclaimer.version.desc()).limit(1)
    ).scalar_one_or_none()
    if disclaimer is None:
        raise LookupError("no disclaimer: run 'flask --app booking seed-demo'")
    return disclaimer


def rules(settings: ClinicSettings) -> Rules:
    return Rules(
        timezone=settings.timezone,
        step_minutes=settings.slot_step_minutes,
        min_notice_minutes=settings.min_notice_minutes,
        horizon_days=settings.horizon_days,
    )


def local(moment: datetime, settings: ClinicSettings) -> datetime:
    """An aware instant in the clinic's timezone."""
    return moment.astimezone(ZoneInfo(settings.timezone))


def changes_close(start: datetime, settings: ClinicSettings | None = None) -> datetime:
    """The last moment a booking starting at `start` can be cancelled or moved online."""
    settings = settings or get_settings()
    return start - timedelta(hours=settings.cancellation_notice_hours)


def change_deadline(booking: Booking) -> datetime:
    """The last moment a patient can cancel or move the booking online."""
    return changes_close(booking.start_at)
