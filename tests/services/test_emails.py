"""Which emails a booking change queues, and when reminders fall due."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

import pytest

from booking.extensions import db
from booking.models import CheckIn, ClinicSettings, OutboxMessage, Service
from booking.services import outbox
from booking.services.bookings import (
    BookingRequest,
    cancel_booking,
    create_booking,
    reschedule_booking,
)
from booking.services.emails import queue_reminders
from tests.conftest import CLINIC_EMAIL, NO_FLAGS
from tests.mail import rendered

ANN = "ann@example.com"


@pytest.fixture
def book_ahead(app, clinic, free_slot, make_user):
    """A factory: book a slot as the patient (or as reception), `days_before` the start.

    Through the booking service rather than make_booking: only there can a test say
    when the booking was made, and reminders depend on it.
    """

    def make(slot=None, *, days_before=35, email=ANN, staff=False):
        slot = slot or free_slot()
        with app.app_context():
            actor = None
            if staff:
                from booking.models import User

                address = make_user(
                    "reception", email=f"desk{slot.start.timestamp():.0f}@clinic.test"
                )
                actor = db.session.execute(db.select(User).filter_by(email=address)).scalar_one()
            booking, _token = create_booking(
                BookingRequest(
                    service=db.session.get(Service, clinic.service("neck-initial").id),
                    start=slot.start,
                    practitioner_id=slot.practitioner_id,
                    name="Ann Lee",
                    email=email,
                    phone="207 555 0100",
                    answers=NO_FLAGS,
                    source="phone" if staff else "online",
                ),
                now=slot.start - timedelta(days=days_before),
                enforce_notice=not staff,
                actor=actor,
            )
            return booking.id, slot.start

    return make


def queued(app, booking_id=None):
    with app.app_context():
        query = db.select(OutboxMessage.kind, OutboxMessage.recipient).order_by(OutboxMessage.id)
        if booking_id:
            query = query.where(OutboxMessage.booking_id == booking_id)
        return [tuple(row) for row in db.session.execute(query)]


def reminders(app, now):
    with app.app_context():
        return queue_reminders(now)


def test_an_online_booking_queues_a_confirmation_and_a_clinic_notice(app, book_ahead):
    booking_id, _start = book_ahead()
    assert queued(app, booking_id) == [("confirmation", ANN), ("clinic_booking", CLINIC_EMAIL)]


def test_a_reception_booking_without_an_email_queues_nothing(app, book_ahead):
    book_ahead(email="", staff=True)
    assert queued(app) == []


def test_a_clinic_without_an_email_gets_no_notices(app, book_ahead):
    with app.app_context():
        db.session.execute(db.update(ClinicSettings).values(email=""))
        db.session.commit()
    booking_id, _start = book_ahead()
    assert queued(app, booking_id) == [("confirmation", ANN)]


def test_reception_cancelling_tells_the_patient_and_not_the_clinic(app, book_ahead, make_user):
    booking_id, _start = book_ahead()
    with app.app_context():
        from booking.models import Booking, User

        make_user("reception")
        actor = db.session.execute(db.select(User)).scalars().first()
        cancel_booking(db.session.get(Booking, booking_id), reason="Practitioner ill", actor=actor)
        assert "Practitioner ill" not in rendered("cancellation")
    assert queued(app, booking_id)[-1] == ("cancellation", ANN)
    assert ("clinic_cancellation", CLINIC_EMAIL) not in queued(app, booking_id)


def test_a_reminder_is_queued_once_inside_the_window(app, book_ahead):
    booking_id, start = book_ahead()
    assert reminders(app, start - timedelta(hours=25)) == 0
    assert reminders(app, start - timedelta(hours=23)) == 1
    assert reminders(app, start - timedelta(hours=22)) == 0
    assert queued(app, booking_id)[-1] == ("reminder", ANN)


def test_the_reminder_window_is_configurable(app, book_ahead):
    _booking_id, start = book_ahead()
    app.config["REMINDER_HOURS"] = 48
    assert reminders(app, start - timedelta(hours=47)) == 1


def test_no_reminder_for_a_booking_made_inside_the_window(app, book_ahead):
    """The confirmation has just told them; a reminder minutes later would be noise."""
    _booking_id, start = book_ahead(days_before=0.5)
    assert reminders(app, start - timedelta(hours=11)) == 0


def test_no_reminder_for_a_cancelled_booking_or_a_patient_without_email(app, book_ahead, free_slot):
    cancelled, start = book_ahead()
    with app.app_context():
        from booking.models import Booking

        cancel_booking(db.session.get(Booking, cancelled), now=start - timedelta(days=3))
    book_ahead(free_slot(days_ahead=3), email="", staff=True)
    assert reminders(app, start - timedelta(hours=2)) == 0


def test_a_moved_booking_is_reminded_of_its_new_time_only(app, book_ahead, free_slot):
    booking_id, start = book_ahead()
    assert reminders(app, start - timedelta(hours=20)) == 1
    later = free_slot(days_ahead=6)
    with app.app_context():
        from booking.models import Booking

        reschedule_booking(
            db.session.get(Booking, booking_id),
            later.start,
            practitioner_id=later.practitioner_id,
            now=start - timedelta(days=10),
        )
        # The old reminder (and the unsent confirmation) are out of date: the sender
        # drops them; the patient gets the move instead.
        outbox.send_due(start - timedelta(hours=19))
        statuses = dict(
            db.session.execute(db.select(OutboxMessage.kind, OutboxMessage.status)).all()
        )
    assert statuses["reminder"] == "superseded"
    assert statuses["reschedule"] == "sent"
    assert reminders(app, later.start - timedelta(hours=20)) == 1


def test_an_address_beyond_ascii_gets_no_email_but_the_booking_stands(app, book_ahead):
    """Such an address needs SMTPUTF8, which not every server offers."""
    booking_id, _start = book_ahead(email="zoë@example.com")
    assert queued(app, booking_id) == [("clinic_booking", CLINIC_EMAIL)]


def test_a_reminder_asks_the_pain_with_a_link_for_each_number(app, client, book_ahead):
    booking_id, start = book_ahead()
    reminders(app, start - timedelta(hours=23))
    with app.app_context():
        message = rendered("reminder")
    parsed = email.message_from_string(message, policy=email.policy.default)
    html = parsed.get_body(preferencelist=("html",)).get_content()
    links = re.findall(r'href="[^"]*/manage/([^/"]+)/check-in\?pain=(\d+)"', html)
    assert [int(n) for _, n in links] == list(range(11))
    assert len({token for token, _ in links}) == 1
    assert "How has your pain been?" in html
    # The link opens the questions with that number chosen; opening them stores nothing.
    token = links[0][0]
    page = client.get(f"/manage/{token}/check-in?pain=3").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="3"', page)
    with app.app_context():
        assert db.session.execute(db.select(CheckIn)).first() is None


def test_a_new_red_flag_before_a_visit_tells_the_clinic_without_naming_it(app, book_ahead):
    from booking.models import Booking
    from booking.services import outcomes

    booking_id, start = book_ahead()
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        outcomes.record(
            booking,
            outcomes.Answers(
                pain=5, new_red_flags={**dict.fromkeys(NO_FLAGS, False), "fever": True}
            ),
            now=start - timedelta(hours=10),
        )
        notice = rendered("clinic_check_in")
    assert queued(app, booking_id)[-1] == ("clinic_check_in", CLINIC_EMAIL)
    assert "Please call this patient before their visit" in notice
    assert "fever" not in notice.lower()
