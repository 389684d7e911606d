"""The owner's audit log: access, order, pages, filters and readable changes."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, User
from booking.services import audit
from booking.services.bookings import reschedule_booking, set_status


@pytest.fixture
def add_entry(app, clinic):
    """A factory: an audit entry about clinic.practitioner, recorded at `at`."""

    def add(action, at, summary="", before=None, after=None, email=None):
        with app.app_context():
            user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
            entry = audit.record(
                user, action, "practitioner", clinic.practitioner.id, before=before, after=after
            )
            entry.at, entry.summary = at, summary
            db.session.commit()

    return add


def summaries(page):
    return re.findall(r"<td>(entry \d+|[\w ]+ at [\d:]+)</td>", page)


def rows(page):
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return [
        html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip())
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_only_the_owner_sees_the_audit_log(client, auth, make_user):
    auth.login("reception")
    assert client.get("/staff/audit").status_code == 403
    auth.logout()
    owner = auth.login("owner")
    response = client.get("/staff/audit")
    assert response.status_code == 200
    # Nothing has changed yet: the log holds only the two sign-ins.
    signed_in, first = rows(response.get_data(as_text=True))
    assert "sign_in.success" in signed_in and "Signed in from 127.0.0.1" in signed_in
    assert owner in signed_in or "Owner" in signed_in
    assert "sign_in.success" in first
    bookings = client.get("/staff/audit?action=booking").get_data(as_text=True)
    assert "No changes match these filters." in bookings


def test_signed_out_or_patient_token_gets_no_audit_log(client, make_booking):
    token = make_booking()["manage_token"]
    for response in (
        client.get("/staff/audit"),
        client.get(f"/staff/audit?token={token}"),
        client.get("/staff/audit", headers={"Authorization": f"Bearer {token}"}),
    ):
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_reception_changes_appear_newest_first_with_only_changed_fields(
    app, client, auth, free_slot, make_user, make_booking
):
    slot = free_slot()
    make_booking(slot)
    email = make_user("reception", name="Rita Desk")
    with app.app_context():
        rita = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
        booking = db.session.execute(db.select(Booking)).scalar_one()
        booking_id, reference = booking.id, booking.reference
        at_the_door = booking.start_at  # arriving is allowed from an hour before
        set_status(booking, "arrived", actor=rita, now=at_the_door)
        set_status(booking, "booked", actor=rita, now=at_the_door)
        reschedule_booking(booking, slot.start + timedelta(hours=1), actor=rita)
    auth.login("owner")
    page = client.get("/staff/audit?action=booking").get_data(as_text=True)
    move, back, arrived, booked = rows(page)
    assert f"Rita Desk booking.move booking {reference[:4]}-{reference[4:]}" in move
    # The patient's own booking online is there too, said to be theirs.
    assert f"The patient, online booking.create booking {reference[:4]}-" in booked
    # Only the start and end moved: the reference, patient and status are not repeated.
    assert "Start:" in move and "End:" in move
    for unchanged in ("Reference:", "Patient:", "Status:", "Practitioner:"):
        assert unchanged not in move
    assert "Status: booked → arrived" in arrived and "booked -> arrived" in arrived
    assert "Status: arrived → booked" in back
    assert "Start:" not in arrived
    assert f'href="/staff/bookings/{booking_id}"' in page


def test_changes_are_shown_in_clinic_time_and_by_name(client, auth, add_entry, clinic):
    auth.login("owner")
    add_entry(
        "booking.move",
        datetime(2026, 12, 1, 15, tzinfo=UTC),
        before={
            "start": "2026-12-01T14:00:00+00:00",
            "practitioner_id": clinic.practitioner.id,
            "note": "",
        },
        after={
            "start": "2026-12-02T15:30:00+00:00",
            "practitioner_id": clinic.specialist.id,
            "note": None,
        },
    )
    add_entry(
        "hours.update",
        datetime(2026, 12, 1, 16, tzinfo=UTC),
        before={"monday": {"start": "09:00", "end": "17:00"}, "tuesday": None},
        after={"monday": {"start": "10:00", "end": "17:00"}, "tuesday": None},
    )
    signed_in, hours, move = rows(client.get("/staff/audit").get_data(as_text=True))
    assert "Signed in from 127.0.0.1" in signed_in
    # 14:00 UTC is 9 am in New York in December.
    assert "Start: Tue 1 Dec 2026 9:00 am → Wed 2 Dec 2026 10:30 am" in move
    assert f"Practitioner: {clinic.practitioner.name} → {clinic.specialist.name}" in move
    assert "Note:" not in move  # blank before and after
    assert "Tue 1 Dec 2026, 10:00 am" in move  # when, in clinic time
    assert "Monday: start 09:00, end 17:00 → start 10:00, end 17:00" in hours
    assert "Tuesday" not in hours


def test_pages_of_fifty_newest_first(client, auth, add_entry):
    auth.login("owner")
    start = datetime(2026, 12, 1, 14, tzinfo=UTC)
    for n in range(120):
        add_entry("booking.note", start + timedelta(minutes=n), summary=f"entry {n}")
    first = client.get("/staff/audit?action=booking").get_data(as_text=True)
    assert summaries(first) == [f"entry {n}" for n in range(119, 69, -1)]
    assert "Page 1 of 3" in first
    assert 'href="/staff/audit?action=booking&amp;page=2"' in first
    last = client.get("/staff/audit?action=booking&page=3").get_data(as_text=True)
    assert summaries(last) == [f"entry {n}" for n in range(19, -1, -1)]
    assert 'href="/staff/audit?action=booking&amp;page=2"' in last
    assert "Older" not in last
    for odd in ("0", "-4", "x", "99999999999999999999999"):
        assert client.get(f"/staff/audit?page={odd}").status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["feed at 5", "time_off at 4", "timeXoff at 3", "hours at 2", "booking at 1"]),
        ("action=booking", ["booking at 1"]),
        ("action=hours", ["hours at 2"]),
        # "_" is not a wildcard here.
        ("action=time_off", ["time_off at 4"]),
        ("action=feed", ["feed at 5"]),
        (
            "action=nonsense",
            ["feed at 5", "time_off at 4", "timeXoff at 3", "hours at 2", "booking at 1"],
        ),
    ],
)
def test_filter_by_kind_of_change(client, auth, query, expected, add_entry):
    auth.login("owner")
    at = datetime(2026, 12, 1, 14, tzinfo=UTC)
    for n, action in enumerate(
        ("booking.move", "hours.update", "timeXoff.add", "time_off.add", "feed.create"), 1
    ):
        add_entry(action, at + timedelta(minutes=n), summary=f"{action.split('.')[0]} at {n}")
    assert summaries(client.get(f"/staff/audit?{query}").get_data(as_text=True)) == expected


def test_filter_by_clinic_date(client, auth, add_entry):
    auth.login("owner")
    # 23:30 on 1 December in New York is already 2 December in UTC.
    add_entry("booking.move", datetime(2026, 12, 2, 4, 30, tzinfo=UTC), summary="late at 1")
    add_entry("booking.move", datetime(2026, 12, 2, 5, 30, tzinfo=UTC), summary="early at 2")
    add_entry("hours.update", datetime(2026, 12, 1, 14, tzinfo=UTC), summary="hours at 3")
    page = client.get("/staff/audit?date=2026-12-01").get_data(as_text=True)
    assert summaries(page) == ["late at 1", "hours at 3"]
    both = client.get("/staff/audit?date=2026-12-01&action=booking").get_data(as_text=True)
    assert summaries(both) == ["late at 1"]
    assert summaries(client.get("/staff/audit?date=2026-12-02").get_data(True)) == ["early at 2"]
    bad = client.get("/staff/audit?date=2026-13-45", follow_redirects=True).get_data(True)
    assert "showing every date" in bad
    assert len(summaries(bad)) == 3
