"""Emails end to end: book through the site, run the cron commands, read what arrived."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from booking.extensions import db
from booking.models import Booking, OutboxMessage, Service
from booking.models.base import utcnow
from booking.services.bookings import BookingRequest, create_booking
from booking.services.calendar import event_uid
from booking.services.clinic import current_disclaimer, get_settings
from booking.views.helpers import clock, long_date, zone_label
from tests.conftest import CLINIC_EMAIL, NO_FLAGS
from tests.mail import Received
from tests.views.test_public import book_url, details_form

ANN = "ann@example.com"


def send(runner, *args):
    result = runner.invoke(args=["send-outbox", *args])
    assert result.exit_code == 0, result.output
    return result.output


def stored(app, reference):
    with app.app_context():
        booking = db.session.execute(
            db.select(Booking).where(Booking.reference == reference)
        ).scalar_one()
        return {
            "id": booking.id,
            "start": booking.start_at,
            "end": booking.end_at,
            "sequence": booking.sequence,
            "practitioner": booking.practitioner.name,
        }


def outbox_rows(app):
    with app.app_context():
        return list(
            db.session.execute(db.select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
        )


def test_a_patient_booking_online_gets_a_confirmation_with_a_working_invitation(
    app, client, runner, mail_server, make_booking, clinic
):
    made = make_booking()
    booking = stored(app, made["reference"])

    assert "2 sent" in send(runner)

    (received,) = mail_server.to(ANN)
    message = received.message
    sender = message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == (
        clinic.name,
        "booking@clinic.test",
    )
    assert received.sender == "booking@clinic.test"
    assert message["To"].addresses[0].addr_spec == ANN
    assert message["Reply-To"].addresses[0].addr_spec == CLINIC_EMAIL
    assert message["Subject"].startswith(f"Booked: {clinic.service('neck-initial').name}")
    assert abs(message["Date"].datetime - utcnow()) < timedelta(minutes=5)
    assert message["Message-ID"] == outbox_rows(app)[0].message_id

    with app.app_context():
        settings = get_settings()
        when = f"{long_date(booking['start'])} at {clock(booking['start'])}"
        zone = zone_label(booking["start"])
        disclaimer = current_disclaimer().text
        for body in (received.text, received.html):
            for fact in (
                when,
                zone,
                booking["practitioner"],
                settings.address,
                settings.phone,
                "$95.00 a session",
                "A typical course is 8 sessions",
                disclaimer,
            ):
                assert fact in body, fact

    calendar, method = received.invitation
    event = received.event
    assert method == "REQUEST"
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == event_uid_for(app, made["reference"])
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == booking["start"]
    assert event.decoded("DTEND") == booking["end"]
    assert str(event["ATTENDEE"]) == f"mailto:{ANN}"
    assert str(event["ORGANIZER"]) == "mailto:booking@clinic.test"

    # The link in both parts opens the booking: the patient's private page.
    assert received.manage_path() == urlsplit(made["manage_url"]).path
    assert all(url.startswith("http://clinic.test/") for url in received.links())
    page = client.get(received.manage_path())
    assert page.status_code == 200
    assert made["reference"][:4] in page.get_data(as_text=True)


def event_uid_for(app, reference):
    with app.app_context():
        booking = db.session.execute(
            db.select(Booking).where(Booking.reference == reference)
        ).scalar_one()
        return event_uid(booking)


def test_the_clinic_hears_of_an_online_booking_and_can_open_it(
    app, client, runner, mail_server, auth, make_booking
):
    made = make_booking()
    send(runner)

    (notice,) = mail_server.to(CLINIC_EMAIL)
    assert notice.message["Subject"].startswith("New online booking")
    assert "Ann Lee" not in notice.message["Subject"]
    assert "Ann Lee" in notice.text and ANN in notice.text
    assert notice.invitation[1] == "PUBLISH"
    assert notice.event["DTSTART"].dt == stored(app, made["reference"])["start"]
    (staff_link,) = {url for url in notice.links() if "/staff/" in url}
    auth.login()
    assert client.get(urlsplit(staff_link).path).status_code == 200


def test_a_move_sends_an_update_to_the_same_event_with_the_next_sequence(
    app, client, runner, mail_server, free_slot, make_booking
):
    made = make_booking()
    send(runner)
    before = stored(app, made["reference"])
    later = free_slot(days_ahead=5)
    moved = client.post(
        f"/api/v1/bookings/{made['manage_token']}/reschedule",
        json={"start": later.start.isoformat(), "practitioner": later.practitioner_id},
    )
    assert moved.status_code == 200

    assert "1 sent" in send(runner)

    first, update = mail_server.to(ANN)
    after = stored(app, made["reference"])
    assert update.message["Subject"].startswith("Booking moved")
    assert str(update.event["UID"]) == str(first.event["UID"])
    assert update.event["SEQUENCE"] == first.event["SEQUENCE"] + 1 == after["sequence"]
    assert update.event.decoded("DTSTART") == after["start"] == later.start
    assert update.invitation[1] == "REQUEST"
    with app.app_context():
        assert f"It was on {long_date(before['start'])} at {clock(before['start'])}" in update.text
    # The same private link as in the confirmation: older links keep working.
    assert update.manage_path() == first.manage_path()
    assert client.get(update.manage_path()).status_code == 200
    # Moves by the patient are not announced to the clinic.
    assert len(mail_server.to(CLINIC_EMAIL)) == 1


def test_a_cancellation_takes_the_event_out_of_the_calendar_and_tells_the_clinic(
    app, client, runner, mail_server, make_booking
):
    made = make_booking()
    send(runner)
    response = client.post(
        f"/api/v1/bookings/{made['manage_token']}/cancel", json={"reason": "Feeling better"}
    )
    assert response.status_code == 200

    assert "2 sent" in send(runner)

    confirmation, cancellation = mail_server.to(ANN)
    calendar, method = cancellation.invitation
    assert method == "CANCEL"
    assert calendar["METHOD"] == "CANCEL"
    assert cancellation.event["STATUS"] == "CANCELLED"
    assert str(cancellation.event["UID"]) == str(confirmation.event["UID"])
    assert cancellation.event["SEQUENCE"] == 1
    assert cancellation.message["Subject"].startswith("Booking cancelled")
    assert "is cancelled" in cancellation.text
    page = client.get(cancellation.manage_path())
    assert "This booking is cancelled" in page.get_data(as_text=True)
    (book_again,) = {url for url in cancellation.links() if "/services/" in url}
    assert client.get(urlsplit(book_again).path).status_code == 200

    booked, cancelled = mail_server.to(CLINIC_EMAIL)
    assert cancelled.message["Subject"].startswith("Cancelled online")
    assert "Feeling better" in cancelled.text


def test_reception_bookings_email_only_patients_who_gave_an_address(
    app, runner, mail_server, make_booking
):
    make_booking(staff=True, patient={"name": "Dan Park", "phone": "207-555-0123"})
    make_booking(
        staff=True,
        days_ahead=6,
        patient={"name": "Eve Ng", "phone": "207-555-0124", "email": "eve@example.com"},
    )

    assert "1 sent" in send(runner)

    (received,) = mail_server.received
    assert received.recipients == ["eve@example.com"]
    assert received.message["Subject"].startswith("Booked:")
    # Reception made it: the clinic needs no notice of its own booking.
    assert mail_server.to(CLINIC_EMAIL) == []


def test_send_reminders_reminds_once_however_often_it_runs(
    app, client, runner, mail_server, free_slot
):
    slot = free_slot()
    app.config["REMINDER_HOURS"] = 30 * 24
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        # Booked five weeks ahead: long before the reminder falls due.
        create_booking(
            BookingRequest(
                service=service,
                start=slot.start,
                practitioner_id=slot.practitioner_id,
                name="Ann Lee",
                email=ANN,
                phone="207 555 0100",
                answers=NO_FLAGS,
            ),
            now=slot.start - timedelta(days=35),
        )

    first = runner.invoke(args=["send-reminders"])
    second = runner.invoke(args=["send-reminders"])
    assert first.exit_code == second.exit_code == 0
    assert first.output.startswith("Reminders: 1 queued.")
    assert second.output.startswith("Reminders: 0 queued.")
    assert "Ann" not in first.output + second.output

    reminders = [r for r in mail_server.to(ANN) if r.message["Subject"].startswith("Reminder")]
    assert len(reminders) == 1
    (reminder,) = reminders
    assert "A reminder of your appointment" in reminder.text
    assert reminder.invitation[1] == "REQUEST"
    assert reminder.event.decoded("DTSTART") == slot.start
    assert client.get(reminder.manage_path()).status_code == 200


def test_a_booking_succeeds_while_the_mail_server_is_down_and_its_email_goes_later(
    app, runner, mail_server, make_booking
):
    mail_server.stop()
    made = make_booking()

    output = send(runner)
    assert "0 sent, 2 to retry" in output
    assert mail_server.received == []
    for row in outbox_rows(app):
        assert row.status == "pending"
        assert row.attempts == 1
        assert row.last_error == "ConnectionRefusedError"
        assert timedelta(seconds=30) < row.next_attempt_at - utcnow() <= timedelta(minutes=1)

    mail_server.start()
    assert "0 sent" in send(runner), "a message waits out its backoff"
    assert mail_server.received == []

    # A minute later, the next cron run delivers each message, once.
    with app.app_context():
        db.session.execute(
            db.update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert "2 sent" in send(runner)
    assert "0 sent" in send(runner)
    assert len(mail_server.to(ANN)) == 1
    assert len(mail_server.to(CLINIC_EMAIL)) == 1
    (received,) = mail_server.to(ANN)
    assert received.manage_path() == urlsplit(made["manage_url"]).path


def test_a_refused_booking_leaves_nothing_in_the_outbox(app, client, booking_payload):
    body = booking_payload()
    assert client.post("/api/v1/bookings", json=body).status_code == 201
    taken = client.post(
        "/api/v1/bookings",
        json={**body, "patient": {**body["patient"], "email": "bob@example.com"}},
    )
    assert taken.status_code == 409
    red_flag = client.post(
        "/api/v1/bookings",
        json=booking_payload(screening={**NO_FLAGS, "fever": True}),
    )
    assert red_flag.status_code == 422
    assert {row.recipient for row in outbox_rows(app)} == {ANN, CLINIC_EMAIL}


def test_without_an_smtp_server_messages_are_written_as_eml_files(
    app, runner, tmp_path, make_booking
):
    made = make_booking()

    assert "2 sent" in send(runner)
    assert "0 sent" in send(runner)

    folder = tmp_path / "outbox"
    assert sorted(path.name for path in folder.iterdir()) == [
        "1-confirmation.eml",
        "2-clinic_booking.eml",
    ]
    message = email.message_from_bytes(
        (folder / "1-confirmation.eml").read_bytes(), policy=email.policy.default
    )
    written = Received("", [], message)
    assert message["To"].addresses[0].addr_spec == ANN
    assert written.manage_path() == urlsplit(made["manage_url"]).path
    assert written.invitation[1] == "REQUEST"


def test_names_beyond_ascii_arrive_intact(app, runner, mail_server, make_booking):
    make_booking(name="Zoë Ångström", email="zoe@example.com")

    send(runner)

    (received,) = mail_server.to("zoe@example.com")
    assert received.message["To"].addresses[0].display_name == "Zoë Ångström"
    assert "Dear Zoë," in received.text and "Dear Zoë," in received.html
    assert str(received.event["ATTENDEE"].params["CN"]) == "Zoë Ångström"


def test_booking_on_the_pages_sends_the_same_confirmation(
    app, client, runner, mail_server, free_slot
):
    slot = free_slot()
    response = client.post(book_url(slot), data=details_form())
    assert response.status_code == 302
    manage_path = response.headers["Location"]

    send(runner)

    (received,) = mail_server.to(ANN)
    assert received.manage_path() == manage_path
    assert received.event.decoded("DTSTART") == slot.start
    # ... and moving it on the pages sends the update.
    later = free_slot(days_ahead=5)
    query = urlencode({"start": later.start.isoformat(), "practitioner": later.practitioner_id})
    moved = client.post(f"{manage_path}/reschedule/confirm?{query}", data={})
    assert moved.status_code == 302
    send(runner)
    _confirmation, update = mail_server.to(ANN)
    assert update.event["SEQUENCE"] == 1
    assert update.event.decoded("DTSTART") == later.start
