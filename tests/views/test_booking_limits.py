"""Limits on online booking: per client address, per patient, per inbox; never for staff."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from booking import create_app
from booking.extensions import db
from booking.models import Booking, ClinicSettings, OutboxMessage, Patient, RateCounter
from booking.models.base import utcnow
from booking.services import availability, limits
from booking.services.commands import command
from booking.views.helpers import to_local
from tests.conftest import NO_FLAGS
from tests.database import database_uri, fresh_database
from tests.redis_server import redis_server, redis_url  # noqa: F401, F811  (fixtures)
from tests.views.test_public import book_url, details_form, started

API = "/api/v1/bookings"


def far_apart_slots(app, count, slug="neck-initial"):
    """Slots that can all be booked at once: other practitioners, or three hours apart."""
    with app.app_context():
        from booking.models import Service

        service = db.session.execute(db.select(Service).filter_by(slug=slug)).scalar_one()
        first = to_local(utcnow()).date() + timedelta(days=2)
        slots = availability.free_slots(service, first, first + timedelta(days=30))
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
    raise AssertionError("not enough free times")


def body(slot, n, **patient):
    return {
        "service": "neck-initial",
        "start": slot.start.isoformat(),
        "practitioner": slot.practitioner_id,
        "patient": {
            "name": f"Patient {n}",
            "email": f"p{n}@example.com",
            "phone": f"207 555 {n:04d}",
            **patient,
        },
        "screening": dict(NO_FLAGS),
        "disclaimer_accepted": True,
    }


def from_address(address):
    return {"REMOTE_ADDR": address}


def count(app, model):
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(model)).scalar()


def set_limits(app, **values):
    with app.app_context():
        settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
        for name, value in values.items():
            setattr(settings, name, value)
        db.session.commit()


def assert_limited(response):
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert "call the clinic on (207) 555-0142" in error["message"]
    assert int(response.headers["Retry-After"]) > 0
    return error


# Per client address


def test_one_address_gets_ten_bookings_an_hour_then_is_told_to_call(app, client):
    slots = far_apart_slots(app, 12)
    for n, slot in enumerate(slots[:10]):
        made = client.post(API, json=body(slot, n), environ_base=from_address("198.51.100.7"))
        assert made.status_code == 201, made.get_json()
    refused = client.post(API, json=body(slots[10], 10), environ_base=from_address("198.51.100.7"))
    assert_limited(refused)
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3601
    # Nothing was stored for the refused one, and its time is still offered.
    assert count(app, Booking) == 10
    with app.app_context():
        from booking.models import Service

        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        assert availability.slots_at(
            service, slots[10].start, practitioner_id=slots[10].practitioner_id
        )
    # Another address books that same time at once.
    other = client.post(API, json=body(slots[10], 11), environ_base=from_address("203.0.113.9"))
    assert other.status_code == 201


def test_a_failed_booking_does_not_use_up_the_address_allowance(app, client):
    set_limits(app, bookings_per_address_hour=2)
    first, second = far_apart_slots(app, 2)
    assert client.post(API, json=body(first, 1)).status_code == 201
    taken = client.post(API, json=body(first, 2))
    assert taken.status_code == 409
    assert client.post(API, json=body(second, 3)).status_code == 201
    assert_limited(client.post(API, json=body(far_apart_slots(app, 3)[2], 4)))


def test_ipv6_clients_are_counted_by_their_slash_64(app, client):
    set_limits(app, bookings_per_address_hour=1)
    first, second = far_apart_slots(app, 2)
    ok = client.post(API, json=body(first, 1), environ_base=from_address("2001:db8:1:2::10"))
    assert ok.status_code == 201
    same_network = client.post(
        API, json=body(second, 2), environ_base=from_address("2001:db8:1:2:ffff::99")
    )
    assert_limited(same_network)


def test_the_owner_sets_the_limits_on_the_settings_page(app, client, auth):
    from tests.views.test_admin_settings import current_text, settings_form

    auth.login("owner")
    form = settings_form(disclaimer=current_text(app), bookings_per_address_hour="1")
    assert client.post("/admin/settings", data=form).status_code == 302
    patient = app.test_client()
    first, second = far_apart_slots(app, 2)
    assert patient.post(API, json=body(first, 1)).status_code == 201
    assert_limited(patient.post(API, json=body(second, 2)))
    bad = client.post(
        "/admin/settings",
        data=settings_form(disclaimer=current_text(app), emails_per_recipient_day="0"),
    )
    assert bad.status_code == 422
    assert "Number must be between 1 and 1000" in bad.get_data(as_text=True)


# Per patient


def test_a_patient_holds_at_most_three_upcoming_online_bookings(app, client, clinic, make_booking):
    slots = far_apart_slots(app, 5)
    ann = {"email": "ann@example.com", "phone": "207 555 0100"}
    for n, slot in enumerate(slots[:3]):
        assert client.post(API, json=body(slot, n, **ann)).status_code == 201
    error = assert_limited(client.post(API, json=body(slots[3], 3, email="Ann@Example.com")))
    assert "You already have 3 upcoming appointments booked online" in error["message"]
    # The same phone under another email is the same person.
    for phone in ("(207) 555-0100", "+1 207 555 01 00", "207.555.0100"):
        assert_limited(client.post(API, json=body(slots[3], 4, phone=phone)))
    # Reception books the rest of the course for her by phone: staff are never limited.
    by_phone = make_booking(slots[4], staff=True, email="ann@example.com")
    assert by_phone["status"] == "booked"
    assert count(app, Booking) == 4


def test_cancelled_and_past_bookings_do_not_count(app, client):
    slots = far_apart_slots(app, 4)
    tokens = [
        client.post(API, json=body(slot, n, email="ann@example.com")).get_json()["manage_token"]
        for n, slot in enumerate(slots[:3])
    ]
    assert client.post(f"{API}/{tokens[0]}/cancel", json={}).status_code == 200
    assert client.post(API, json=body(slots[3], 9, email="ann@example.com")).status_code == 201


# Per recipient


def test_patients_own_actions_send_an_inbox_only_so_many_emails_a_day(app, client):
    set_limits(app, emails_per_recipient_day=2)
    first, second, third = far_apart_slots(app, 3)
    made = client.post(API, json=body(first, 1)).get_json()
    token = made["manage_token"]
    moved = client.post(
        f"{API}/{token}/reschedule",
        json={"start": second.start.isoformat(), "practitioner": second.practitioner_id},
    )
    assert moved.status_code == 200
    # Moving again would send a third: refused, and nothing half-done.
    emails_before = count(app, OutboxMessage)
    refused = client.post(
        f"{API}/{token}/reschedule",
        json={"start": third.start.isoformat(), "practitioner": third.practitioner_id},
    )
    assert_limited(refused)
    assert "already sent several emails" in refused.get_json()["error"]["message"]
    assert "Please try again in about 24 hours" in refused.get_json()["error"]["message"]
    kept = client.get(f"{API}/{token}").get_json()
    assert kept["status"] == "booked"
    assert datetime.fromisoformat(kept["start"]) == second.start
    assert count(app, OutboxMessage) == emails_before
    # A new booking to that inbox is refused too, however the address is spelt.
    for spelling in ("P1@EXAMPLE.COM", "p1+again@example.com"):
        again = body(third, 2, email=spelling, phone="207 555 9999")
        assert_limited(client.post(API, json=again))
    # Cancelling is never refused: the time is freed, only the patient's email is left out.
    cancelled = client.post(f"{API}/{token}/cancel", json={})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    with app.app_context():
        kinds = list(
            db.session.execute(
                db.select(OutboxMessage.kind).order_by(OutboxMessage.id.desc()).limit(1)
            ).scalars()
        )
    assert kinds == ["clinic_cancellation"]


# Staff, and switching the limits off


def test_signed_in_staff_are_never_limited(app, client, auth):
    set_limits(app, bookings_per_address_hour=1, future_bookings_per_patient=1)
    auth.login("reception")
    for n, slot in enumerate(far_apart_slots(app, 3)):
        made = client.post(API, json=body(slot, n, email="ann@example.com"))
        assert made.status_code == 201


@pytest.fixture
def unlimited_app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path),
            "RATE_LIMITS": False,
        }
    )
    with app.app_context():
        fresh_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_rate_limits_false_turns_every_limit_off(unlimited_app):
    set_limits(unlimited_app, bookings_per_address_hour=1, future_bookings_per_patient=1)
    client = unlimited_app.test_client()
    for n, slot in enumerate(far_apart_slots(unlimited_app, 3)):
        assert client.post(API, json=body(slot, n, email="ann@example.com")).status_code == 201
    assert count(unlimited_app, RateCounter) == 0


# The booking page


def test_the_booking_page_says_to_call_when_a_limit_is_reached(app, client):
    set_limits(app, future_bookings_per_patient=1)
    first, second = far_apart_slots(app, 2)
    assert client.post(book_url(first), data=details_form()).status_code == 302
    page = client.post(book_url(second), data=details_form())
    assert page.status_code == 429
    assert int(page.headers["Retry-After"]) > 0
    text = page.get_data(as_text=True)
    assert "We have not booked an appointment" in text
    assert 'href="tel:+12075550142"' in text or "tel:" in text
    assert count(app, Booking) == 1


# The bot check


def test_a_filled_in_honeypot_books_nothing(app, client):
    [slot] = far_apart_slots(app, 1)
    response = client.post(book_url(slot), data=details_form(fax_only="http://spam.example"))
    assert response.status_code == 422
    assert "We could not accept this form" in response.get_data(as_text=True)
    assert count(app, Booking) == 0


@pytest.mark.parametrize(
    ("stamp", "booked"),
    [(None, False), ("forged-stamp", False), (1, False), (5, True)],
    ids=["missing", "forged", "one-second", "five-seconds"],
)
def test_the_form_must_have_been_open_for_a_few_seconds(app, client, stamp, booked):
    app.config["BOT_MIN_FILL_SECONDS"] = 3
    [slot] = far_apart_slots(app, 1)
    value = stamp if isinstance(stamp, str) or stamp is None else started(seconds_ago=stamp)
    response = client.post(book_url(slot), data=details_form(started=value))
    assert (count(app, Booking) == 1) is booked
    if not booked:
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert "That was quicker than we expected" in page
        # The details typed are kept, and the page carries a fresh stamp to try again.
        assert 'value="Ann Lee"' in page and 'name="started"' in page


# The store: counters shared by every worker, in the database or in Redis


def test_counters_are_rows_shared_by_every_worker_and_never_hold_an_address(app, client):
    [slot] = far_apart_slots(app, 1)
    client.post(API, json=body(slot, 1), environ_base=from_address("198.51.100.7"))
    with app.app_context():
        keys = list(db.session.execute(db.select(RateCounter.key)).scalars())
    assert keys and all("198.51.100.7" not in key and "p1@" not in key for key in keys)


def test_a_window_starts_again_once_it_has_passed(app):
    with app.app_context():
        now = utcnow()
        with command(""):
            for _ in range(3):
                limits.spend("test:key", 3, timedelta(hours=1), now, "stop")
        with pytest.raises(limits.RateLimited), command(""):
            limits.spend("test:key", 3, timedelta(hours=1), now + timedelta(minutes=59), "stop")
        with command(""):
            count_ = limits.spend("test:key", 3, timedelta(hours=1), now + timedelta(hours=1), "x")
        assert count_.hits == 1


def test_redis_counters_hold_the_same_limits(app, client, redis_url):  # noqa: F811
    app.config["RATE_LIMIT_STORE"] = redis_url
    app.extensions.pop("rate_counters", None)
    set_limits(app, bookings_per_address_hour=2)
    first, second, third = far_apart_slots(app, 3)
    assert client.post(API, json=body(first, 1)).status_code == 201
    # A booking that fails gives its count back, as the database's rollback does.
    assert client.post(API, json=body(first, 2)).status_code == 409
    assert client.post(API, json=body(second, 3)).status_code == 201
    refused = client.post(API, json=body(third, 4))
    assert_limited(refused)
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3601
    assert count(app, RateCounter) == 0  # nothing in the database
    import redis

    keys = redis.Redis.from_url(redis_url).keys("booking:limit:*")
    assert keys and all(b"127.0.0.1" not in key for key in keys)


def test_an_online_booking_never_changes_a_stored_patients_phone(app, client):
    first, second = far_apart_slots(app, 2)
    ann = {"name": "Ann Test", "email": "ann@example.com", "phone": "207 555 0142"}
    assert client.post(API, json=body(first, 1, **ann)).status_code == 201
    other_phone = {**ann, "email": "ANN@Example.com", "phone": "999 999 9999"}
    assert client.post(API, json=body(second, 2, **other_phone)).status_code == 201
    with app.app_context():
        phones = sorted(db.session.execute(db.select(Patient.phone)).scalars())
    # The first record keeps its number; the second booking made a record of its own.
    assert phones == ["207 555 0142", "999 999 9999"]


def test_accented_names_and_emails_match_the_same_patient_on_every_engine(app, client):
    slots = far_apart_slots(app, 5)
    emilie = {"name": "Émilie Dubois", "email": "Émilie@example.com", "phone": "207 555 0177"}
    for n, slot in enumerate(slots[:3]):
        details = {**emilie, "name": "ÉMILIE DUBOIS"} if n == 2 else emilie
        assert client.post(API, json=body(slot, n, **details)).status_code == 201
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Patient.id))).scalar() == 1
    lower_case = {**emilie, "email": "émilie@example.com", "phone": "207 555 0999"}
    assert_limited(client.post(API, json=body(slots[3], 3, **lower_case)))
