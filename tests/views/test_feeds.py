"""Practitioners' calendar feeds: first names only, active bookings only, revocable links."""

from __future__ import annotations

import hashlib
import re

from icalendar import Calendar

from booking.extensions import db
from booking.models import AuditEntry, Booking, Practitioner
from tests.audit import changes

FEED_URL = re.compile(r"http://clinic\.test/feeds/([A-Za-z0-9_\-]+)\.ics")


def create_feed(client, practitioner_id: int) -> str:
    """Press the button as staff and copy the link from the page it leads to."""
    response = client.post(f"/staff/practitioners/{practitioner_id}/feed", follow_redirects=True)
    assert response.status_code == 200
    match = FEED_URL.search(response.get_data(as_text=True))
    assert match, "the new feed link should be shown"
    return match.group(1)


def events(app, token: str) -> list:
    # A fresh client: the feed needs no sign-in.
    response = app.test_client().get(f"/feeds/{token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data).walk("VEVENT")


def test_feed_lists_active_bookings_by_first_name_only(
    app, client, auth, free_slot, make_booking, clinic
):
    practitioner = clinic.practitioner
    ann_slot = free_slot(days_ahead=2, practitioner_id=practitioner.id)
    ann = make_booking(ann_slot, name="Ann Lee", email="ann@example.com", phone="207 555 0100")
    bob = make_booking(
        practitioner=practitioner,
        days_ahead=4,
        name="Bob Stone",
        email="bob@example.com",
        phone="207 555 0199",
    )
    cara = make_booking(
        practitioner=clinic.specialist,
        days_ahead=2,
        name="Cara Diaz",
        email="cara@example.com",
        phone="207 555 0177",
    )
    assert client.post(f"/api/v1/bookings/{bob['manage_token']}/cancel", json={}).status_code == 200
    with app.app_context():
        booking = db.session.execute(
            db.select(Booking).filter_by(reference=ann["reference"])
        ).scalar_one()
        booking.note = "Prefers the left-side room"
        db.session.commit()

    auth.login("reception")
    token = create_feed(client, practitioner.id)
    body = app.test_client().get(f"/feeds/{token}.ics").get_data(as_text=True)
    (event,) = events(app, token)
    assert str(event["summary"]) == f"Ann – {clinic.service('neck-initial').name}"
    assert event.decoded("dtstart") == ann_slot.start
    assert event.decoded("dtend") == ann_slot.end
    assert event["dtstart"].to_ical().decode().endswith("Z")  # UTC
    assert int(event["sequence"]) == 0
    for private in ("Lee", "ann@example.com", "207 555 0100", "left-side", "Bob", "Cara"):
        assert private not in body
    assert cara["reference"] not in body


def test_feed_event_keeps_its_uid_and_bumps_its_sequence_when_moved(
    app, client, auth, free_slot, make_booking, clinic
):
    practitioner = clinic.practitioner
    first = free_slot(days_ahead=2, practitioner_id=practitioner.id)
    booked = make_booking(first, name="Ann Lee", email="ann@example.com", phone="207 555 0100")
    auth.login("reception")
    token = create_feed(client, practitioner.id)
    (before,) = events(app, token)
    later = free_slot(days_ahead=5, practitioner_id=practitioner.id)
    moved = client.post(
        f"/api/v1/bookings/{booked['manage_token']}/reschedule",
        json={"start": later.start.isoformat(), "practitioner": practitioner.id},
    )
    assert moved.status_code == 200, moved.get_json()
    (after,) = events(app, token)
    assert str(after["uid"]) == str(before["uid"])
    assert int(after["sequence"]) == int(before["sequence"]) + 1
    assert after.decoded("dtstart") == later.start


def test_only_the_hash_of_the_feed_secret_is_stored_and_the_link_is_shown_once(
    app, client, auth, clinic
):
    practitioner = clinic.practitioner
    auth.login("reception")
    token = create_feed(client, practitioner.id)
    with app.app_context():
        stored = db.session.get(Practitioner, practitioner.id)
        assert stored.feed_token_hash == hashlib.sha256(token.encode()).hexdigest()
        entries = list(db.session.execute(changes()).scalars())
    assert [e.action for e in entries] == ["feed.create"]
    assert all(token not in repr((e.before, e.after, e.summary)) for e in entries)
    page = client.get(f"/staff/practitioners/{practitioner.id}").get_data(as_text=True)
    assert token not in page
    assert "The feed is <strong>on</strong>" in page
    assert "Calendar feed: on" in client.get("/staff/practitioners").get_data(as_text=True)


def test_replaced_link_stops_working_and_the_new_one_works(app, client, auth, clinic):
    practitioner = clinic.practitioner
    auth.login("reception")
    old = create_feed(client, practitioner.id)
    new = create_feed(client, practitioner.id)
    assert old != new
    feeds = app.test_client()
    assert feeds.get(f"/feeds/{old}.ics").status_code == 410
    assert feeds.get(f"/feeds/{new}.ics").status_code == 200
    with app.app_context():
        actions = db.session.execute(
            db.select(AuditEntry.action, AuditEntry.before)
            .where(~AuditEntry.action.startswith("sign_in."))
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(a) for a in actions] == [
        ("feed.create", {"feed": False}),
        ("feed.create", {"feed": True}),
    ]


def test_turned_off_feed_is_gone_and_audited(app, client, auth, clinic):
    practitioner = clinic.practitioner
    auth.login("owner")
    token = create_feed(client, practitioner.id)
    response = client.post(
        f"/staff/practitioners/{practitioner.id}/feed/delete", follow_redirects=True
    )
    assert "The feed is <strong>off</strong>" in response.get_data(as_text=True)
    gone = app.test_client().get(f"/feeds/{token}.ics")
    # 410 tells a calendar app to drop the subscription, not to keep retrying it.
    assert (gone.status_code, gone.mimetype) == (410, "text/plain")
    assert "no longer works" in gone.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Practitioner, practitioner.id).feed_token_hash is None
        (entry,) = db.session.execute(changes().filter_by(action="feed.revoke")).scalars()
        assert (entry.before, entry.after) == ({"feed": True}, {"feed": False})


def test_an_unknown_feed_link_is_gone_like_a_revoked_one(client):
    """Told apart, they would say which links once worked: both answer 410."""
    assert client.get("/feeds/not-a-real-token.ics").status_code == 410
    assert client.get("/feeds/.ics").status_code == 404  # no token at all: no such page


def test_feed_is_not_cached_by_shared_caches(app, client, auth, clinic):
    practitioner = clinic.practitioner
    auth.login("reception")
    token = create_feed(client, practitioner.id)
    response = app.test_client().get(f"/feeds/{token}.ics")
    # The link is a credential: kept by no shared cache, always asked again.
    assert "no-cache" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


def test_a_new_feed_link_is_shown_once_and_never_put_in_the_session(app, client, auth, clinic):
    auth.login("reception")
    url = f"/staff/practitioners/{clinic.practitioner.id}"
    response = client.post(f"{url}/feed")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = FEED_URL.search(response.get_data(as_text=True)).group(1)
    with client.session_transaction() as session:
        assert token not in repr(dict(session))
    assert token not in client.get(url).get_data(as_text=True)


def test_a_feed_with_no_bookings_is_still_a_whole_calendar(app, client, auth, clinic):
    import vobject

    auth.login("reception")
    token = create_feed(client, clinic.colleague.id)
    body = app.test_client().get(f"/feeds/{token}.ics").data
    parsed = Calendar.from_ical(body)
    # RFC 5545 3.6: at least one component; the clinic's timezone is it.
    (zone,) = parsed.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/New_York"
    assert parsed.walk("VEVENT") == []
    assert str(parsed["REFRESH-INTERVAL"].to_ical(), "ascii") == "PT15M"
    assert parsed["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert str(parsed["X-PUBLISHED-TTL"].to_ical(), "ascii") == "PT15M"
    assert b"\r\n" in body and b"\n" not in body.replace(b"\r\n", b"")
    second = vobject.readOne(body.decode())
    assert second.vtimezone.tzid.value == "America/New_York"


def test_a_poll_with_the_current_file_is_answered_304_until_a_booking_changes(
    app, client, auth, clinic, make_booking
):
    booking = make_booking(practitioner=clinic.practitioner, days_ahead=3)
    auth.login("reception")
    token = create_feed(client, clinic.practitioner.id)
    calendar_app = app.test_client()
    first = calendar_app.get(f"/feeds/{token}.ics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = calendar_app.get(f"/feeds/{token}.ics", headers={"If-None-Match": etag})
    assert (again.status_code, again.data) == (304, b"")
    since = calendar_app.get(f"/feeds/{token}.ics", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    assert (
        client.post(f"/api/v1/bookings/{booking['manage_token']}/cancel", json={}).status_code
        == 200
    )
    changed = calendar_app.get(f"/feeds/{token}.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert Calendar.from_ical(changed.data).walk("VEVENT") == []
