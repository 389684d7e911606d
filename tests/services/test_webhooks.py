"""Signed webhooks, delivered by `send-outbox` to a real receiver on loopback and verified
with the `standardwebhooks` library: each event, retries, rotation, what is left out."""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime, timedelta

import pytest
from standardwebhooks import WebhookVerificationError

from booking.domain.webhooks import EVENTS
from booking.extensions import db
from booking.models import Booking, OutboxMessage, Service, User, WebhookAttempt, WebhookEndpoint
from booking.models.base import utcnow
from booking.services import availability, outbox, privacy, waitlist
from booking.services.bookings import (
    BookingRequest,
    cancel_booking,
    create_booking,
    reschedule_booking,
    set_status,
)
from booking.services.commands import command
from booking.services.void import void_bookings
from booking.services.webhooks import endpoints
from booking.services.webhooks.endpoints import Details
from booking.views.helpers import to_local
from tests.conftest import NO_FLAGS, PATIENT
from tests.waitlist_helpers import working_day
from tests.webhook_receiver import Receiver

ALL = list(EVENTS)


@pytest.fixture
def owner(app, make_user):
    make_user("owner")
    with app.app_context():
        return db.session.execute(db.select(User).filter_by(role="owner")).scalar_one().id


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def endpoint(app, owner, receiver):
    """A factory: an endpoint at the receiver for these events; returns (id, secret)."""

    def make(events=ALL, *, contact=False, url=None):
        with app.app_context():
            made, secret = endpoints.create(
                Details(url or receiver.url, "Test receiver", list(events), contact),
                actor=db.session.get(User, owner),
            )
            return made.id, secret

    return make


def send(app, now=None):
    with app.app_context():
        return outbox.send_due(now)


def webhook_rows(app, **where):
    with app.app_context():
        return list(
            db.session.execute(
                db.select(OutboxMessage)
                .filter_by(kind="webhook", **where)
                .order_by(OutboxMessage.id)
            ).scalars()
        )


def booking_of(reference: str) -> Booking:
    return db.session.execute(db.select(Booking).filter_by(reference=reference)).scalar_one()


def at(text: str) -> datetime:
    """An ISO time from a payload; it must say its offset."""
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None
    return moment


def test_a_new_booking_is_posted_signed_and_verifies_with_the_library(
    app, endpoint, receiver, make_booking, clinic
):
    _id, secret = endpoint()
    made = make_booking()

    report = send(app)

    (request,) = receiver.requests
    payload = request.verify(secret)
    assert payload["type"] == "booking.created"
    (row,) = webhook_rows(app)
    assert request.headers["webhook-id"] == row.message_id
    assert request.headers["content-type"] == "application/json"
    assert request.path == "/hooks/"
    data = payload["data"]["booking"]
    assert data["reference"] == made["reference"]
    assert data["service"] == {"slug": "neck-initial", "name": clinic.service().name}
    assert data["status"] == "booked"
    assert data["price"] == made["price"]
    assert data["practitioner"] == made["practitioner"]
    with app.app_context():
        booking = booking_of(made["reference"])
        assert at(data["start"]) == booking.start_at
        assert at(data["end"]) == booking.end_at
        assert data["start"] == to_local(booking.start_at).isoformat()
    assert payload["timestamp"].endswith("Z")
    assert report.sent >= 1 and row.status == "sent"


def test_a_webhook_carries_no_contact_details_and_never_a_manage_link(
    app, endpoint, receiver, make_booking
):
    _id, secret = endpoint()
    made = make_booking()
    send(app)

    (request,) = receiver.requests
    text = request.body.decode()
    assert "patient" not in request.verify(secret)["data"]
    for private in (*PATIENT.values(), made["manage_token"], "/manage/"):
        assert private not in text


def test_contact_details_go_only_to_the_endpoint_that_opted_in(app, owner, make_booking):
    with Receiver() as plain, Receiver() as opted:
        with app.app_context():
            actor = db.session.get(User, owner)
            endpoints.create(Details(plain.url, "", ALL, False), actor=actor)
            _made, secret = endpoints.create(Details(opted.url, "", ALL, True), actor=actor)
        make_booking()
        send(app)

        assert "patient" not in plain.requests[0].data
        patient = opted.requests[0].verify(secret)["data"]["patient"]
        assert {k: patient[k] for k in ("name", "email", "phone")} == PATIENT


def test_the_patients_export_says_which_systems_were_told_and_with_what(app, owner, make_booking):
    """The right of access names the recipients of the patient's data: webhooks are
    listed apart from the emails, with whether contact details went too."""
    with Receiver() as plain, Receiver() as opted:
        with app.app_context():
            actor = db.session.get(User, owner)
            endpoints.create(Details(plain.url, "", ALL, False), actor=actor)
            endpoints.create(Details(opted.url, "", ALL, True), actor=actor)
        booked = make_booking()
        send(app)
        with app.app_context():
            patient = booking_of(booked["reference"]).patient
            exported = privacy.export_patient(patient)["bookings"][0]
    assert {e["kind"] for e in exported["emails"]} == {"confirmation", "clinic_booking"}
    told = exported["sent_to_other_systems"]
    # Whom (the host), never the full address: a receiver's URL is often its key.
    assert [(t["event"], t["to"], t["status"]) for t in told] == [
        ("booking.created", "127.0.0.1", "sent"),
        ("booking.created", "127.0.0.1", "sent"),
    ]
    assert all(plain.url not in str(t) and opted.url not in str(t) for t in told)
    assert [t["contact_details_included"] for t in told] == [False, True]


def test_only_the_events_an_endpoint_chose_are_sent(app, endpoint, receiver, make_booking):
    endpoint(["booking.cancelled"])
    made = make_booking()
    send(app)
    assert receiver.requests == []

    with app.app_context():
        cancel_booking(booking_of(made["reference"]), reason="Feeling better")
    send(app)

    (request,) = receiver.requests
    assert request.type == "booking.cancelled"
    assert request.data["cancelled_by"] == "patient"
    assert request.data["booking"]["status"] == "cancelled"
    # The reason may be clinical: it is never sent.
    assert "Feeling better" not in request.body.decode()


def test_a_move_tells_where_the_booking_was_and_where_it_went(
    app, endpoint, receiver, make_booking, make_user
):
    _id, secret = endpoint(["booking.changed"])
    made = make_booking()
    make_user("reception")
    with app.app_context():
        booking = booking_of(made["reference"])
        before_start, before_end = booking.start_at, booking.end_at
        later = to_local(booking.start_at).date() + timedelta(days=7)
        slot = availability.free_slots(booking.service, later, later + timedelta(days=6))[0]
        desk = db.session.execute(db.select(User).filter_by(role="reception")).scalar_one()
        reschedule_booking(booking, slot.start, practitioner_id=slot.practitioner_id, actor=desk)
    send(app)

    (request,) = receiver.requests
    data = request.verify(secret)["data"]
    assert request.type == "booking.changed"
    change = data["change"]
    assert change["kind"] == "moved"
    assert at(change["before"]["start"]) == before_start
    assert at(change["before"]["end"]) == before_end
    assert at(change["after"]["start"]) == slot.start
    assert change["after"]["practitioner"]["id"] == slot.practitioner_id
    assert at(data["booking"]["start"]) == slot.start


def test_marking_a_visit_arrived_is_a_change_of_status(
    app, endpoint, receiver, make_booking, make_user, start_now
):
    endpoint(["booking.changed"])
    made = make_booking()
    make_user("reception")
    with app.app_context():
        start_now(booking_of(made["reference"]).id)
        desk = db.session.execute(db.select(User).filter_by(role="reception")).scalar_one()
        set_status(booking_of(made["reference"]), "arrived", actor=desk)
        set_status(booking_of(made["reference"]), "noshow", actor=desk)
    send(app)

    first, second = receiver.requests
    assert first.data["change"] == {
        "kind": "status",
        "before": {"status": "booked"},
        "after": {"status": "arrived"},
    }
    # Each event keeps its own facts; the booking is shown as it is when sent.
    assert second.data["change"]["after"] == {"status": "noshow"}
    assert first.data["booking"]["status"] == "noshow"


def test_a_waitlist_offer_and_its_claim_are_each_an_event(app, endpoint, receiver, clinic):
    _id, secret = endpoint()
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        day = working_day(clinic.practitioner, 3)
        entry, _token = waitlist.join(
            waitlist.JoinRequest(
                service=service,
                earliest=day,
                latest=day,
                name="Ada Waiting",
                email="ada@example.com",
                phone="207 555 0123",
                answers=dict(NO_FLAGS),
                practitioner_id=clinic.practitioner.id,
            )
        )
        # A time is free that day: joining offers it at once, as the line does by itself.
        offer = waitlist.open_offer(entry)
        assert offer is not None
        start = offer.start_at
        offer_id = offer.id
    send(app)

    (offered,) = receiver.requests
    data = offered.verify(secret)["data"]
    assert offered.type == "waitlist.offered"
    assert data["offer"]["id"] == offer_id
    assert at(data["offer"]["start"]) == start
    assert data["practitioner"]["id"] == clinic.practitioner.id
    assert data["service"]["slug"] == "neck-initial"
    assert "Ada" not in offered.body.decode()

    with app.app_context():
        booking, _token = waitlist.claim(db.session.get(waitlist.WaitlistEntry, entry.id))
        reference = booking.reference
    send(app)

    assert sorted(r.type for r in receiver.requests[1:]) == ["booking.created", "waitlist.claimed"]
    (claimed,) = receiver.of_type("waitlist.claimed")
    assert claimed.data["booking"]["reference"] == reference
    assert claimed.data["offer"]["status"] == "claimed"


def test_a_failing_receiver_is_tried_again_with_backoff_and_the_same_webhook_id(
    app, endpoint, make_booking
):
    with Receiver(answers=[500, 503]) as receiver:
        _id, secret = endpoint(url=receiver.url)
        make_booking()
        now = utcnow()

        first = send(app, now)
        (row,) = webhook_rows(app)
        assert (first.retrying, row.status, row.attempts) == (1, "pending", 1)
        assert row.next_attempt_at == now + timedelta(minutes=1)
        assert row.last_error == "HTTP 500"
        assert send(app, now + timedelta(seconds=30)).retrying == 0  # not due yet

        send(app, now + timedelta(minutes=1))
        (row,) = webhook_rows(app)
        assert row.next_attempt_at == now + timedelta(minutes=3)  # then 2 minutes
        send(app, now + timedelta(minutes=3))

    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert ids == {row.message_id}
    for request in receiver.requests:
        assert request.verify(secret)["type"] == "booking.created"
    (row,) = webhook_rows(app)
    assert row.status == "sent"
    with app.app_context():
        attempts = db.session.execute(
            db.select(WebhookAttempt).order_by(WebhookAttempt.id)
        ).scalars()
        assert [(a.status_code, a.ok) for a in attempts] == [
            (500, False),
            (503, False),
            (200, True),
        ]


def test_a_webhook_is_given_up_after_the_last_attempt(app, endpoint, make_booking):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    with Receiver(answers=[500, 500, 500]) as receiver:
        endpoint(url=receiver.url)
        make_booking()
        now = utcnow()
        send(app, now)
        report = send(app, now + timedelta(minutes=1))
        assert report.given_up == 1
        assert send(app, now + timedelta(days=1)).given_up == 0
    (row,) = webhook_rows(app)
    assert (row.status, row.attempts, row.last_error) == ("failed", 2, "HTTP 500")
    assert len(receiver.requests) == 2


def test_a_change_rolled_back_sends_nothing(app, endpoint, receiver, free_slot, make_user):
    endpoint()
    make_user("reception")
    slot = free_slot()
    with app.app_context():
        desk = db.session.execute(db.select(User).filter_by(role="reception")).scalar_one()
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        with pytest.raises(RuntimeError), command("test.outer"):
            create_booking(
                BookingRequest(
                    service=service,
                    start=slot.start,
                    practitioner_id=slot.practitioner_id,
                    answers=dict(NO_FLAGS),
                    source="phone",
                    **PATIENT,
                ),
                actor=desk,
            )
            db.session.flush()
            queued = db.session.execute(db.select(OutboxMessage).filter_by(kind="webhook"))
            assert queued.scalars().all(), "queued inside the change"
            raise RuntimeError("something after the booking failed")
    assert webhook_rows(app) == []
    send(app)
    assert receiver.requests == []


def test_a_redirect_is_a_failure_and_never_followed(app, endpoint, make_booking):
    with Receiver(answers=[302]) as receiver:
        endpoint(url=receiver.url)
        make_booking()
        send(app)
    assert [r.path for r in receiver.requests] == ["/hooks/"]
    (row,) = webhook_rows(app)
    assert row.status == "pending"
    assert row.last_error.startswith("HTTP 302: redirects are not followed")


def test_a_receiver_that_drips_its_answer_cannot_hold_the_run(app, endpoint, make_booking):
    """Each read waits the timeout at most; a byte every half second would never trip
    that, so the whole attempt has its own limit (twice the timeout)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip():
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            # 20 s of drips, then it hangs up: without the attempt's own limit, that
            # would end as a broken answer, not "Timed out".
            for _ in range(40):
                if stop.is_set():
                    return
                try:
                    connection.sendall(b"H")
                except OSError:
                    return
                time.sleep(0.5)

    worker = threading.Thread(target=drip, daemon=True)
    worker.start()
    app.config["WEBHOOK_TIMEOUT_SECONDS"] = 1
    try:
        endpoint(url=f"http://127.0.0.1:{server.getsockname()[1]}/hooks/")
        make_booking()
        send(app)
    finally:
        stop.set()
        server.close()
    (row,) = webhook_rows(app)
    assert row.status == "pending"  # tried again later, as any failure
    assert row.last_error == "Timed out"


def test_a_receiver_answering_gone_is_turned_off(app, endpoint, make_booking):
    with Receiver(answers=[410]) as receiver:
        endpoint_id, _secret = endpoint(url=receiver.url)
        make_booking()
        report = send(app)
        assert report.given_up == 1
        with app.app_context():
            gone = db.session.get(WebhookEndpoint, endpoint_id)
            assert not gone.enabled
            assert "410" in gone.disabled_reason
        make_booking(days_ahead=5)
        send(app)
    assert len(receiver.requests) == 1
    (row,) = webhook_rows(app)
    assert row.status == "failed"


def test_webhooks_waiting_for_an_endpoint_turned_off_are_not_sent(
    app, endpoint, receiver, make_booking, owner
):
    endpoint_id, _secret = endpoint()
    make_booking()
    with app.app_context():
        endpoints.set_enabled(
            db.session.get(WebhookEndpoint, endpoint_id), False, actor=db.session.get(User, owner)
        )
    report = send(app)
    assert receiver.requests == []
    assert report.superseded == 1
    assert [r.status for r in webhook_rows(app)] == ["superseded"]


def test_after_a_rotation_both_secrets_sign_for_a_day(app, endpoint, receiver, owner):
    endpoint_id, old = endpoint()
    with app.app_context():
        actor = db.session.get(User, owner)
        found = db.session.get(WebhookEndpoint, endpoint_id)
        new = endpoints.rotate_secret(found, actor=actor)
        endpoints.send_test(db.session.get(WebhookEndpoint, endpoint_id), actor=actor)
    send(app)
    (request,) = receiver.requests
    assert request.type == "webhook.test"
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert request.verify(new) == request.verify(old)

    with app.app_context():
        endpoints.send_test(
            db.session.get(WebhookEndpoint, endpoint_id), actor=db.session.get(User, owner)
        )
    send(app, utcnow() + timedelta(hours=25))
    later = receiver.requests[1]
    assert later.verify(new)["type"] == "webhook.test"
    with pytest.raises(WebhookVerificationError):
        later.verify(old)


def test_voiding_tells_only_an_endpoint_that_heard_of_the_booking(
    app, owner, make_booking, make_user
):
    make_user("reception")
    with Receiver() as early:
        with app.app_context():
            endpoints.create(Details(early.url, "", ALL, False), actor=db.session.get(User, owner))
        made = make_booking()
        send(app)
        with Receiver() as late, app.app_context():
            endpoints.create(Details(late.url, "", ALL, False), actor=db.session.get(User, owner))
            desk = db.session.execute(db.select(User).filter_by(role="reception")).scalar_one()
            void_bookings([booking_of(made["reference"]).id], "A test booking", actor=desk)
            send(app)
            assert late.requests == []
    voided = early.of_type("booking.changed")
    assert [r.data["change"]["after"] for r in voided] == [{"status": "entered-in-error"}]


def test_production_refuses_plain_http_when_it_sends(app, endpoint, receiver, make_booking):
    endpoint()
    make_booking()
    app.config["PRODUCTION"] = True
    send(app)
    assert receiver.requests == []
    (row,) = webhook_rows(app)
    assert row.last_error.startswith("Use an https:// address")


def test_a_course_booked_at_once_raises_one_event_per_session(
    app, client, endpoint, receiver, make_booking, clinic
):
    endpoint(["booking.created"])
    first = make_booking(practitioner=clinic.practitioner)
    response = client.post(f"/api/v1/bookings/{first['manage_token']}/course", json={"count": 3})
    assert response.status_code == 201, response.get_data(as_text=True)
    send(app)

    references = [r.data["booking"]["reference"] for r in receiver.requests]
    assert len(references) == 4 == len(set(references))
    assert references[0] == first["reference"]
