"""Every calendar the app writes, read back by a second, independent parser (vobject) as
well as by icalendar, which writes them: CRLF line ends whatever the names, iMIP parts."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta

import vobject

from booking.extensions import db
from booking.models import Booking
from booking.services.bookings import cancel_booking
from tests.mail import rendered

ZOE = {"name": "Zoë Ångström-Núñez", "email": "zoe@example.com", "phone": "207 555 0150"}


def parsed(message: str) -> email.message.EmailMessage:
    return email.message_from_string(message, policy=email.policy.default)


def calendar_parts(message: email.message.EmailMessage) -> tuple[list, list]:
    """The text/calendar body parts (inside multipart/alternative) and attachments."""
    body = message.get_body(("related", "html", "plain"))
    assert body is not None
    alternatives = [
        part
        for part in message.walk()
        if part.get_content_type() == "text/calendar" and part.get_filename() is None
    ]
    attached = [
        part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"
    ]
    return alternatives, attached


def only_crlf(data: bytes) -> bool:
    return b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")


def read_twice(data: bytes):
    """Both parsers accept the file; returns vobject's reading."""
    from icalendar import Calendar

    Calendar.from_ical(data)
    return vobject.readOne(data.decode("utf-8"))


def test_an_invitation_for_a_name_beyond_ascii_keeps_crlf_and_is_also_an_imip_part(
    app, make_booking
):
    made = make_booking(patient=ZOE)
    with app.app_context():
        message = parsed(rendered("confirmation"))
    alternatives, (attached,) = calendar_parts(message)
    data = attached.get_payload(decode=True)
    assert only_crlf(data)
    second = read_twice(data)
    assert second.method.value == "REQUEST"
    assert second.vevent.attendee.params["CN"] == [ZOE["name"]]
    assert second.vevent.uid.value == f"booking-{made['reference']}@clinic.test"
    # iMIP (RFC 6047): the same invitation as a body part, with its method.
    (part,) = alternatives
    assert part.get_param("method") == "REQUEST"
    assert part.get_payload(decode=True) == data
    assert message.get_body(("plain",)) is not None


def test_a_cancellation_is_an_imip_cancel_and_parses_twice(app, make_booking, make_user):
    made = make_booking(patient=ZOE)
    with app.app_context():
        booking = db.session.execute(
            db.select(Booking).filter_by(reference=made["reference"])
        ).scalar_one()
        cancel_booking(booking, reason="Away")
        message = parsed(rendered("cancellation"))
    (part,), (attached,) = calendar_parts(message)
    assert part.get_param("method") == "CANCEL"
    second = read_twice(attached.get_payload(decode=True))
    assert (second.method.value, second.vevent.status.value) == ("CANCEL", "CANCELLED")
    assert "valarm" not in second.vevent.contents  # no reminder of a visit that is off


def test_the_add_to_calendar_file_parses_twice(client, make_booking):
    made = make_booking(patient=ZOE)
    response = client.get(f"/manage/{made['manage_token']}/calendar.ics")
    assert only_crlf(response.data)
    second = read_twice(response.data)
    assert second.vevent.summary.value.startswith("Neck pain")
    # The patient's calendar reminds them two hours before.
    alarm = second.vevent.valarm
    assert alarm.action.value == "DISPLAY"
    assert alarm.trigger.value == -timedelta(hours=2)
    assert "in 2 hours" in alarm.description.value


def test_the_course_calendar_holds_each_session_once_and_parses_twice(app, client, make_booking):
    """The rest of a course booked at once: one file, one VEVENT per session, each with
    the UID its later REQUEST or CANCEL will carry."""
    first = make_booking(patient=ZOE)
    booked = client.post(
        f"/api/v1/bookings/{first['manage_token']}/course", json={"count": 3}
    ).get_json()
    with app.app_context():
        message = parsed(rendered("course_confirmation"))
    # A file to add to a calendar (PUBLISH), not an invitation to answer: no iMIP part.
    alternatives, (attached,) = calendar_parts(message)
    assert alternatives == []
    data = attached.get_payload(decode=True)
    assert only_crlf(data)
    second = read_twice(data)
    assert second.method.value == "PUBLISH"
    events = second.contents["vevent"]
    assert [e.uid.value for e in events] == [
        f"booking-{b['reference']}@clinic.test" for b in booked["bookings"]
    ]
    # Each at its instant (written in UTC, so every reader agrees whatever its zone).
    assert [e.dtstart.value for e in events] == [
        datetime.fromisoformat(b["start"]) for b in booked["bookings"]
    ]
    assert all(e.dtstart.value.utcoffset() == timedelta(0) for e in events)
