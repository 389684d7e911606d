"""Delivering the outbox: retries, giving up, leases, concurrent runs and stale messages."""

from __future__ import annotations

import contextlib
import smtplib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from booking.extensions import db
from booking.models import OutboxMessage, Service
from booking.models.base import utcnow
from booking.services import availability, emails, outbox
from booking.views.helpers import to_local
from tests.conftest import CLINIC_EMAIL
from tests.database import every_stored_value
from tests.mail import MailServer, free_port

ANN = "ann@example.com"


def rows(app, **where):
    with app.app_context():
        return list(
            db.session.execute(
                db.select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)
            ).scalars()
        )


def send(app, now=None):
    with app.app_context():
        return outbox.send_due(now)


@pytest.mark.parametrize(
    ("attempts", "minutes"),
    [(1, 1), (2, 2), (3, 4), (4, 8), (8, 128), (9, 256), (10, 360), (30, 360)],
)
def test_backoff_doubles_from_a_minute_up_to_six_hours(attempts, minutes):
    assert outbox.backoff(attempts) == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("error", "described", "permanent"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "ConnectionRefusedError", False),
        (
            smtplib.SMTPRecipientsRefused({ANN: (550, b"5.1.1 <ann@example.com> unknown")}),
            "SMTPRecipientsRefused 550",
            True,
        ),
        (
            smtplib.SMTPRecipientsRefused({ANN: (450, b"<ann@example.com> greylisted")}),
            "SMTPRecipientsRefused 450",
            False,
        ),
        (
            smtplib.SMTPAuthenticationError(535, b"bad password for clinic"),
            "SMTPAuthenticationError 535",
            False,
        ),
        (smtplib.SMTPDataError(554, b"Subject: Booked ... rejected"), "SMTPDataError 554", False),
    ],
)
def test_errors_are_recorded_by_class_and_code_only(error, described, permanent):
    assert outbox.describe(error) == described
    assert outbox.is_permanent(error) is permanent


def test_a_refused_address_is_given_up_at_once(app, mail_server, make_booking):
    mail_server.refuse(ANN)
    make_booking()

    report = send(app)

    assert (report.sent, report.given_up) == (1, 1)
    (failed,) = rows(app, status="failed")
    assert failed.recipient == ANN
    assert failed.last_error == "SMTPRecipientsRefused 550"
    assert failed.attempts == 1
    assert [r.recipients for r in mail_server.received] == [[CLINIC_EMAIL]]


def test_a_message_is_given_up_after_the_last_attempt_and_can_be_put_back(
    app, runner, mail_server, make_booking
):
    app.config.update(OUTBOX_MAX_ATTEMPTS=3, SMTP_PORT=free_port())
    make_booking()
    now = utcnow()
    for minutes in (0, 1, 3):
        report = send(app, now + timedelta(minutes=minutes))
    assert report.given_up == 2
    assert {(r.status, r.attempts) for r in rows(app)} == {("failed", 3)}
    # Given up, but kept whole and visible, and never tried by a later run on its own.
    assert send(app, now + timedelta(days=2)).sent == 0

    app.config["SMTP_PORT"] = mail_server.port
    result = runner.invoke(args=["send-outbox", "--retry-failed"])

    assert "Put back 2 message(s)" in result.output
    assert "2 sent" in result.output
    assert len(mail_server.received) == 2


def test_the_summary_names_no_patient(app, runner, mail_server, make_booking):
    make_booking()
    output = runner.invoke(args=["send-outbox"]).output
    assert output.strip() == "Outbox: 2 sent, 0 to retry, 0 given up."


def test_a_claim_left_by_a_run_that_died_is_taken_over_when_its_lease_ends(
    app, mail_server, make_booking
):
    make_booking()
    now = utcnow()
    with app.app_context():
        db.session.execute(
            db.update(OutboxMessage).values(
                status="sending", claimed_until=now + timedelta(minutes=5), claim_token="dead"
            )
        )
        db.session.commit()

    assert send(app, now).sent == 0
    assert mail_server.received == []

    assert send(app, now + timedelta(minutes=6)).sent == 2
    assert send(app, now + timedelta(minutes=20)).sent == 0
    assert len(mail_server.received) == 2
    assert {r.status for r in rows(app)} == {"sent"}


def free_slots(app, count):
    """Slots that can all be booked: different practitioners or far enough apart."""
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        first = to_local(utcnow()).date() + timedelta(days=2)
        slots = availability.free_slots(service, first, first + timedelta(days=13))
    chosen = []
    for slot in slots:
        if all(
            slot.practitioner_id != other.practitioner_id
            or abs(slot.start - other.start) >= timedelta(hours=3)
            for other in chosen
        ):
            chosen.append(slot)
        if len(chosen) == count:
            return chosen
    raise AssertionError("not enough free slots")


def test_two_runs_at_once_send_each_message_exactly_once(
    app, mail_server, monkeypatch, make_booking
):
    for n, slot in enumerate(free_slots(app, 6)):
        make_booking(
            slot, name=f"Patient {n}", email=f"p{n}@example.com", phone=f"207 555 01{n:02d}"
        )
    app.config["OUTBOX_BATCH_SIZE"] = 4
    # Both runs pick their first batch before either claims it: the worst interleaving.
    # (SQLite lets only one in at a time, so there the other waits, then moves on.)
    picked = threading.Barrier(2, timeout=2)
    first = threading.local()
    candidates = outbox.due_candidates

    def pick_together(now, size):
        rows = candidates(now, size)
        if not getattr(first, "done", False):
            first.done = True
            with contextlib.suppress(threading.BrokenBarrierError):
                picked.wait()
        return rows

    monkeypatch.setattr(outbox, "due_candidates", pick_together)
    start = threading.Barrier(2)

    def run(_n):
        with app.app_context():
            start.wait()
            return outbox.send_due()

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(run, range(2)))

    assert sum(report.sent for report in reports) == 12
    message_ids = [received.message["Message-ID"] for received in mail_server.received]
    assert len(message_ids) == len(set(message_ids)) == 12
    assert {r.status for r in rows(app)} == {"sent"}


def test_an_email_overtaken_by_a_newer_one_before_it_went_is_not_sent(
    app, client, mail_server, free_slot, make_booking
):
    mail_server.stop()
    made = make_booking()
    later = free_slot(days_ahead=5)
    client.post(
        f"/api/v1/bookings/{made['manage_token']}/reschedule",
        json={"start": later.start.isoformat(), "practitioner": later.practitioner_id},
    )
    mail_server.start()

    report = send(app)

    # The patient hears of the new time only; the clinic still hears of the booking.
    (patient,) = mail_server.to(ANN)
    assert patient.message["Subject"].startswith("Booking moved")
    assert len(mail_server.to(CLINIC_EMAIL)) == 1
    assert (report.sent, report.superseded) == (2, 1)
    (skipped,) = rows(app, status="superseded")
    assert skipped.kind == "confirmation"


def test_no_outbox_row_holds_a_working_link_pending_failed_or_sent(app, mail_server, make_booking):
    made = make_booking()
    token = made["manage_token"]
    (confirmation,) = rows(app, kind="confirmation")
    assert confirmation.status == "pending"
    assert token not in every_stored_value(app)

    mail_server.refuse(ANN)  # 550: given up at once, and kept as failed
    send(app)
    (failed,) = rows(app, kind="confirmation")
    assert (failed.status, failed.last_error) == ("failed", "SMTPRecipientsRefused 550")
    assert token not in every_stored_value(app)

    # The link is made again when the email goes: the patient still gets it.
    mail_server.accept(ANN)
    with app.app_context():
        assert outbox.retry_failed() == 1
    send(app)
    (received,) = mail_server.to(ANN)
    assert received.manage_path() == f"/manage/{token}"
    assert token not in every_stored_value(app)
    for row in rows(app):
        assert row.sent_at is not None and row.message_id


def test_a_retry_is_the_same_email_rendered_again(app, mail_server, make_booking):
    make_booking()
    mail_server.stop()
    send(app)
    mail_server.start()
    (waiting,) = rows(app, kind="confirmation")
    send(app, now=utcnow() + timedelta(minutes=2))
    (received,) = mail_server.to(ANN)
    assert received.message["Message-ID"] == waiting.message_id
    assert received.message["Subject"] == waiting.subject


def test_an_email_goes_to_the_address_on_file_when_it_is_sent(app, mail_server, make_booking):
    from booking.models import Patient

    make_booking()
    with app.app_context():
        patient = db.session.execute(db.select(Patient)).scalar_one()
        patient.email = "ann.lee@example.org"  # reception corrected a typo before it went
        db.session.commit()
    report = send(app)
    assert report.sent == 2
    (received,) = mail_server.to("ann.lee@example.org")
    assert received.message["Subject"].startswith("Booked:")
    assert mail_server.to(ANN) == []
    (confirmation,) = rows(app, kind="confirmation")
    assert confirmation.recipient == "ann.lee@example.org"


def test_an_email_whose_patient_has_no_address_left_is_not_sent(app, mail_server, make_booking):
    from booking.models import Patient

    make_booking()
    with app.app_context():
        db.session.execute(db.select(Patient)).scalar_one().email = ""
        db.session.commit()
    report = send(app)
    assert (report.sent, report.superseded) == (1, 1)
    assert mail_server.to(ANN) == []
    (confirmation,) = rows(app, kind="confirmation")
    assert confirmation.status == "superseded"


def test_the_outbox_commits_with_the_booking_or_not_at_all(
    app, client, booking_payload, monkeypatch, make_booking
):
    queue = emails._queue

    def queue_then_fail(*args, **kwargs):
        queue(*args, **kwargs)
        raise RuntimeError("the process died mid-booking")

    monkeypatch.setattr(emails, "_queue", queue_then_fail)
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(RuntimeError):
        client.post("/api/v1/bookings", json=booking_payload())

    monkeypatch.undo()
    assert rows(app) == []
    make_booking()
    assert len(rows(app)) == 2


@pytest.fixture
def login_server(app):
    server = MailServer(logins={"booking": "s3cret"})
    server.start()
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_STARTTLS=False, SMTP_USER="booking"
    )
    yield server
    server.stop()


def test_it_logs_in_with_the_configured_account(app, login_server, make_booking):
    make_booking()
    app.config["SMTP_PASSWORD"] = "wrong"
    report = send(app)
    assert (report.sent, report.retrying) == (0, 2)
    assert {r.last_error for r in rows(app)} == {"SMTPAuthenticationError 535"}

    app.config["SMTP_PASSWORD"] = "s3cret"
    assert send(app, utcnow() + timedelta(minutes=2)).sent == 2
    assert login_server.logged_in == ["booking"]
    assert len(login_server.received) == 2


def test_it_never_falls_back_to_plain_text_when_starttls_is_expected(
    app, mail_server, make_booking
):
    app.config.update(SMTP_STARTTLS=True, SMTP_USER="booking", SMTP_PASSWORD="s3cret")
    make_booking()
    report = send(app)
    assert (report.sent, report.retrying) == (0, 2)
    assert {r.last_error for r in rows(app)} == {"SMTPNotSupportedError"}
    assert mail_server.received == []


def test_one_broken_message_does_not_hold_up_the_others(app, mail_server, make_booking):
    make_booking()
    with app.app_context():
        broken = db.session.execute(
            db.select(OutboxMessage).filter_by(kind="confirmation")
        ).scalar_one()
        broken.facts = {"previous_start": "not a time"}  # cannot be rendered
        db.session.commit()

    report = send(app)

    assert (report.sent, report.retrying) == (1, 1)
    (waiting,) = rows(app, status="pending")
    assert (waiting.kind, waiting.attempts) == ("confirmation", 1)
    assert waiting.last_error == "ValueError"
    assert [r.recipients for r in mail_server.received] == [[CLINIC_EMAIL]]


def test_a_message_stopped_after_it_was_claimed_is_not_sent(app, mail_server, make_booking):
    """An erasure or a void can land while a run holds the rendered message in memory."""
    from sqlalchemy import update

    from booking.models.outbox import SUPERSEDED

    make_booking()
    with app.app_context():
        report = outbox.Report()
        now = utcnow()
        batch = outbox.prepare(outbox.claim(now, 10, report), now, report)
        assert len(batch) == 2
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == "confirmation")
            .values(status=SUPERSEDED)
        )
        db.session.commit()
        assert outbox.deliver(batch, now, report)
    assert mail_server.to(ANN) == []
    assert len(mail_server.to(CLINIC_EMAIL)) == 1
    assert report.superseded == 1
