"""Every path that frees a practitioner's time offers it down the waitlist, by itself."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from booking.domain.availability import WeeklyHours
from booking.extensions import db
from booking.models import (
    Booking,
    OutboxMessage,
    Practitioner,
    Service,
    TimeOff,
    User,
    WaitlistEntry,
    WaitlistOffer,
)
from booking.services import waitlist
from booking.services.bookings import reschedule_booking, set_status
from booking.services.practitioners.schedule import add_time_off, delete_time_off, set_hours
from booking.services.void import void_bookings
from tests.conftest import NO_FLAGS
from tests.waitlist_helpers import clinic_today, fill_day, working_day


def join(service_slug, day, practitioner_id, **wish):
    service = db.session.execute(db.select(Service).filter_by(slug=service_slug)).scalar_one()
    entry, _token = waitlist.join(
        waitlist.JoinRequest(
            service=service,
            earliest=day,
            latest=wish.pop("latest", day),
            name="Ada Waiting",
            email="ada@example.com",
            phone="207 555 0123",
            answers=dict(NO_FLAGS),
            practitioner_id=practitioner_id,
            **wish,
        )
    )
    return entry


def open_offers():
    db.session.expire_all()
    return list(
        db.session.execute(
            db.select(WaitlistOffer).where(WaitlistOffer.status == "offered")
        ).scalars()
    )


@pytest.fixture
def desk(app, make_user):
    make_user("reception")
    with app.app_context():
        return db.session.execute(db.select(User)).scalars().first().id


@pytest.mark.parametrize("path", ["move", "void"])
def test_a_booking_moved_away_or_voided_frees_its_time_for_the_first_in_line(
    app, clinic, desk, path
):
    with app.app_context():
        actor = db.session.get(User, desk)
        day = working_day(clinic.practitioner, 3)
        filled = fill_day(clinic.practitioner.id, day)
        join("neck-initial", day, clinic.practitioner.id)
        assert open_offers() == []
        booking, _token = filled[0]
        freed_start = booking.start_at
        if path == "move":
            service = booking.service
            later = day + timedelta(days=7)
            from booking.services import availability

            target = availability.free_slots(
                service, later, later + timedelta(days=6), practitioner_id=clinic.practitioner.id
            )[0]
            reschedule_booking(
                booking, target.start, practitioner_id=clinic.practitioner.id, actor=actor
            )
        else:
            void_bookings([booking.id], "Test booking", actor=actor)
        (offer,) = open_offers()
        assert offer.start_at == freed_start


def test_time_off_removed_is_offered(app, clinic, desk):
    with app.app_context():
        actor = db.session.get(User, desk)
        practitioner = db.session.get(Practitioner, clinic.practitioner.id)
        day = working_day(clinic.practitioner, 3)
        off = add_time_off(practitioner, day, day, None, None, "Course", actor=actor)
        join("neck-initial", day, clinic.practitioner.id)
        assert open_offers() == []
        delete_time_off(db.session.get(TimeOff, off.id), actor=actor)
        (offer,) = open_offers()
        assert offer.start_at.astimezone(clinic_zone()).date() == day


def test_hours_added_on_a_day_off_are_offered(app, clinic, desk):
    with app.app_context():
        actor = db.session.get(User, desk)
        practitioner = db.session.get(Practitioner, clinic.practitioner.id)
        day = clinic_today() + timedelta(days=3)
        while day.weekday() in clinic.practitioner.weekdays:
            day += timedelta(days=1)
        join("neck-initial", day, clinic.practitioner.id, latest=day)
        assert open_offers() == []
        week = {h.weekday: h for h in practitioner.weekly_hours}
        week[day.weekday()] = WeeklyHours(day.weekday(), time(10, 0), time(14, 0))
        set_hours(practitioner, week, actor=actor)
        (offer,) = open_offers()
        local = offer.start_at.astimezone(clinic_zone())
        assert (local.date(), local.time()) == (day, time(10, 0))


def test_a_visit_marked_arrived_frees_nothing_and_offers_nothing(app, clinic, desk, start_now):
    with app.app_context():
        day = working_day(clinic.practitioner, 3)
        filled = fill_day(clinic.practitioner.id, day)
        join("neck-initial", day, clinic.practitioner.id)
        booking_id = filled[0][0].id
    start_now(booking_id)
    with app.app_context():
        set_status(db.session.get(Booking, booking_id), "arrived", actor=db.session.get(User, desk))
        assert open_offers() == []


def clinic_zone():
    from zoneinfo import ZoneInfo

    from booking.models import ClinicSettings

    return ZoneInfo(db.session.execute(db.select(ClinicSettings)).scalar_one().timezone)


def test_the_cron_command_lapses_reminds_and_closes_old_entries(app, runner, clinic, desk):
    from booking.models.base import utcnow

    with app.app_context():
        day = clinic_today() + timedelta(days=5)
        entry_id = join(
            "neck-initial", day, clinic.practitioner.id, latest=day + timedelta(days=7)
        ).id
        (offer,) = open_offers()
        # Half an hour before it lapses, the patient is reminded; once, however often cron runs.
        offer.remind_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    first = runner.invoke(args=["waitlist"])
    assert first.exit_code == 0, first.output
    assert "1 reminded" in first.output
    assert "0 reminded" in runner.invoke(args=["waitlist"]).output
    with app.app_context():
        (offer,) = open_offers()
        offer.offered_at = utcnow() - timedelta(hours=3)
        offer.expires_at = utcnow() - timedelta(minutes=1)
        stale = db.session.get(WaitlistEntry, entry_id)
        db.session.commit()
        assert stale.status == "waiting"
    lapsed = runner.invoke(args=["waitlist"])
    assert "1 lapsed" in lapsed.output
    with app.app_context():
        kinds = [
            row.kind
            for row in db.session.execute(
                db.select(OutboxMessage).where(OutboxMessage.waitlist_entry_id == entry_id)
            ).scalars()
        ]
        assert kinds.count("waitlist_reminder") == 1
        assert kinds.count("waitlist_lapsed") == 1
        # Past its last day, the place closes.
        for held in open_offers():
            held.status = "withdrawn"
        db.session.get(WaitlistEntry, entry_id).closes_on = clinic_today() - timedelta(days=1)
        db.session.commit()
    assert "1 closed" in runner.invoke(args=["waitlist"]).output
    with app.app_context():
        assert db.session.get(WaitlistEntry, entry_id).status == "expired"
